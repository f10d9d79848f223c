"""`bayes-alliance replicate`: config validation, README pasting, an end-to-end tiny run."""

from __future__ import annotations

import json
import shutil
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
from bayes_alliance.pipeline import add_evidence, replicate
from bayes_alliance.replication import (
    BEGIN,
    END,
    NOT_RUN,
    load_config,
    panel_hash,
    paste_into,
    render_markdown,
)
from bayes_alliance.results import FitResult
from bayes_alliance.theory import EMPIRICAL_HYPOTHESES, HYPOTHESES, REGISTRY, check_hypotheses

runner = CliRunner()
#: a two-outcome spec (statements and spending) small enough for end-to-end runs
MINI_SPEC = Path(__file__).parent / "fixtures" / "mini_spec.toml"
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
    ('[robustness]\ncolour = "red"', None, "\\[robustness\\]: unknown key"),
    ("[robustness]\ndraws = 0", None, "draws must be a positive integer"),
    ('[out_of_sample]\nsplits = "time"', None, "splits must be a non-empty list"),
    ('[out_of_sample]\nseparate = "yes"', None, "separate true or false"),
    ("[scenarios]\nnames = []", None, "names must be a non-empty list"),
    ('[scenarios]\nnames = ["nixon-1971-korea"]\nruns = ["nope"]', None,
     "unknown run\\(s\\) \\['nope'\\]"),
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


def test_unknown_split_fails_before_fitting(tmp_path: Path, tiny_panel: Path) -> None:
    config = _config(tmp_path, tiny_panel, extra='[out_of_sample]\nsplits = ["later"]\n')
    with pytest.raises(ReplicationError, match="unknown split\\(s\\) \\['later'\\]"):
        replicate(config)
    assert not (tmp_path / "runs").exists()


def test_skipping_an_unknown_stage_fails_before_fitting(tmp_path: Path,
                                                       tiny_panel: Path) -> None:
    config = _config(tmp_path, tiny_panel)
    with pytest.raises(ReplicationError, match="cannot skip \\['fits'\\]"):
        replicate(config, skip=("fits",))
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("only", "match"), [
    ("fits", "cannot run 'fits' alone"),
    ("scenarios", "cannot run 'scenarios' alone"),
    ("robustness", "declares no \\[robustness\\] stage"),
])
def test_only_runs_a_declared_long_stage(tmp_path: Path, tiny_panel: Path, only: str,
                                         match: str) -> None:
    config = _config(tmp_path, tiny_panel)
    with pytest.raises(ReplicationError, match=match):
        replicate(config, only=only)
    res = runner.invoke(app, ["replicate", "--config", str(config), "--only", only])
    assert res.exit_code == 1 and "error:" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "runs").exists()


def test_shipped_config_declares_the_standard_runs() -> None:
    cfg = load_config()
    assert cfg.robustness is not None and cfg.robustness["grid"] == "real"
    assert cfg.out_of_sample is not None
    assert cfg.out_of_sample["splits"] == ["time", "loao", "cases"]
    assert cfg.scenarios is not None
    assert cfg.scenarios["names"] == ["nixon-1971-korea", "carter-1977-korea"]
    assert set(cfg.scenarios["runs"]) <= {r.name for r in cfg.runs}
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


