"""`bayes-alliance replicate`: config validation, README pasting, an end-to-end tiny run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import bayes_alliance as ba
from bayes_alliance.cli import app
from bayes_alliance.diagnostics_compare import sign_probability
from bayes_alliance.errors import ReplicationError, SpecError, TheoryError
from bayes_alliance.models.spec import load_spec
from bayes_alliance.replication import BEGIN, END, load_config, panel_hash, paste_into, replicate
from bayes_alliance.results import FitResult
from bayes_alliance.theory import EMPIRICAL_HYPOTHESES, HYPOTHESES, REGISTRY, check_hypotheses

runner = CliRunner()
TINY = ["ROK", "JPN", "GFR", "UKG", "TUR", "NOR"]


def _config(tmp_path: Path, panel: Path, *, seeds: tuple[int, int] = (1, 2),
            extra: str = "") -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(f"""
name = "tiny"
panel = "{panel.as_posix()}"
out = "{(tmp_path / 'out').as_posix()}"
runs_dir = "{(tmp_path / 'runs').as_posix()}"
{extra}
[settings]
draws = 25
tune = 25
chains = 2
prior_draws = 400
sampler = "pymc"
[[runs]]
name = "theory"
spec = "joint-real"
priors = "theory"
seed = {seeds[0]}
[[runs]]
name = "weak"
spec = "joint-real"
priors = "weak"
seed = {seeds[1]}
""", encoding="utf-8")
    return path


def _readme(tmp_path: Path) -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"# Title\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_panel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = ba.load_panel("real").frame
    path = tmp_path_factory.mktemp("panel") / "tiny.csv"
    frame[frame.ally.isin(TINY) & (frame.year >= 1985)].to_csv(path, index=False)
    return path


# ---------------------------------------------------------------- registry and contract


def test_empirical_hypotheses_are_marked_and_cited() -> None:
    assert [h.id for h in EMPIRICAL_HYPOTHESES] == ["H3", "H4", "H5"]
    for h in EMPIRICAL_HYPOTHESES:
        assert not h.derived and "Blankenship" in h.source
        assert h.driver == "dependence" and h.sign == 1
        assert h not in HYPOTHESES                   # the game's set signs the theory priors
    assert [h.id for h in REGISTRY][:5] == ["H1", "H2", "H3", "H4", "H5"]
    assert len(REGISTRY) == len(HYPOTHESES) + 3
    spec = load_spec("joint-real")
    assert "dependence" in spec.outcome("milex").terms
    assert "dependence" in spec.outcome("intervene").terms
    assert "threat_other" in spec.outcome("milex").terms
    with pytest.raises(TheoryError, match="empirical"):
        check_hypotheses(EMPIRICAL_HYPOTHESES[:1], draws=100)


def test_spec_with_an_optional_covariate_the_panel_lacks_is_a_spec_error() -> None:
    assert "dependence" not in ba.load_panel("default").frame   # user panels may lack it
    ba.AllianceModel.from_spec("joint", "default")               # ... and still fit specs without
    with pytest.raises(SpecError, match="'dependence' is not in the panel"):
        ba.AllianceModel.from_spec("joint-real", "default")
    frame = ba.load_panel("real").frame.copy()
    frame.loc[3, "threat_other"] = np.nan
    with pytest.raises(SpecError, match="'threat_other' has 1 missing value"):
        ba.AllianceModel.from_spec("joint-real", frame)


# ---------------------------------------------------------------- config and README


@pytest.mark.parametrize(("extra", "runs", "match"), [
    ('colour = "red"', None, "unknown key"),
    ("", '[[runs]]\nspec = "joint-real"\npriors = "weak"\n', "missing key"),
    ("", '[[runs]]\nspec = "joint-real"\npriors = "weak"\nseed = 1\n'
         '[[runs]]\nspec = "joint-real"\npriors = "weak"\nseed = 2\n', "unique"),
    ("", "", "no \\[\\[runs\\]\\]"),
    ("", '[[runs]]\nspec = "joint-real"\npriors = "weak"\nseed = 1\ninit = "best"\n',
     "init must be one of"),
])
def test_bad_config_names_the_key(tmp_path: Path, extra: str, runs: str | None,
                                  match: str) -> None:
    path = tmp_path / "bad.toml"
    body = runs if runs is not None else '[[runs]]\nspec = "joint"\npriors = "weak"\nseed = 1\n'
    path.write_text(f'name = "bad"\n{extra}\n{body}', encoding="utf-8")
    with pytest.raises(ReplicationError, match=match):
        load_config(path)
    res = runner.invoke(app, ["replicate", "--config", str(path), "--no-readme"])
    assert res.exit_code == 1 and "error:" in res.output and "Traceback" not in res.output


def test_shipped_config_declares_the_standard_runs() -> None:
    cfg = load_config()
    assert {(r.spec, r.priors) for r in cfg.runs} == {
        ("joint-real", "theory"), ("joint-real", "weak"), ("joint-real-time", "theory"),
        ("joint-real-measured", "theory"), ("joint-real-measured", "weak")}
    # the statements-only spec under weak priors starts in its main mode (issue 17)
    assert next(r for r in cfg.runs if r.name == "weak").init == "mode"
    assert len({r.seed for r in cfg.runs}) == len(cfg.runs)
    s = cfg.settings
    assert (s["chains"], s["draws"], s["tune"], s["sampler"]) == (4, 1000, 1000, "nutpie")
    assert cfg.runs_dir.parts[0] == "runs"          # big NetCDF files stay out of git


def test_paste_replaces_only_the_marked_block(tmp_path: Path) -> None:
    readme = _readme(tmp_path)
    paste_into(readme, "| new | table |\n")
    assert readme.read_text(encoding="utf-8") == (
        f"# Title\n\nbefore\n{BEGIN}\n| new | table |\n{END}\nafter\n")
    paste_into(readme, "second\n")                       # idempotent on its own output
    assert "new" not in readme.read_text(encoding="utf-8")
    bare = tmp_path / "bare.md"
    bare.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ReplicationError, match="replication:hypotheses"):
        paste_into(bare, "x\n")


def test_readme_without_markers_fails_before_fitting(tmp_path: Path, tiny_panel: Path) -> None:
    bare = tmp_path / "bare.md"
    bare.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ReplicationError, match="must contain"):
        replicate(_config(tmp_path, tiny_panel), readme=bare)
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------- end to end (samples)


@pytest.mark.slow
def test_replicate_end_to_end_and_resumes(tmp_path: Path, tiny_panel: Path) -> None:
    config, readme = _config(tmp_path, tiny_panel), _readme(tmp_path)
    res = runner.invoke(app, ["replicate", "--config", str(config), "--readme", str(readme)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in summary["runs"]] == ["fitted", "fitted"]
    assert summary["panel"]["allies"] == len(TINY) and summary["versions"]["pymc"]
    assert set(summary["machine"]["start"]) >= {"cpus", "load_average"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["theory.json", "weak.json"]
    assert not list(out.rglob("*.nc"))                    # fits go to runs_dir only

    table = pd.read_csv(out / "hypotheses.csv").set_index("id")
    assert {"H3", "H4", "H5", "H7"} <= set(table.index) and "H9" not in table.index
    assert "'hns' equation" in table.loc["H4", "theory note"]
    assert "reassurance:retrench" in table.loc["H16", "weak note"]
    # the table's numbers are those of the saved draws
    fit = FitResult.load(tmp_path / "runs" / "weak.nc")
    draws = fit.parameters()["beta[milex, dependence]"].to_numpy()
    assert table.loc["H3", "weak mean"] == pytest.approx(draws.mean(), abs=1e-4)
    assert table.loc["H3", "weak P(sign)"] == pytest.approx(sign_probability(draws, 1), abs=1e-4)
    assert table.loc["H3", "weak lo"] < table.loc["H3", "weak mean"] < table.loc["H3", "weak hi"]
    # prior-only: the weak Normal(0, 1) slope is symmetric; the theory prior of H13 is signed
    assert table.loc["H3", "weak prior P(sign)"] == pytest.approx(0.5, abs=0.1)
    assert table.loc["H13", "theory prior P(sign)"] > 0.8
    text = readme.read_text(encoding="utf-8")
    md = (out / "hypotheses.md").read_text(encoding="utf-8")
    assert text == f"# Title\n\nbefore\n{BEGIN}\n{md}{END}\nafter\n"
    assert "| H3* |" in md and "theory: P(sign) (prior)" in md

    # resumable: same inputs reuse both runs; a new seed refits that run only
    again = replicate(config, readme=None)
    assert [r["status"] for r in again["runs"]] == ["reused", "reused"]
    moved = replicate(_config(tmp_path, tiny_panel, seeds=(1, 3)), readme=None)
    assert [r["status"] for r in moved["runs"]] == ["reused", "fitted"]


def test_readme_table_is_the_committed_replication_output() -> None:
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    md = (root / "reports" / "replication" / "hypotheses.md").read_text(encoding="utf-8")
    assert f"{BEGIN}\n{md}{END}" in readme, ("README's real-data table differs from "
                                             "reports/replication/hypotheses.md; rerun "
                                             "`bayes-alliance replicate`")
    summary = json.loads((root / "reports" / "replication" / "summary.json")
                         .read_text(encoding="utf-8"))
    assert summary["panel"]["hash"] == panel_hash(ba.load_panel("real").frame), (
        "the committed replication output was made from another real panel; rerun "
        "`bayes-alliance replicate`")
