"""Identification made visible and the robustness grid (issue 14, items 2 and 3).

Spec option ``all_covariates``, exclusions and relaxations, the identification
table on planted draws, the verdict rules, grid validation; and (slow) the grid
end to end on a tiny real panel through Dask, with resumption.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import bayes_alliance as ba
from bayes_alliance.cli import app
from bayes_alliance.diagnostics_compare import sign_probability
from bayes_alliance.errors import ReplicationError, SpecError, ValidationRunError
from bayes_alliance.identification import (
    identification_frame,
    latent_hypotheses,
    relaxations,
    render_identification,
    spec_exclusions,
)
from bayes_alliance.models.spec import load_spec, parse_spec
from bayes_alliance.resources import models_path
from bayes_alliance.results import FitResult
from bayes_alliance.robustness import (
    cell_verdict,
    hypothesis_evidence,
    identification_labels,
    load_grid,
    overall_verdict,
    power_scaling,
)
from bayes_alliance.validation.fakedata import fake_data_check

runner = CliRunner()
#: a two-outcome spec (statements and spending) small enough for end-to-end runs
MINI_SPEC = Path(__file__).parent / "fixtures" / "mini_spec.toml"
TINY = ["ROK", "JPN", "GFR", "UKG", "TUR", "NOR"]


# ---------------------------------------------------------------- all_covariates


def test_all_covariates_puts_every_covariate_in_every_equation() -> None:
    raw = tomllib.loads((models_path("joint.toml")).read_text(encoding="utf-8"))
    declared = parse_spec(raw, where="joint.toml")
    spec = parse_spec({**raw, "all_covariates": True}, where="joint.toml")
    columns = {"exit_capacity", "importance", "threat", "retrench", "us_troops"}
    for o in spec.outcomes:
        mains = {t for t in o.covariate_terms if ":" not in t}
        assert mains == columns, o.name
        # declared terms keep their order; latent terms stay last (the design matrices need it)
        old = declared.outcome(o.name)
        assert o.terms[:len(old.covariate_terms)] == old.covariate_terms
        assert o.terms[-len(old.latent_terms) or len(o.terms):] == old.latent_terms \
            or not old.latent_terms
        # the latent equation's interaction joins every equation with a latent term; other
        # interactions stay in the equation that declared them
        spread = {"exit_capacity:importance"} if old.latent_terms else set()
        assert {t for t in o.covariate_terms if ":" in t} == \
            {t for t in old.covariate_terms if ":" in t} | spread
    assert spec.with_all_covariates() == spec                    # idempotent
    assert spec_exclusions(spec) == {"milex": (), "intervene": (), "exit": ()}
    with pytest.raises(SpecError, match="all_covariates"):
        parse_spec({**raw, "all_covariates": "yes"}, where="joint.toml")


def test_the_all_covariates_model_builds_with_its_extra_slopes() -> None:
    spec = load_spec("joint-real").with_all_covariates()
    model = ba.AllianceModel.from_spec(spec, "real", "theory")
    terms = model.pymc_model.coords["term_exit"]
    assert "importance" in terms and terms[-1] == "reassurance"
    assert "dependence" in model.pymc_model.coords["term_reassure"]


# ---------------------------------------------------------------- exclusions


def test_exclusions_and_relaxations_of_joint_real() -> None:
    spec = load_spec("joint-real")
    assert spec_exclusions(spec) == {"milex": (), "intervene": ("exit_capacity", "retrench"),
                                     "exit": ("importance", "retrench")}
    relax = relaxations(spec)
    assert [r.label for r in relax] == ["intervene+exit_capacity", "intervene+retrench",
                                        "intervene+all", "exit+importance", "exit+retrench",
                                        "exit+all"]
    both = relax[2].spec.outcome("intervene").terms
    assert both == ("threat", "importance", "us_troops", "dependence", "exit_capacity",
                    "retrench", "reassurance")
    assert relax[3].spec.outcome("intervene") == spec.outcome("intervene")   # only its outcome
    assert [h.id for h in latent_hypotheses()] == ["H10", "H15", "H16", "H24"]


def test_identification_table_flags_an_exclusion_driven_sign(known_fit_factory) -> None:
    """Planted slopes alternate in sign by term position (conftest), so adding exit_capacity
    before the latent terms of `milex` moves beta[milex, reassurance] from -0.6 to +0.7."""
    base = known_fit_factory()
    (relax, *_) = relaxations(base.spec)
    assert relax.label == "milex+exit_capacity"
    relaxed = known_fit_factory(seed=1, spec=relax.spec)
    table = identification_frame(base, {relax.label: relaxed})
    row = table.set_index("id").loc["H10"]
    assert row["identified_by"] == "exit_capacity, exit_capacity:importance"
    assert row["relaxed"] == "exit_capacity"
    x = base.parameters()["beta[milex, reassurance]"].to_numpy()
    assert row["base mean"] == pytest.approx(-0.6, abs=0.02)
    assert row["relaxed mean"] == pytest.approx(0.7, abs=0.02)
    assert row["base P(sign)"] == pytest.approx(sign_probability(x, -1))
    assert row["shift_sd"] == pytest.approx(1.3 / x.std(), rel=0.05)
    assert bool(row["exclusion_driven"])
    # outcomes without a relaxed fit are listed with their exclusions and nothing relaxed
    h24 = table.set_index("id").loc["H24"]
    assert h24["identified_by"] == "exit_capacity, retrench, exit_capacity:importance"
    assert h24["relaxed"] == ""
    md = render_identification(table)
    assert "**sign flips**" in md and "(no exclusion to relax)" in md


# ---------------------------------------------------------------- verdict rules


@pytest.mark.parametrize(("args", "verdict"), [
    ((np.nan, 0.5, 1.0, 0.1, 0.1), "not estimated"),
    ((0.99, 0.5, 1.05, 0.01, 0.2), "not identified"),        # chains disagree
    ((0.99, 0.5, 1.00, 0.01, 0.01), "not identified"),       # the data hardly move it
    ((0.99, 0.90, 1.00, 0.10, 0.20), "prior-driven"),        # signed, influential prior
    ((0.99, 0.90, 1.00, 0.01, 0.20), "supported"),           # signed prior, not influential
    ((0.02, 0.90, 1.00, 0.10, 0.20), "contradicted"),        # data against a signed prior
    ((0.99, 0.50, 1.00, 0.10, 0.20), "supported"),           # influential but unsigned prior
    ((0.70, 0.50, 1.00, 0.01, 0.20), "inconclusive"),
])
def test_cell_verdict_rules(args: tuple[float, ...], verdict: str) -> None:
    assert cell_verdict(*args) == verdict


@pytest.mark.parametrize(("verdicts", "flipped", "overall"), [
    (["supported", "prior-driven", "not estimated"], False, "supported"),
    (["supported", "supported"], True, "not identified"),
    (["supported", "not identified"], False, "not identified"),
    (["prior-driven", "prior-driven"], False, "prior-driven"),
    (["supported", "contradicted"], False, "inconclusive"),
    (["contradicted", "contradicted"], False, "contradicted"),
    (["not estimated"], False, "not estimated"),
])
def test_overall_verdict_rules(verdicts: list[str], flipped: bool, overall: str) -> None:
    assert overall_verdict(verdicts, flipped) == overall


def test_evidence_counts_cells_and_names_the_flags() -> None:
    cells = ["a", "b", "c"]
    frame = pd.DataFrame(
        [{"id": "H10", "coefficient": "beta[milex, reassurance]", "cell": c, "P(sign)": p,
          "verdict": v, "overall": "not identified"}
         for c, p, v in zip(cells, [0.97, 0.99, 0.62], ["supported", "supported",
                                                        "inconclusive"], strict=True)]
        + [{"id": "H13", "coefficient": "beta[exit, us_troops]", "cell": c, "P(sign)": np.nan,
            "verdict": "not estimated", "overall": "not estimated"} for c in cells]
        + [{"id": "H7", "coefficient": "beta[milex, threat]", "cell": c, "P(sign)": 0.99,
            "verdict": "supported", "overall": "supported"} for c in cells[:2]]
        + [{"id": "H7", "coefficient": "beta[milex, threat]", "cell": "c", "P(sign)": np.nan,
            "verdict": "not estimated", "overall": "supported"}])
    ident = pd.DataFrame([{"id": "H10", "relaxed": "milex+exit_capacity",
                           "exclusion_driven": True},
                          {"id": "H10", "relaxed": "milex+all", "exclusion_driven": False}])
    fake = pd.DataFrame([{"id": "H10", "label": "identified", "coverage90": 0.75,
                          "sign_recovery": 1.0}])
    ev = hypothesis_evidence(frame, ident, fake).set_index("id")
    assert ev.loc["H10", "verdict"] == "not identified"
    assert ev.loc["H10", "robustness"] == (
        "P(sign) 0.62-0.99 in 3 of 3 cells: 2 supported, 1 inconclusive; sign flips when "
        "relaxing milex+exit_capacity; fake data: identified (90% coverage 0.75, sign "
        "recovery 1.00)")
    assert ev.loc["H7", "robustness"] == "P(sign) 0.99 in 2 of 3 cells: 2 supported"
    assert ev.loc["H13", "robustness"] == "no cell of 3 estimates it"
    assert identification_labels(ev.reset_index()) == {
        "beta[milex, reassurance]": "not identified", "beta[milex, threat]": "identified"}


def test_fake_data_check_needs_replicates_and_a_coefficient(known_joint_fit) -> None:
    with pytest.raises(ValidationRunError, match="at least one replicate"):
        fake_data_check(known_joint_fit, reps=0)
    with pytest.raises(ValidationRunError, match="no hypothesis coefficient"):
        fake_data_check(known_joint_fit, hypotheses=[])


def test_power_scaling_needs_the_log_prior(known_joint_fit) -> None:
    with pytest.raises(ReplicationError, match="log_prior"):
        power_scaling(known_joint_fit)


# ---------------------------------------------------------------- grid files


def test_shipped_grid_declares_the_issue_grid() -> None:
    grid = load_grid("real")
    assert len(grid.grid_cells) == 9
    assert {c.priors for c in grid.grid_cells} == {"theory", "weak", "skeptical"}
    assert len(grid.cells) == 9 + 6                               # + the relaxations
    cell = next(c for c in grid.cells if c.name == "joint-real-all-weak-real")
    assert spec_exclusions(cell.spec) == {"milex": (), "intervene": (), "exit": ()}
    assert len({c.seed for c in grid.cells}) == len(grid.cells)
    assert {c.init for c in grid.cells} == {"mode"}               # every chain at the main mode


def test_a_cells_start_reaches_its_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bayes_alliance.robustness as robustness

    cell = next(c for c in load_grid("real").cells if c.name == "joint-real-weak-real")
    seen = {}

    def fake_fit_or_reuse(model, run, settings, path, log, finish):
        seen["run"] = run
        return None, "fitted"

    monkeypatch.setattr(robustness, "fit_or_reuse", fake_fit_or_reuse)
    out = robustness.fit_cell(cell, {}, tmp_path)
    assert out["status"] == "fitted"
    assert (seen["run"].init, seen["run"].seed, seen["run"].priors) == ("mode", cell.seed, "weak")


GOOD = """
name = "g"
priors = ["weak"]
[[specs]]
name = "a"
spec = "joint-real"
"""


@pytest.mark.parametrize(("body", "match"), [
    (GOOD + 'colour = "red"\n', "unknown key"),
    (GOOD.replace('priors = ["weak"]', "priors = []"), "priors must be a non-empty list"),
    (GOOD.replace('spec = "joint-real"', ""), "missing key 'spec'"),
    (GOOD + '[[specs]]\nname = "a"\nspec = "joint"\n', "names must be unique"),
    (GOOD.replace('name = "a"', 'name = "a b"'), "name of letters"),
    (GOOD + "[settings]\nworkers = 0\n", "workers must be a positive integer"),
    (GOOD + "[settings]\ndraws = -3\n", "draws must be a positive integer"),
    (GOOD + "[settings]\ncolour = 1\n", r"\[settings\]: unknown key"),
    (GOOD + '[settings]\ninit = "best"\n', r"init must be one of \['default', 'mode'\]"),
    (GOOD + '[identification]\nspecs = ["b"]\n', "not among the \\[\\[specs\\]\\] names"),
    (GOOD + '[identification]\npriors = "theory"\n', "must be among the grid's priors"),
    (GOOD.replace('spec = "joint-real"', 'spec = "jiont"'), "did you mean 'joint'"),
    ("priors = [", "not valid TOML"),
    (GOOD + '[fake_data]\ncell = "nope"\n', "is not a grid cell"),
    (GOOD + '[fake_data]\ncell = "a-weak-real"\nreps = 0\n', "reps must be a positive"),
    (GOOD + '[fake_data]\ncell = "a-weak-real"\nrep = 3\n', r"\[fake_data\]: unknown key"),
])
def test_bad_grid_is_a_clear_error(tmp_path: Path, body: str, match: str) -> None:
    path = tmp_path / "grid.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises((ReplicationError, SpecError), match=match):
        load_grid(path)
    res = runner.invoke(app, ["robustness", "--grid", str(path)])
    assert res.exit_code == 1 and res.output.startswith("error: ")
    assert "Traceback" not in res.output


# ---------------------------------------------------------------- end to end (samples)


@pytest.fixture(scope="module")
def tiny_grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grid")
    frame = ba.load_panel("real").frame
    frame[frame.ally.isin(TINY) & (frame.year >= 1985)].to_csv(root / "panel.csv", index=False)
    (root / "mini.toml").write_text(MINI_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "grid.toml").write_text(f"""