def _planted_table() -> tuple[pd.DataFrame, dict]:
    """A hypotheses table of one run 'r' (planted numbers) and its summary, as replicate makes."""
    rows = []
    for h in [h for h in REGISTRY if h.id in ("H1", "H3", "H5")]:
        rows.append({"id": h.id, "derived": h.derived, "coefficient": h.coefficient,
                     "sign": "+" if h.sign > 0 else "-", "statement": h.statement,
                     "r mean": 0.2, "r lo": 0.1, "r hi": 0.3, "r P(sign)": 0.97,
                     "r prior P(sign)": 0.5, "r r_hat": 1.0, "r note": ""})
    diag = {"divergences": 0, "max_rhat": 1.0, "min_ess_bulk": 500, "min_ess_tail": 500,
            "stuck_chains": []}
    summary = {"config": "tiny.toml", "settings": {"chains": 2, "draws": 10, "tune": 10,
                                                   "sampler": "pymc"},
               "panel": {"source": "tiny", "rows": 9, "allies": 3, "first_year": 1990,
                         "last_year": 1992},
               "runs": [{"name": "r", "spec": "joint-real", "spec_hash": "abc", "priors": "weak",
                         "seed": 1, "diagnostics": diag, "sampling_seconds": 1.0}],
               "stages": {"fits": {"status": "run", "wall_seconds": 1.0},
                          "robustness": {"status": NOT_RUN},
                          "out_of_sample": {"status": NOT_RUN}}}
    return pd.DataFrame(rows), summary


def _cells(md: str, hid: str) -> list[str]:
    """The cells of hypothesis ``hid``'s row in the Markdown table."""
    row = next(line for line in md.splitlines() if line.startswith(f"| {hid}"))
    return [c.strip() for c in row.strip("|").split("|")]


def test_table_says_not_run_for_absent_stages_and_never_invents_evidence() -> None:
    table, summary = _planted_table()
    assert list(table["coefficient"]) == ["beta[reassure, exit_capacity]",
                                          "beta[milex, dependence]",
                                          "beta[intervene, dependence]"]
    md = render_markdown(add_evidence(table, None, None), summary)
    header = next(line for line in md.splitlines() if line.startswith("| H |"))
    assert header.startswith("| H | coefficient | sign | verdict | robustness | out of sample |")
    for hid in ("H1", "H3*", "H5*"):
        assert _cells(md, hid)[3:6] == [NOT_RUN] * 3
    assert "Robustness grid: not run (no [robustness] stage" in md
    assert "Out of sample: not run (no [out_of_sample] stage" in md
    # a table without the columns (one made before the stages) says the same; nothing is guessed
    assert render_markdown(table, summary) == md
    # with the stages: the grid's words, and the held-out evidence of the hypothesis's outcome
    grid = {"H1": {"verdict": "supported", "robustness": "P(sign) 0.97 in 1 of 1 cells"}}
    held = {"reassure": "time +3.0 (1.0) cover 0.90", "milex": "time -1.0 (2.0)"}
    out = add_evidence(table, grid, held, "mini")
    assert list(out["verdict"]) == ["supported", "not in the grid", "not in the grid"]
    assert list(out["out of sample"]) == ["time +3.0 (1.0) cover 0.90", "time -1.0 (2.0)",
                                          "no 'intervene' equation in mini"]
    summary["stages"]["robustness"] = {"status": "run", "description": "grid `g`",
                                       "wall_seconds": 2.0, "out": "o/robustness"}
    md = render_markdown(out, summary)
    assert "Robustness grid: grid `g` (2.0 s when run; `o/robustness`)" in md
    assert "Out of sample: not run" in md
    assert _cells(md, "H1")[3:6] == ["supported", "P(sign) 0.97 in 1 of 1 cells",
                                     "time +3.0 (1.0) cover 0.90"]


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
    assert set(table["verdict"]) == set(table["out of sample"]) == {NOT_RUN}   # no stages
    assert summary["stages"]["robustness"] == {"status": NOT_RUN}

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




