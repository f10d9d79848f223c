"""`bayes-alliance demo`: it saves its run without clobbering a user's file and says what next."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.cli import demo as demo_cli
from bayes_alliance.errors import ResultError


def test_demo_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    foreign = tmp_path / "demo.nc"
    foreign.write_bytes(b"my own notes, not a run")
    res = CliRunner().invoke(app, ["demo", "--run", str(foreign), "--out",
                                   str(tmp_path / "report")])
    assert res.exit_code == 1
    assert "not written by `bayes-alliance demo`" in res.output and "--force" in res.output
    assert "Traceback" not in res.output
    assert foreign.read_bytes() == b"my own notes, not a run"
    assert not (tmp_path / "report").exists()


def test_demo_refuses_a_folder_as_run(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match="is a folder"):
        demo_cli.check_run_target(tmp_path, force=True)


def test_demo_recognises_its_own_run(known_joint_fit, tmp_path: Path) -> None:
    own, other = tmp_path / "own.nc", tmp_path / "other.nc"
    known_joint_fit.save(other)
    assert not demo_cli.demo_owned(other)
    with pytest.raises(ResultError, match="not written by"):
        demo_cli.check_run_target(other, force=False)
    demo_cli.check_run_target(other, force=True)
    known_joint_fit.info["made_by"] = demo_cli.MADE_BY
    try:
        known_joint_fit.save(own)
    finally:
        del known_joint_fit.info["made_by"]
    assert demo_cli.demo_owned(own)
    demo_cli.check_run_target(own, force=False)
    demo_cli.check_run_target(tmp_path / "absent.nc", force=False)


@pytest.mark.slow
def test_demo_saves_its_run_prints_the_scenario_and_the_next_commands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bayes_alliance.results import FitResult

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo_cli, "DEMO_SETTINGS",
                        {"draws": 30, "tune": 30, "chains": 2, "random_seed": 1})
    res = CliRunner().invoke(app, ["demo"])
    assert res.exit_code == 0, res.output
    assert "compiling the model" in res.stderr
    run = Path("runs/demo.nc")
    assert FitResult.load(run).info["made_by"] == demo_cli.MADE_BY
    assert (Path("reports/demo") / "index.html").is_file()
    out = res.stdout
    assert "carter-1977-korea (ROK, 1978-1985)" in out
    for label in ("military spending", "participation", "exit"):
        assert label in out.lower()
    last = out.strip().splitlines()[-4:]
    assert last[0] == "next, try:"
    assert [line.split()[1] for line in last[1:]] == ["report", "scenario", "fit"]
    assert str(run) in last[1] and str(run) in last[2]
    # so a second demo may replace its own run without --force
    demo_cli.check_run_target(run, force=False)
