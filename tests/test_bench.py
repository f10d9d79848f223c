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
            "min_ess_bulk": ess, "ess_bulk_per_s": ess_s, "peak_rss_mb": 700.0,
            "max_rhat": rhat, "divergences": div}


def test_summary_takes_medians_and_skips_failed_runs():
    runs = [run("nutpie", 1, s, t, e) for s, t, e in ((1, 100, 9), (2, 130, 7), (3, 110, 8))]
    runs.append({"sampler": "nutpie", "scale": 1, "error": "boom"})
    (row,) = bench.summarise(runs)
    assert row["runs"] == 3 and row["median_total_s"] == 110 and row["median_ess_bulk_per_s"] == 8


def test_targets_met_and_missed():
    runs = [run("nutpie", 1, 1, 100, 10.0), run("pymc", 1, 1, 800, 1.0, rhat=1.5),
            run("nutpie", 4, 1, 400, 10.0), run("nutpie", 10, 1, 1000, 10.0)]
    t = bench.check_targets(bench.summarise(runs))
    assert t["total_s"]["met"] and t["divergences"]["met"] and t["max_rhat"]["met"]
    assert t["ess_ratio_vs_pymc"]["value"] == pytest.approx(10.0) and t["ess_ratio_vs_pymc"]["met"]
    assert t["size_exponent"]["value"] == pytest.approx(1.0) and t["size_exponent"]["met"]
    one_bad = [run("nutpie", 1, s, 100, 10.0) for s in (1, 2)] + [
        run("nutpie", 1, 3, 230, 0.1, rhat=1.5, div=12, ess=9.0)]
    t = bench.check_targets(bench.summarise(one_bad))
    assert t["total_s"]["met"]  # the median run is fast...
    assert t["max_rhat"]["value"] == 1.5 and not t["max_rhat"]["met"]  # ...but one failed
    assert t["divergences"]["value"] == 12 and t["min_ess_bulk"]["value"] == 9.0
    slow = [run("nutpie", 1, 1, 200, 2.0, ess=300.0), run("nutpie", 4, 1, 3200, 1.0)]
    t = bench.check_targets(bench.summarise(slow))
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


def test_cli_resumes_without_rerunning(tmp_path, monkeypatch):
    calls = []

    def fake(sampler, scale, draws, tune, chains, seed):
        calls.append((sampler, scale, seed))
        return run(sampler, scale, seed, 100.0 * scale, 10.0 / scale)

    monkeypatch.setattr(bench, "run_in_subprocess", fake)
    args = ["bench", "--samplers", "nutpie", "--scales", "1", "--repeats", "2",
            "--out", str(tmp_path)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert calls == [("nutpie", 1, 1), ("nutpie", 1, 2)]
    res = CliRunner().invoke(app, [*args[:4], "1,4", *args[5:]])
    assert res.exit_code == 0, res.output
    assert calls[2:] == [("nutpie", 4, 1), ("nutpie", 4, 2)]
    report = json.loads((tmp_path / "bench.json").read_text())
    assert len(report["runs"]) == 4 and report["targets"]["size_exponent"]["met"] is True
    assert (tmp_path / "bench.png").stat().st_size > 1000
    assert "target total_s" in res.output


def test_cli_rejects_unknown_sampler(tmp_path):
    res = CliRunner().invoke(app, ["bench", "--samplers", "stan", "--out", str(tmp_path)])
    assert res.exit_code != 0 and "unknown sampler" in res.output