def _staged_config(tmp_path: Path, panel: Path) -> Path:
    """One run of a two-outcome spec, plus a one-cell grid and a time split: all tiny."""
    spec = tmp_path / "mini.toml"
    spec.write_text(MINI_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    grid = tmp_path / "grid.toml"
    grid.write_text(f"""
name = "tinygrid"
priors = ["weak"]
[settings]
draws = 200
tune = 200
chains = 2
prior_draws = 200
sampler = "pymc"
workers = 1
[[specs]]
name = "mini"
spec = "{spec.as_posix()}"
[[panels]]
name = "tiny"
panel = "{panel.as_posix()}"
""", encoding="utf-8")
    scenario = tmp_path / "calm.toml"
    scenario.write_text("""
name = "calm"
description = "Threat falls by one index unit for South Korea and Japan, 1990-1994."
allies = ["ROK", "JPN"]
start = 1990
horizon = 5
[interventions.threat]
delta = -1.0
[history]
ally = "ROK"
spending = "Nothing happened: a test episode."
""", encoding="utf-8")
    path = tmp_path / "staged.toml"
    path.write_text(f"""
name = "staged"
panel = "{panel.as_posix()}"
out = "{(tmp_path / 'out').as_posix()}"
runs_dir = "{(tmp_path / 'runs').as_posix()}"
[settings]
draws = 30
tune = 30
chains = 2
prior_draws = 200
sampler = "pymc"
[[runs]]
name = "weak"
spec = "{spec.as_posix()}"
priors = "weak"
seed = 4
[robustness]
grid = "{grid.as_posix()}"
draws = 30
tune = 30
[out_of_sample]
spec = "{spec.as_posix()}"
priors = "weak"
splits = ["time"]
last_train_year = 1993
separate = false
draws = 30
tune = 30
chains = 1
[scenarios]
names = ["{scenario.as_posix()}"]
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def synthetic_panel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six allies of the synthetic default panel, 1980-2000 (reassurance counts not sparse)."""
    frame = ba.load_panel("default").frame
    path = tmp_path_factory.mktemp("synthetic") / "tiny.csv"
    frame[frame.ally.isin(TINY) & frame.year.between(1980, 2000)].to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_replicate_runs_the_declared_stages_end_to_end(tmp_path: Path,
                                                       synthetic_panel: Path) -> None:
    config, readme = _staged_config(tmp_path, synthetic_panel), _readme(tmp_path)
    out = tmp_path / "out"
    # the grid alone first (a session of its own): its output and key, no fit, no table
    res = runner.invoke(app, ["replicate", "--config", str(config), "--only", "robustness"])
    assert res.exit_code == 0, res.output
    assert "stage robustness: run" in res.stdout
    assert (out / "robustness" / "stage.json").is_file()
    assert not (out / "hypotheses.csv").exists() and not (tmp_path / "runs" / "weak.nc").exists()
    # then the rest; the grid's committed output is reused
    res = runner.invoke(app, ["replicate", "--config", str(config), "--readme", str(readme)])
    assert res.exit_code == 0, res.output
    assert "stage robustness: reused" in res.stdout
    assert "out_of_sample/, scenarios/" in res.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stages = summary["stages"]
    assert [stages[k]["status"] for k in ("fits", "robustness", "out_of_sample", "scenarios")
            ] == ["run", "reused", "run", "run"]
    assert all(stages[k]["wall_seconds"] > 0 for k in stages)
    assert stages["robustness"]["settings"]["draws"] == 30       # the stage's cheaper grid
    assert (stages["robustness"]["fitted"], stages["robustness"]["reused"]) == (1, 0)
    grid = json.loads((out / "robustness" / "summary.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in grid["cells"]] == ["mini-weak-tiny"]
    assert (tmp_path / "runs" / "robustness" / "mini-weak-tiny.nc").is_file()
    oos = pd.read_csv(out / "out_of_sample" / "oos.csv")
    assert set(oos["split"]) == {"time"}

    # the table's evidence is the stages' output, per hypothesis
    table = pd.read_csv(out / "hypotheses.csv", keep_default_na=False).set_index("id")
    for hid in ("H1", "H7", "H10", "H21"):
        assert table.loc[hid, "verdict"] == grid["verdicts"][hid]
        assert table.loc[hid, "robustness"] == grid["evidence"][hid]["robustness"]
        assert table.loc[hid, "robustness"].startswith("P(sign) ")
    p = pd.read_csv(out / "robustness" / "robustness.csv").set_index("id").loc["H10", "P(sign)"]
    assert f"P(sign) {p:.2f} in 1 of 1 cells" in table.loc["H10", "robustness"]
    assert table.loc["H13", "verdict"] == "not estimated"
    milex = oos[(oos.outcome == "milex")].set_index("model")
    expected = (f"time {-milex.loc['glm', 'elpd_diff']:+.1f} ({milex.loc['glm', 'se_diff']:.1f})"
                f" cover {milex.loc['joint', 'cover90']:.2f}")
    assert table.loc["H10", "out of sample"].startswith(expected)
    assert table.loc["H13", "out of sample"] == "no 'exit' equation in " + str(
        tmp_path / "mini.toml")
    assert NOT_RUN not in set(table["verdict"]) | set(table["out of sample"])
    md = (out / "hypotheses.md").read_text(encoding="utf-8")
    assert f"{BEGIN}\n{md}{END}" in readme.read_text(encoding="utf-8")
    assert "Robustness grid: grid `grid.toml`, 1 cells + 0 identification refits" in md
    # labels for the scenarios come from the grid's summary
    assert set(grid["identification_labels"]) == {"beta[reassure, exit_capacity]",
                                                  "beta[milex, threat]",
                                                  "beta[milex, reassurance]",
                                                  "beta[reassure, threat]"}
    # ... and reach the scenario's drivers, saved with its result and set out in scenarios.md
    assert stages["scenarios"]["identification"] == "robustness stage"
    drivers = pd.read_csv(out / "scenarios" / "calm" / "weak" / "drivers.csv")
    assert set(drivers["coefficient"]) == {"beta[milex, threat]", "beta[reassure, threat]",
                                           "beta[milex, reassurance]"}
    for d in drivers.itertuples():
        assert d.identification == grid["identification_labels"][d.coefficient]
    page = (out / "scenarios" / "scenarios.md").read_text(encoding="utf-8")
    assert "### calm" in page and "Nothing happened: a test episode." in page
    effect = pd.read_csv(out / "scenarios" / "calm" / "weak" / "summary.csv")
    row = effect[(effect.outcome == "milex") & (effect.ally == "ROK")
                 & (effect.year.astype(str) == "all")].iloc[0]
    assert f"{row.effect_mean:#.3g} [{row.effect_lo:#.3g}, {row.effect_hi:#.3g}]" in page
    for d in drivers.itertuples():
        assert f"| `{d.coefficient}` | {d.channel} | {d.mean:+.2f} [" in page

    # resumable: the run is reused, and so is each stage's committed output (its key holds),
    # even without the saved fits of a fresh checkout
    shutil.rmtree(tmp_path / "runs" / "robustness")
    shutil.rmtree(tmp_path / "runs" / "out_of_sample")
    again = replicate(config, readme=None)
    assert [r["status"] for r in again["runs"]] == ["reused"]
    assert again["stages"]["robustness"]["status"] == "reused"
    assert again["stages"]["out_of_sample"]["status"] == "reused"
    assert not (tmp_path / "runs" / "robustness").exists()
    again_table = pd.read_csv(out / "hypotheses.csv", keep_default_na=False).set_index("id")
    assert again_table[["verdict", "robustness", "out of sample"]].equals(
        table[["verdict", "robustness", "out of sample"]])

    # a changed input reruns the stage: fewer tuning steps change the grid's key
    config.write_text(config.read_text(encoding="utf-8").replace(
        "tune = 30\n[out_of_sample]", "tune = 20\n[out_of_sample]"), encoding="utf-8")
    third = replicate(config, readme=None, skip=("out_of_sample", "scenarios"))
    assert third["stages"]["robustness"]["status"] == "run"
    assert third["stages"]["robustness"]["fitted"] == 1
    assert third["stages"]["robustness"]["settings"]["tune"] == 20
