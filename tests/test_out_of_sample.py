"""Out-of-sample validation: splits, scores, population effects and the full run on a tiny panel."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayes_alliance as ba
from bayes_alliance.errors import ValidationRunError
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.families import family
from bayes_alliance.validation import out_of_sample as oos

#: allies of the tiny panel: the four case-study allies, four more, and two that join late
ALLIES = ["GFR", "JPN", "ROK", "UKG", "FRN", "ITA", "TUR", "AUL", "CZR", "POL"]

TINY_SPEC = """
schema_version = 1
name = "tiny-joint"
priors = "weak"
[[outcomes]]
name = "reassure"
column = "reassure"
family = "negative_binomial"
exposure = "exposure"
terms = ["threat", "retrench"]
[[outcomes]]
name = "milex"
column = "milex_gdp"
family = "lognormal_t"
terms = ["threat", "reassurance"]
[[outcomes]]
name = "exit"
column = "exit_pursuit"
family = "bernoulli"
terms = ["threat"]
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny simulated panel (the default panel's allies above, 1960-2002) and a spec."""
    folder = tmp_path_factory.mktemp("oos")
    frame = ba.load_panel("default").frame
    frame = frame[frame.ally.isin(ALLIES) & frame.year.between(1960, 2002)]
    frame.to_csv(folder / "tiny.csv", index=False)
    (folder / "tiny.toml").write_text(TINY_SPEC)
    return folder


def _frame(tiny) -> pd.DataFrame:
    return ba.load_panel(str(tiny / "tiny.csv")).frame.reset_index(drop=True)


# ---------------------------------------------------------------------------- splits
def test_time_split_rejects_empty_sides_naming_the_years(tiny):
    frame = _frame(tiny)
    split = oos.time_split(frame, 1989)
    assert (frame.year[split.test] > 1989).all() and (frame.year[~split.test] <= 1989).all()
    with pytest.raises(ValidationRunError, match=r"no training rows.*1960-2002"):
        oos.time_split(frame, 1950)
    with pytest.raises(ValidationRunError, match=r"no test rows.*1960-2002"):
        oos.time_split(frame, 2002)


def test_ally_folds_partition_the_allies(tiny):
    frame = _frame(tiny)
    folds = oos.ally_folds(frame, 3, seed=4)
    held = [set(frame.ally[f.test]) for f in folds]
    assert set().union(*held) == set(ALLIES)
    assert sum(len(h) for h in held) == len(ALLIES)
    assert sum(int(f.test.sum()) for f in folds) == len(frame)
    for f, h in zip(folds, held, strict=True):
        assert set(frame.ally[~f.test]).isdisjoint(h)
        assert all(a in f.description for a in h)
    with pytest.raises(ValidationRunError, match=r"2 <= folds <= 10"):
        oos.ally_folds(frame, 1)
    with pytest.raises(ValidationRunError, match=r"2 <= folds <= 10"):
        oos.ally_folds(frame, 11)


def test_case_split_holds_out_the_ally_decades_and_names_a_missing_ally(tiny):
    frame = _frame(tiny)
    split = oos.case_split(frame)
    held = frame[split.test]
    assert set(held.ally) == {"GFR", "JPN", "ROK", "UKG"}
    assert held.year.between(1960, 1979).all()
    assert len(held) == int((frame.ally.isin(["GFR", "JPN", "ROK", "UKG"])
                             & frame.year.between(1960, 1979)).sum())
    with pytest.raises(ValidationRunError, match=r"case study ISR 1960-1979.*'ISR'"):
        oos.case_split(frame, (("ISR", 1960, 1979),))
    with pytest.raises(ValidationRunError, match="no training rows"):
        oos.case_split(frame, tuple((a, 1950, 2010) for a in ALLIES))
    with pytest.raises(ValidationRunError, match="unknown split"):
        oos.make_splits(frame, ("later",), last_train_year=1989, folds=2, seed=1)


# ---------------------------------------------------------------------------- scores
def test_scores_match_the_closed_forms():
    rng = np.random.default_rng(0)
    y = np.array([0.1, -0.4, 2.5])
    eta = rng.normal(0.0, 0.3, size=(400, 3))
    sigma = np.full((400, 1), 0.7)
    sc = oos.score(family("lognormal"), eta, np.zeros(3), y, {"sigma": sigma}, rng)
    dens = stats.norm.pdf(y, eta, 0.7).mean(axis=0)
    np.testing.assert_allclose(sc["lpd"], np.log(dens), rtol=1e-6)
    np.testing.assert_allclose(sc["pit"], stats.norm.cdf(y, eta, 0.7).mean(axis=0), rtol=1e-6)
    assert sc["in90"].tolist() == [1.0, 1.0, 0.0]  # 2.5 is 3.5 predictive sds out
    np.testing.assert_allclose(sc["q50"], np.exp(np.median(eta, axis=0)), atol=0.15)
    ones = np.array([1, 0])
    eta_b = np.tile([2.0, 2.0], (50, 1))
    sb = oos.score(family("bernoulli"), eta_b, np.zeros(2), ones, {}, rng)
    p = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(sb["lpd"], np.log([p, 1 - p]))
    np.testing.assert_allclose(sb["brier"], [(p - 1) ** 2, p ** 2])
    assert np.isnan(sb["in50"]).all() and np.isnan(sb["pit"]).all()


def test_population_effects_have_the_fitted_covariance():
    import xarray as xr

    sd = np.array([0.5, 2.0])
    corr = np.array([[1.0, 0.6], [0.6, 1.0]])
    n = 4000
    post = xr.Dataset({
        "sd_ally": (("chain", "draw", "outcome"), np.broadcast_to(sd, (2, n, 2))),
        "corr_ally": (("chain", "draw", "outcome", "outcome_bis"),
                      np.broadcast_to(corr, (2, n, 2, 2)))})
    u = oos.population_ally_effects(post, 3, np.random.default_rng(1))
    assert u.shape == (2 * n, 3, 2)
    cov = np.cov(u[:, 0, :], rowvar=False)
    np.testing.assert_allclose(cov, np.outer(sd, sd) * corr, rtol=0.1, atol=0.02)
    assert abs(np.corrcoef(u[:, 0, 0], u[:, 1, 0])[0, 1]) < 0.05  # allies independent
    u_diag = oos.population_ally_effects(post.drop_vars("corr_ally"), 1,
                                         np.random.default_rng(2))
    assert abs(np.corrcoef(u_diag[:, 0, 0], u_diag[:, 0, 1])[0, 1]) < 0.05


def test_glm_fixed_effects_beat_the_pooled_glm_for_seen_allies(tiny):
    frame = _frame(tiny)
    model = ba.AllianceModel.from_spec(str(tiny / "tiny.toml"), frame)
    split = oos.time_split(frame, 1985)
    train, test = frame[~split.test].reset_index(drop=True), frame[split.test]
    milex = model.spec.outcome("milex")
    scaling = Scaling.from_frame(model.spec, train)
    fe = oos.glm_scores(milex, train, test, scaling, np.random.default_rng(0))
    pooled = oos.glm_scores(milex, train, test.assign(ally="NEW"), scaling,
                            np.random.default_rng(0))
    assert len(fe["lpd"]) == int(test.milex_gdp.notna().sum())
    # ally levels differ a lot in the simulated panel: the fixed effects predict far better
    assert fe["lpd"].sum() > pooled["lpd"].sum() + 20
    assert 0.75 <= np.mean(fe["in90"]) <= 1.0


# ---------------------------------------------------------------------------- sampling
@pytest.mark.slow
def test_effect_inputs_reproduce_the_fit_and_scores_match_predict(tiny):
    from bayes_alliance.models.joint import make_inputs
    from bayes_alliance.models.predictor import predictor_for

    frame = _frame(tiny)
    model = ba.AllianceModel.from_spec(str(tiny / "tiny.toml"), frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(draws=60, tune=60, chains=2, cores=1, random_seed=3,
                           prior_draws=0, predictive=False)
    post = result.idata["posterior"]
    panel = result.panel
    inputs = make_inputs(result.spec, result.scaling, frame, panel.allies, panel.years)
    plain, exposed = predictor_for(result), predictor_for(result, effects_as_inputs=True)
    assert "u_ally" in exposed.parameters and "a_ally" not in exposed.parameters
    eta0 = plain(plain.draws_from(post), inputs, kind="eta")
    eta1 = exposed(exposed.draws_from(post), inputs, kind="eta")
    for name in eta0:
        np.testing.assert_allclose(eta0[name], eta1[name], rtol=1e-6, atol=1e-8)
    # lpd of milex rows of fitted allies equals the Student-t density of predict()'s linpred
    test = frame[frame.year >= 2000]
    scored = oos.score_fit(result, test, seed=1)
    assert scored["info"]["new_allies"] == []
    lin = result.predict(test, kind="linpred", outcomes="milex")["milex"]
    lin = lin.stack(s=("chain", "draw")).transpose("s", "row").values
    rows = np.flatnonzero(test.milex_gdp.notna().to_numpy())
    sigma = post["sigma_milex"].values.reshape(-1, 1)
    nu = post["nu_milex"].values.reshape(-1, 1)
    dens = stats.t.pdf(np.log(test.milex_gdp.to_numpy()[rows]), nu, lin[:, rows], sigma)
    np.testing.assert_allclose(scored["outcomes"]["milex"]["lpd"], np.log(dens.mean(axis=0)),
                               rtol=1e-5)
    # a new ally: its effect comes from the population, so its predictions are wider
    new = test.assign(ally="NEW")
    wide = oos.score_fit(result, new, seed=1)
    assert wide["info"]["new_allies"] == ["NEW"]
    m_old, m_new = scored["outcomes"]["milex"], wide["outcomes"]["milex"]
    assert np.mean(m_new["q95"] - m_new["q05"]) > np.mean(m_old["q95"] - m_old["q05"])


@pytest.mark.slow
def test_every_split_runs_end_to_end_on_a_tiny_panel(tiny, tmp_path):
    out = tmp_path / "oos"
    summary = oos.run_oos(spec=str(tiny / "tiny.toml"), data=str(tiny / "tiny.csv"),
                          splits=("time", "loao", "cases"), folds=2, separate=False,
                          draws=60, tune=60, chains=2, seed=5, workers=2, out=out)
    frame = _frame(tiny)
    table = pd.DataFrame(summary["table"])
    assert set(table.split) == {"time", "loao", "cases"}
    assert set(table.model) == {"joint", "glm"}
    observed = {"reassure": frame.reassure.notna() & (frame.exposure >= 1),
                "milex": frame.milex_gdp.notna(), "exit": frame.exit_pursuit.notna()}
    late, cases = frame.year > 1989, oos.case_split(frame).test
    for outcome, mask in observed.items():
        n = table.set_index(["split", "outcome", "model"]).n
        assert n["time", outcome, "joint"] == int((mask & late).sum())
        assert n["loao", outcome, "joint"] == int(mask.sum())  # every row held out once
        assert n["cases", outcome, "glm"] == int((mask & cases).sum())
    joint = table[table.model == "joint"]
    assert (joint.elpd_diff == 0).all()
    total = table[(table.outcome == "total") & (table.split == "time")].set_index("model")
    assert total.n["joint"] == sum(int((m & late).sum()) for m in observed.values())
    milex = joint[joint.outcome == "milex"].set_index("split")
    assert (milex.cover90 > 0.6).all() and (milex.cover50 < milex.cover90).all()
    # the allies joining after 1989 are new to the time split's fit; each fold's allies to it
    fits = {(f["kind"], f["fold"]): f for f in summary["fits"]}
    assert set(fits["time", 0]["new_allies"]) == {"CZR", "POL"}
    for fold in (0, 1):
        held = next(s for s in summary["splits"] if s["kind"] == "loao" and s["fold"] == fold)
        assert all(a in held["description"] for a in fits["loao", fold]["new_allies"])
    assert fits["cases", 0]["new_allies"] == []
    for name in ("oos.md", "oos.csv", "summary.json", "cases.csv", "cases.png"):
        assert (out / name).is_file()
    assert json.loads((out / "summary.json").read_text())["markdown"].startswith("| split")
    case_rows = pd.read_csv(out / "cases.csv")
    assert set(case_rows.ally) == {"GFR", "JPN", "ROK", "UKG"}
    assert (case_rows.q05 <= case_rows.q95).all()


@pytest.mark.slow
def test_separate_models_are_scored_on_the_same_rows(tiny, tmp_path):
    summary = oos.run_oos(spec=str(tiny / "tiny.toml"), data=str(tiny / "tiny.csv"),
                          splits=("time",), separate=True, draws=60, tune=60, chains=2,
                          seed=6, workers=2, out=None)
    table = pd.DataFrame(summary["table"]).set_index(["outcome", "model"])
    assert {f["model"] for f in summary["fits"]} == {"joint", "reassure_only", "milex_only",
                                                     "exit_only"}
    for outcome in ("reassure", "milex", "exit", "total"):
        assert table.n[outcome, "separate"] == table.n[outcome, "joint"]
        assert table.se_diff[outcome, "separate"] > 0
    parts = sum(table.elpd_diff[o, "separate"] for o in ("reassure", "milex", "exit"))
    assert table.elpd_diff["total", "separate"] == pytest.approx(parts)


def test_outcome_evidence_is_joint_minus_glm_and_joint_coverage():
    table = pd.DataFrame([
        {"split": "time", "outcome": "milex", "model": "joint", "elpd_diff": 0.0,
         "se_diff": 0.0, "cover90": 0.88},
        {"split": "time", "outcome": "milex", "model": "glm", "elpd_diff": -12.34,
         "se_diff": 3.01, "cover90": 0.7},
        {"split": "loao", "outcome": "milex", "model": "joint", "elpd_diff": 0.0,
         "se_diff": 0.0, "cover90": 0.91},
        {"split": "time", "outcome": "exit", "model": "joint", "elpd_diff": 0.0,
         "se_diff": 0.0, "cover90": np.nan},
        {"split": "time", "outcome": "exit", "model": "glm", "elpd_diff": 2.0,
         "se_diff": 1.0, "cover90": np.nan},
        {"split": "time", "outcome": "total", "model": "joint", "elpd_diff": 0.0,
         "se_diff": 0.0, "cover90": np.nan}])
    assert oos.outcome_evidence(table) == {"milex": "time +12.3 (3.0) cover 0.88; loao cover 0.91",
                                           "exit": "time -2.0 (1.0)"}
    assert oos.outcome_evidence(table, converged=False)["exit"].endswith(
        "(some fits not converged)")


def test_cli_reports_a_bad_split_in_one_paragraph(tiny, tmp_path):
    from typer.testing import CliRunner

    from bayes_alliance.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["oos", "--help"]).exit_code == 0
    base = ["oos", "--spec", str(tiny / "tiny.toml"), "--data", str(tiny / "tiny.csv"),
            "--out", str(tmp_path / "o"), "--runs-dir", str(tmp_path / "r")]
    res = runner.invoke(app, [*base, "--splits", "time", "--last-train-year", "1955"])
    assert res.exit_code == 1
    assert "error:" in res.output and "no training rows" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, [*base, "--splits", "time,later"])
    assert res.exit_code == 1 and "unknown split(s) later" in res.output
    assert not (tmp_path / "o").exists()