name = "tiny"
out = "{(root / 'out').as_posix()}"
runs_dir = "{(root / 'runs').as_posix()}"
priors = ["theory", "weak"]
[settings]
draws = 40
tune = 40
chains = 2
prior_draws = 300
sampler = "pymc"
workers = 2
[[specs]]
name = "mini"
spec = "{(root / 'mini.toml').as_posix()}"
[[panels]]
name = "tiny"
panel = "{(root / 'panel.csv').as_posix()}"
[identification]
priors = "weak"
[fake_data]
cell = "mini-weak-tiny"
reps = 2
draws = 30
tune = 30
chains = 1
""", encoding="utf-8")
    return root


@pytest.mark.slow
def test_grid_runs_end_to_end_on_dask_and_resumes(tiny_grid: Path) -> None:
    grid, out, runs = tiny_grid / "grid.toml", tiny_grid / "out", tiny_grid / "runs"
    res = runner.invoke(app, ["robustness", "--grid", str(grid)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    names = ["mini-theory-tiny", "mini-weak-tiny", "mini-weak-tiny-relax-milex+exit_capacity"]
    assert [c["name"] for c in summary["cells"]] == names
    assert [c["status"] for c in summary["cells"]] == ["fitted"] * 3
    assert [c["init"] for c in summary["cells"]] == ["default"] * 3
    assert sorted(p.name for p in runs.iterdir()) == sorted(f"{n}.nc" for n in names)

    # every fit carries the log prior of the top-level parameters on the log-likelihood draws
    fit = FitResult.load(runs / "mini-weak-tiny.nc")
    assert set(fit.idata["log_prior"].data_vars) >= {"intercept", "beta_milex", "sd_ally"}
    assert fit.info["init"]["kind"] == "default"                  # the grid's start reached it
    assert "z_ally" not in fit.idata["log_prior"].data_vars
    assert (fit.idata["log_prior"]["draw"].to_numpy()
            == fit.idata["log_likelihood"]["draw"].to_numpy()).all()

    table = pd.read_csv(out / "robustness.csv")
    assert set(table["cell"]) == set(names[:2])
    h10 = table[(table["id"] == "H10")].set_index("priors")
    draws = fit.parameters()["beta[milex, reassurance]"].to_numpy()
    assert h10.loc["weak", "P(sign)"] == pytest.approx(sign_probability(draws, -1), abs=1e-4)
    assert 0 <= h10.loc["theory", "prior P(sign)"] <= 1
    # the psense columns are ArviZ's numbers for this fit
    sens = power_scaling(fit).loc["beta[milex, reassurance]"]
    assert h10.loc["weak", "psense prior"] == pytest.approx(sens["prior"], abs=1e-4)
    assert h10.loc["weak", "psense likelihood"] == pytest.approx(sens["likelihood"], abs=1e-4)
    assert set(table["verdict"]) <= {"supported", "contradicted", "not identified",
                                     "prior-driven", "inconclusive", "not estimated"}
    assert (table.loc[table["id"] == "H13", "verdict"] == "not estimated").all()
    assert summary["verdicts"]["H10"] == h10["overall"].iloc[0]
    md = (out / "robustness.md").read_text(encoding="utf-8")
    assert "| H10 | `beta[milex, reassurance]` | - |" in md and "| H13 |" not in md
    assert "Verdict rules" in md
    ident = pd.read_csv(out / "identification.csv", keep_default_na=False).set_index("id")
    assert ident.loc["H10", "identified_by"] == "exit_capacity"
    assert ident.loc["H10", "relaxed"] == "exit_capacity"
    assert json.loads((out / "robustness.json").read_text(encoding="utf-8"))[0]["id"] == "H1"
    # fake-data check: the truth is the cell's posterior mean; its labels feed the verdicts
    fake = pd.read_csv(out / "fakedata.csv").set_index("id")
    assert set(fake.index) == {"H1", "H7", "H10", "H21"}
    assert fake.loc["H10", "truth"] == pytest.approx(draws.mean(), abs=1e-4)
    assert set(fake["label"]) <= {"identified", "not identified"}
    assert summary["fake_data"]["labels"] == fake["label"].to_dict()
    evidence = pd.read_csv(out / "evidence.csv").set_index("id")
    assert evidence.loc["H10", "verdict"] == summary["verdicts"]["H10"]
    assert "fake data:" in evidence.loc["H10", "robustness"]
    assert summary["evidence"]["H10"]["robustness"] == evidence.loc["H10", "robustness"]
    assert set(summary["identification_labels"]) == set(fake["coefficient"])
    reps = pd.read_csv(out / "fakedata_replicates.csv")
    assert len(reps) == 2 * 4 and reps["seed"].nunique() == 2
    for hid, label in fake["label"].items():
        if label == "not identified":
            assert summary["verdicts"][hid] == "not identified"

    # resumable: everything reused; a lost run file is refitted, the rest reused
    res = runner.invoke(app, ["robustness", "--grid", str(grid), "--json"])
    assert res.exit_code == 0, res.output
    assert [c["status"] for c in json.loads(res.stdout)["cells"]] == ["reused"] * 3
    (runs / f"{names[2]}.nc").unlink()
    res = runner.invoke(app, ["robustness", "--grid", str(grid), "--json"])
    assert [c["status"] for c in json.loads(res.stdout)["cells"]] == ["reused", "reused",
                                                                      "fitted"]
