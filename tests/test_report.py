"""The HTML report and `bayes-alliance report` on a fit from known draws (nothing is sampled)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import bayes_alliance as ba
from bayes_alliance.cli import app
from bayes_alliance.diagnostics_compare import Hypothesis
from bayes_alliance.report import build_report
from bayes_alliance.results import FitResult

os.environ.setdefault("MPLBACKEND", "Agg")

pytestmark = pytest.mark.slow
HOSTILE = "<script>alert(1)</script>"
SECTIONS = ("data", "model", "convergence", "predictive", "loo", "hypotheses", "ally",
            "scenarios")




class FakeScenario:
    """What the report needs of a scenario result."""

    def __init__(self) -> None:
        from matplotlib.figure import Figure

        self.name = f"withdraw {HOSTILE}"
        self.description = f"US troops leave; {HOSTILE} & friends"
        self.summary = pd.DataFrame({"ally": ["JPN", HOSTILE], "delta_milex": [0.1, -0.2]})
        fig = Figure(figsize=(4, 3))
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("year")
        ax.set_ylabel("military spending (% of GDP)")
        self.figures = {"milex path": fig}


@pytest.fixture(scope="module")
def fit(known_joint_fit) -> FitResult:
    return known_joint_fit


@pytest.fixture(scope="module")
def run_file(fit, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "joint.nc"
    fit.save(path)
    return path


@pytest.fixture(scope="module")
def report(fit, tmp_path_factory) -> tuple[Path, dict]:
    hostile = dataclasses.replace(
        fit, spec=dataclasses.replace(fit.spec, description=f"spec text {HOSTILE}"),
        panel=dataclasses.replace(fit.panel, notes=(f"note {HOSTILE}",)))
    hyps = [Hypothesis("H1", "milex", "threat", +1, f"threat raises spending {HOSTILE}",
                       coefficient="beta[milex, threat]"),
            Hypothesis("H2", "reassure", "importance", +1, "importance raises reassurance",
                       coefficient="beta[reassure, importance]")]
    out = tmp_path_factory.mktemp("reports") / "tiny"
    return build_report({"joint weak": hostile}, out, scenarios=[FakeScenario()],
                        hypotheses=hyps)


def test_report_has_every_section_and_file(report):
    out, numbers = report
    page = (out / "index.html").read_text(encoding="utf-8")
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    assert page.count('<p class="lead"><span class="badge') == len(SECTIONS)  # verdict first
    assert (out / "summary.md").is_file()
    assert {p.name for p in (out / "tables").glob("*.csv")} >= {
        "convergence_overview.csv", "loo_joint_weak.csv", "hypotheses.csv",
        "posterior_predictive.csv", "ally_effects.csv"}
    assert not list(out.parent.glob(".*part"))                   # nothing half-written left
    assert numbers["runs"]["joint weak"]["loo"].keys() == {"reassure", "milex", "intervene",
                                                           "exit"}


def test_report_embeds_every_figure_and_requests_nothing(report):
    out, _ = report
    page = (out / "index.html").read_text(encoding="utf-8")
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= 12
    assert page.count('<img src="data:image/png;base64,') == len(pngs)
    for name in ("coverage", "ppc_milex", "ally_forest", "ally_correlation", "khat"):
        assert (out / "figures" / f"{name}.png").is_file()
    attrs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.I)
    data = [a for a in attrs if a.startswith("data:")]
    links = [a for a in attrs if not a.startswith("data:")]
    assert all(a.startswith("data:image/png;base64,") for a in data)
    assert links and all(a.startswith("#") for a in links)       # in-page anchors only
    assert not [a for a in links if "http" in a.lower()]
    assert "<script" not in page.lower() and "<link" not in page.lower()


def test_report_escapes_user_text(report):
    out, _ = report
    page = (out / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert page.count(escaped) >= 5      # spec, panel note, hypothesis, scenario name/desc/table
    assert "&amp; friends" in page


def test_write_report_is_exported_and_force_replaces_only_its_own_folder(fit, tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    for force in (False, True):  # a folder the report did not write is never replaced
        with pytest.raises(ba.ReportError, match="did not write"):
            ba.write_report(fit, out, force=force)
    assert (out / "stale.txt").is_file()
    (out / "stale.txt").unlink()
    path = ba.write_report(fit, out, force=True)  # an empty folder may be replaced
    assert (out / ".bayes_alliance-report").is_file()
    (out / "stale.txt").write_text("old")
    with pytest.raises(ba.ReportError, match="exists"):
        ba.write_report(fit, out)
    path = ba.write_report(fit, out, force=True)
    assert path == out and (out / "index.html").is_file() and not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_write_report_needs_log_likelihood_and_writes_nothing(fit, tmp_path):
    idata = fit.idata.copy()
    del idata["log_likelihood"]
    with pytest.raises(ba.ReportError, match="log_likelihood.*bayes-alliance fit"):
        ba.write_report(dataclasses.replace(fit, idata=idata), tmp_path / "rep")
    assert list(tmp_path.iterdir()) == []


def _number_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_cli_json_agrees_with_summary_md(run_file, tmp_path):
    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["report", str(run_file), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    numbers = json.loads(res.stdout)
    md = (out / "summary.md").read_text(encoding="utf-8")
    rows = {tuple(_number_cells(line)[:2]): _number_cells(line) for line in md.splitlines()
            if line.startswith("| ")}
    (run, r), = numbers["runs"].items()
    c = r["convergence"]
    conv = next(v for k, v in rows.items() if k[0] == run and len(v) == 7)
    assert conv[1:] == [str(c[k]) for k in ("divergences", "max_rhat", "min_ess_bulk",
                                             "min_ess_tail", "min_bfmi", "ok")]
    for outcome, v in r["loo"].items():
        assert rows[(run, outcome)][2:] == [str(v[k]) for k in ("elpd", "se", "p_loo",
                                                                 "k_above_good", "max_k", "ok")]
    for h in numbers["hypotheses"]:
        cells = rows[(h["id"], h["coefficient"])]
        assert cells[3:] == ["-" if p is None else str(p) for p in h["probabilities"].values()]
    post = FitResult.load(run_file).parameters()
    for h in numbers["hypotheses"]:
        if h["coefficient"] not in post:      # e.g. H3-H5 (dependence): not in the joint spec
            assert all(p is None for p in h["probabilities"].values())
            continue
        sign = 1 if h["sign"] == "+" else -1
        expected = round(float(np.mean(sign * post[h["coefficient"]].to_numpy() > 0)), 3)
        assert list(h["probabilities"].values()) == [expected]


def test_cli_refuses_existing_folder_and_incomplete_or_corrupt_runs(fit, run_file, tmp_path):
    runner = CliRunner()
    existing = tmp_path / "existing"
    existing.mkdir()
    res = runner.invoke(app, ["report", str(run_file), "--out", str(existing)])
    assert res.exit_code == 1 and "exists" in res.output and "Traceback" not in res.output

    idata = fit.idata.copy()
    del idata["log_likelihood"]
    partial = tmp_path / "partial.nc"
    dataclasses.replace(fit, idata=idata).save(partial)
    out = tmp_path / "rep"
    res = runner.invoke(app, ["report", str(partial), "--out", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "log_likelihood" in res.output and "bayes-alliance fit" in res.output
    assert not out.exists()

    corrupt = tmp_path / "corrupt.nc"
    corrupt.write_bytes(b"not a netcdf file")
    for bad in (corrupt, tmp_path / "missing.nc"):
        res = runner.invoke(app, ["report", str(bad), "--out", str(out)])
        assert res.exit_code == 1 and "Traceback" not in res.output and res.output.startswith(
            "error:")
    assert not out.exists() and not list(tmp_path.glob(".*part"))


def test_cli_force_never_deletes_inputs_or_the_current_folder(run_file, tmp_path, monkeypatch):
    """Issue 18, finding 1: `report runs/x.nc --out runs --force` deleted runs/."""
    runs = tmp_path / "runs"
    runs.mkdir()
    mine = runs / "mine.nc"
    mine.write_bytes(run_file.read_bytes())
    (runs / "notes.txt").write_text("keep me")
    before = sorted(p.name for p in runs.iterdir())
    runner = CliRunner()
    res = runner.invoke(app, ["report", str(mine), "--out", str(runs), "--force"])
    assert res.exit_code == 1 and "input" in res.output and "Traceback" not in res.output
    monkeypatch.chdir(runs)
    res = runner.invoke(app, ["report", "mine.nc", "--out", ".", "--force"])
    assert res.exit_code == 1 and res.output.startswith("error:")
    assert "Traceback" not in res.output
    monkeypatch.chdir(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "thesis.tex").write_text("foreign")
    res = runner.invoke(app, ["report", str(mine), "--out", str(other), "--force"])
    assert res.exit_code == 1 and "did not write" in res.output
    assert (other / "thesis.tex").read_text() == "foreign"
    assert sorted(p.name for p in runs.iterdir()) == before
    assert mine.read_bytes() == run_file.read_bytes()
    assert not list(tmp_path.glob(".*"))


def test_two_run_report_labels_runs_by_file_name(run_file, tmp_path):
    """Issue 18, finding 10: two runs were labelled "joint/theory (2)", not by file."""
    from bayes_alliance.cli.report import run_names

    other = tmp_path / "joint-again.nc"
    other.write_bytes(run_file.read_bytes())
    res = CliRunner().invoke(app, ["report", str(run_file), str(other), "--out",
                                   str(tmp_path / "rep"), "--json"])
    assert res.exit_code == 0, res.output
    assert list(json.loads(res.stdout)["runs"]) == [run_file.stem, "joint-again"]
    assert run_names([Path("a/joint.nc"), Path("b/joint.nc")]) == ["a/joint.nc", "b/joint.nc"]


def test_rank_figure_title_promises_no_band_it_does_not_draw(fit):
    from matplotlib.collections import PolyCollection

    from bayes_alliance.report.figures import rank_figure

    fig = rank_figure(fit)
    drawn = any(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)
    assert drawn or "band" not in fig._suptitle.get_text()
