"""What `--force` may replace: the shared rules of bayes_alliance.io, and the CLI verbs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.errors import ScenarioError
from bayes_alliance.io import check_output_dir, check_output_file, marker_path, replace_dir
from bayes_alliance.scenarios.result import check_outputs


def test_output_file_is_never_an_input_or_a_folder(tmp_path):
    data = tmp_path / "panel.csv"
    data.write_text("ally,year\n")
    for force in (False, True):
        with pytest.raises(FileExistsError, match="input"):
            check_output_file(tmp_path / "." / "panel.csv", force=force, inputs=[None, data])
        with pytest.raises(FileExistsError, match="folder"):
            check_output_file(tmp_path, force=force)
    with pytest.raises(FileExistsError, match="already exists"):
        check_output_file(data, force=False)
    assert check_output_file(data, force=True) == data
    assert check_output_file(tmp_path / "new.nc", force=False) == tmp_path / "new.nc"


def test_output_dir_rules(tmp_path, monkeypatch):
    run = tmp_path / "runs" / "mine.nc"
    run.parent.mkdir()
    run.write_text("x")
    for force in (False, True):
        with pytest.raises(FileExistsError, match="input"):
            check_output_dir(tmp_path / "runs", kind="report", force=force, inputs=[run])
        with pytest.raises(FileExistsError, match="input"):  # a folder above the input too
            check_output_dir(tmp_path, kind="report", force=force, inputs=[run])
        with pytest.raises(FileExistsError, match="did not write"):
            check_output_dir(tmp_path / "runs", kind="report", force=force)
    monkeypatch.chdir(tmp_path / "runs")
    for out in (".", "..", str(tmp_path / "runs")):
        with pytest.raises(FileExistsError, match="current folder"):
            check_output_dir(out, kind="report", force=True)
    mine = tmp_path / "rep"
    mine.mkdir()
    with pytest.raises(FileExistsError, match="--force"):
        check_output_dir(mine, kind="report", force=False)
    assert check_output_dir(mine, kind="report", force=True) == mine  # empty
    (mine / "index.html").write_text("old")
    marker_path(mine, "report").write_text("")
    assert check_output_dir(mine, kind="report", force=True) == mine
    with pytest.raises(FileExistsError, match="did not write"):  # another command's marker
        check_output_dir(mine, kind="scenario", force=True)


def test_replace_dir_swaps_a_marked_folder_and_keeps_a_foreign_one(tmp_path):
    out = tmp_path / "rep"
    for text in ("first", "second"):
        tmp = tmp_path / f".tmp-{text}"
        tmp.mkdir()
        (tmp / "index.html").write_text(text)
        replace_dir(tmp, out, kind="report", force=True)
        assert (out / "index.html").read_text() == text and not tmp.exists()
    assert marker_path(out, "report").is_file()
    marker_path(out, "report").unlink()
    tmp = tmp_path / ".tmp-third"
    tmp.mkdir()
    with pytest.raises(FileExistsError, match="did not write"):
        replace_dir(tmp, out, kind="report", force=True)
    assert (out / "index.html").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-third", "rep"]


def test_scenario_outputs_replace_only_their_own_files(tmp_path):
    out = tmp_path / "scen"
    out.mkdir()
    (out / "thesis.tex").write_text("foreign")
    check_outputs(out, ["summary.csv", "scenario.json"], force=False)  # foreign files: fine
    (out / "summary.csv").write_text("old")
    with pytest.raises(ScenarioError, match="--force"):
        check_outputs(out, ["summary.csv"], force=False)
    check_outputs(out, ["summary.csv"], force=True)
    with pytest.raises(ScenarioError, match="input"):
        check_outputs(out, ["summary.csv"], force=True, inputs=[out / "summary.csv"])


def test_fit_refuses_to_write_over_its_panel_and_offers_drop_missing(tmp_path):
    panel = tmp_path / "panel.csv"
    panel.write_text("ally,year,threat,exit_capacity,importance,retrench,us_troops\n"
                     "JPN,1980,0.1,0.2,0.3,0.4,10\nJPN,1981,,0.2,0.3,0.4,10\n")
    before = panel.read_bytes()
    runner = CliRunner()
    res = runner.invoke(app, ["fit", "--data", str(panel), "--out", str(panel), "--force"])
    assert res.exit_code == 1 and "input" in res.output and panel.read_bytes() == before
    res = runner.invoke(app, ["fit", "--data", str(panel), "--spec", "no-such-spec"])
    assert res.exit_code == 1 and "--drop-missing" in res.output
    # with the option the panel passes (one row dropped) and the next check speaks: the spec
    res = runner.invoke(app, ["fit", "--data", str(panel), "--spec", "no-such-spec",
                              "--drop-missing"])
    assert res.exit_code == 1 and "--drop-missing" not in res.output
    assert "no-such-spec" in res.output
    res = runner.invoke(app, ["data", "info", str(panel), "--drop-missing", "--json"])
    assert res.exit_code == 0, res.output


def test_output_paths_of_other_verbs_are_checked(tmp_path):
    runner = CliRunner()
    png = tmp_path / "fig.png"
    png.write_text("old")
    res = runner.invoke(app, ["theory", "figure", "--out", str(png)])
    assert res.exit_code == 1 and "--force" in res.output and png.read_text() == "old"
    corpus = tmp_path / "speeches.txt"
    corpus.write_text("We stand with Japan.\n")
    res = runner.invoke(app, ["measure", "--corpus", str(corpus), "--out", str(corpus),
                              "--force"])
    assert res.exit_code == 1 and "input" in res.output
    assert corpus.read_text() == "We stand with Japan.\n"
    assert Path(corpus).is_file()
