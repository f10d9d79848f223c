"""The model benchmark's bookkeeping: medians, the performance targets, resuming (no timings)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.validation import bench


def run(sampler, scale, seed, total, ess_s, rows=2570, rhat=1.004, ess=900.0, div=0):
    return {"sampler": sampler, "scale": scale, "rows": rows * scale, "seed": seed,
            "compile_s": 20.0, "sampling_s": total - 20.0, "total_s": total,
            "min_ess_bulk": ess, "min_ess_tail": ess, "ess_bulk_per_s": ess_s,
            "ess_tail_per_s": ess_s, "gradient_evals": 100_000,
            "ess_bulk_per_1k_grad": ess / 100, "peak_rss_mb": 700.0, "max_rhat": rhat,
            "divergences": div, "chains_rerun": 0,
            "converged": rhat <= 1.01 and div == 0 and ess >= 400, "load_1min_at_end": 1.0}


def test_summary_takes_medians_and_skips_failed_runs():
    runs = [run("nutpie", 1, s, t, e) for s, t, e in ((1, 100, 9), (2, 130, 7), (3, 110, 8))]
    runs.append({"sampler": "nutpie", "scale": 1, "error": "boom"})
    runs.append(run("nutpie", 1, 4, 300, 0.5, rhat=1.5))
    (row,) = bench.summarise(runs)
    assert row["runs"] == 4 and row["median_total_s"] == 120 and row["median_ess_bulk_per_s"] == 7.5
    assert row["converged_runs"] == 3 and row["worst_seed"] == 4 and row["worst_total_s"] == 300
    assert row["worst_ess_bulk_per_s"] == 0.5 and row["worst_max_rhat"] == 1.5


def test_ratio_only_over_seeds_where_both_converged():
    runs = [run("nutpie", 1, 1, 100, 10.0), run("pymc", 1, 1, 400, 2.0),
            run("nutpie", 1, 2, 100, 12.0), run("pymc", 1, 2, 400, 0.01, rhat=1.5),
            run("nutpie", 1, 3, 100, 9.0, div=3), run("pymc", 1, 3, 400, 3.0),
            run("nutpie", 1, 4, 100, 8.0), run("pymc", 1, 4, 400, 2.0)]
    r = bench.paired_ratio(runs)
    assert r["pairs"] == 2 and r["seeds"] == [1, 4] and r["ratio"] == pytest.approx(4.5)
    assert bench.paired_ratio(runs[2:4])["ratio"] is None  # PyMC failed: no ratio at all


def test_targets_met_and_missed():
    runs = [run("nutpie", 1, 1, 100, 10.0), run("pymc", 1, 1, 800, 1.0, rhat=1.5),
            run("nutpie", 4, 1, 400, 10.0), run("nutpie", 10, 1, 1000, 10.0)]
    t = bench.check_targets(bench.summarise(runs), runs)
    assert t["total_s"]["met"] and t["divergences"]["met"] and t["max_rhat"]["met"]
    assert t["ess_ratio_vs_pymc"]["value"] is None  # PyMC did not converge: not stated
    runs[1] = run("pymc", 1, 1, 800, 1.0)
    t = bench.check_targets(bench.summarise(runs), runs)
    assert t["ess_ratio_vs_pymc"]["value"] == pytest.approx(10.0) and t["ess_ratio_vs_pymc"]["met"]
    assert t["size_exponent"]["value"] == pytest.approx(1.0) and t["size_exponent"]["met"]
    one_bad = [run("nutpie", 1, s, 100, 10.0) for s in (1, 2)] + [
        run("nutpie", 1, 3, 230, 0.1, rhat=1.5, div=12, ess=9.0)]
    t = bench.check_targets(bench.summarise(one_bad), one_bad)
    assert t["total_s"]["met"]  # the median run is fast...
    assert t["max_rhat"]["value"] == 1.5 and not t["max_rhat"]["met"]  # ...but one failed
    assert t["divergences"]["value"] == 12 and t["min_ess_bulk"]["value"] == 9.0
    assert t["non_converged_runs"]["value"] == 1 and not t["non_converged_runs"]["met"]
    slow = [run("nutpie", 1, 1, 200, 2.0, ess=300.0), run("nutpie", 4, 1, 3200, 1.0)]
    t = bench.check_targets(bench.summarise(slow), slow)
    assert t["total_s"]["met"] is False and t["min_ess_bulk"]["met"] is False
    assert t["size_exponent"]["value"] == pytest.approx(2.0) and t["size_exponent"]["met"] is False
    assert t["ess_ratio_vs_pymc"]["met"] is None  # no PyMC run: not measured


def test_resume_keeps_runs_with_the_same_settings_only():
    prev = {"settings": {"draws": 1000, "tune": 1000, "chains": 4},
            "runs": [run("nutpie", 1, 1, 100, 9), {"sampler": "pymc", "scale": 1, "error": "x"}]}
    same = {"draws": 1000, "tune": 1000, "chains": 4}
    assert [r["seed"] for r in bench.done_runs(prev, same)] == [1]
    assert bench.done_runs(prev, {**same, "draws": 500}) == []
    assert bench.done_runs(None, same) == []
    # a bench.json from before the spec setting was made with the joint spec
    assert len(bench.done_runs(prev, {**same, "spec": "joint"})) == 1
    assert bench.done_runs(prev, {**same, "spec": "joint-within"}) == []


def test_cli_resumes_without_rerunning(tmp_path, monkeypatch):
    calls = []

    def fake(sampler, scale, draws, tune, chains, seed, spec):
        calls.append((sampler, scale, seed))
        return run(sampler, scale, seed, 100.0 * scale, 10.0 / scale)

    monkeypatch.setattr(bench, "run_in_subprocess", fake)
    args = ["bench", "--samplers", "nutpie", "--scales", "1", "--repeats", "2",
            "--out", str(tmp_path)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert calls == [("nutpie", 1, 1), ("nutpie", 1, 2)]
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{bench.BEGIN}\nold\n{bench.END}\nafter\n")
    res = CliRunner().invoke(app, [*args[:4], "1,4", *args[5:], "--readme", str(readme)])
    assert res.exit_code == 0, res.output
    assert calls[2:] == [("nutpie", 4, 1), ("nutpie", 4, 2)]
    report = json.loads((tmp_path / "bench.json").read_text())
    assert len(report["runs"]) == 4 and report["targets"]["size_exponent"]["met"] is True
    assert (tmp_path / "bench.png").stat().st_size > 1000
    assert "target total_s" in res.output
    text = readme.read_text()
    assert "\nold\n" not in text and text.endswith(f"{bench.END}\nafter\n")
    assert "| nutpie | 4x (10,280) | 2 (2) |" in text and "not stated" in text
    assert "do not test the targets" not in text  # the default settings are the targets'
    report["settings"]["draws"] = 200
    assert "do not test the targets" in bench.render_markdown(report)


def test_missing_jax_sampler_is_skipped_cleanly(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numpyro" else real(name, *a))
    calls = []
    monkeypatch.setattr(bench, "run_in_subprocess",
                        lambda s, *a, seed, spec: calls.append(s) or run(s, 1, seed, 100.0, 5.0))
    res = CliRunner().invoke(app, ["bench", "--samplers", "nutpie,numpyro", "--repeats", "1",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert calls == ["nutpie"] and "skipping numpyro: not installed" in res.output
    report = json.loads((tmp_path / "bench.json").read_text())
    assert "numpyro" in report["skipped"]
    assert "numpyro: skipped, not installed" in bench.render_markdown(report)


def test_worker_command_line_reaches_run_once(monkeypatch):
    # the subprocess's command line, parsed as the worker parses it
    from types import SimpleNamespace

    cmd, seen = [], []
    monkeypatch.setattr(bench.subprocess, "run", lambda c, **kw: cmd.extend(c) or SimpleNamespace(
        returncode=0, stdout='BENCH {"sampler": "nutpie"}', stderr=""))
    assert bench.run_in_subprocess("nutpie", 2, 10, 20, 3, seed=4, spec="joint-within") == {
        "sampler": "nutpie"}
    monkeypatch.setattr(bench, "run_once", lambda *a: seen.append(a) or {"ok": True})
    res = CliRunner().invoke(bench.WORKER, cmd[3:])
    assert res.exit_code == 0, res.output
    assert seen == [("nutpie", 2, 10, 20, 3, 4, "joint-within")]
    assert res.output.startswith('BENCH {"ok": true}')


def test_cli_rejects_unknown_sampler(tmp_path):
    res = CliRunner().invoke(app, ["bench", "--samplers", "stan", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "unknown sampler" in res.output


@pytest.mark.slow
def test_scaled_panel_for_the_cost_curve():
    # the 10x and 40x panels are the same code with more copies (40x: 102,800 rows), so the
    # test builds 3
    from bayes_alliance.synthetic import simulate_covariates

    base = simulate_covariates()
    panel = bench.scaled_panel(3)
    frame = panel.frame
    assert len(frame) == 3 * len(base) and panel.synthetic
    assert frame["ally"].nunique() == 3 * base["ally"].nunique()  # more allies, same years
    assert set(frame["year"]) == set(base["year"]) and not frame.duplicated(["ally", "year"]).any()
    copy = frame[frame["ally"] == "ROK-2"].reset_index(drop=True)
    original = frame[frame["ally"] == "ROK"].reset_index(drop=True)
    assert copy["year"].tolist() == original["year"].tolist()
    assert not copy["threat"].equals(original["threat"])  # each copy its own covariates
    assert frame["reassure"].notna().all()  # outcomes drawn from the model
