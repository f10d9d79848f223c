"""The measurement model of the latent reassurance intensity (models/measurement.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import bayes_alliance as ba
from bayes_alliance.errors import SpecError
from bayes_alliance.fit import fit_model
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.priors import load_prior_set, resolve_priors
from bayes_alliance.models.spec import load_spec
from bayes_alliance.report.content import measurement_table
from bayes_alliance.validation.measurement import fit_record

ALLIES = ["GFR", "JPN", "ROK", "UKG", "TUR", "ITA", "FRN", "NOR"]


def _spec(indicators: list[dict] | None = None, **extra) -> dict:
    """A small reassurance + spending spec with the given indicators."""
    raw = {
        "name": "mm-test", "priors": "weak",
        "ally_effects": {"correlated": False, "centered": False},
        "outcomes": [
            {"name": "reassure", "column": "reassure", "family": "negative_binomial",
             "exposure": "exposure", "terms": ["threat", "importance"]},
            {"name": "milex", "column": "milex_gdp", "family": "lognormal",
             "terms": ["threat", "reassurance"]},
        ],
        **extra,
    }
    if indicators is not None:
        raw["indicators"] = indicators
    return raw


GARRISON = {"name": "garrison", "column": "garrison_col", "family": "bernoulli", "anchor": True}
VISITS = {"name": "visits", "column": "visits_col", "family": "poisson"}


@pytest.fixture(scope="module")
def skeleton() -> pd.DataFrame:
    f = ba.load_panel("default").frame
    f = f[f.ally.isin(ALLIES) & (f.year >= 1975)].reset_index(drop=True)
    return f.assign(garrison_col=0, visits_col=0)


# ------------------------------------------------------------------ spec parsing
@pytest.mark.parametrize(("indicators", "extra", "message"), [
    ([VISITS], {}, "at least one of the \\[\\[indicators\\]\\] must set 'anchor = true'"),
    ([{**GARRISON, "loadng": 1.0}], {}, "unknown key 'loadng'"),
    ([{**GARRISON, "name": "milex"}], {}, "differ from the outcome names"),
    ([GARRISON, {**VISITS, "name": "garrison"}], {}, "must be unique"),
    ([{**GARRISON, "family": "probit"}], {}, "unknown family 'probit'"),
    ([{**GARRISON, "exposure": "exposure"}], {}, "'exposure' only applies"),
    ([{**GARRISON, "anchor": "yes"}], {}, "'anchor' must be true or false"),
    ([{"name": "g", "family": "bernoulli", "anchor": True}], {}, "missing required key 'column'"),
    (None, {"misclassification": "yes"}, "'misclassification' must be true or false"),
])
def test_bad_indicators_name_the_key(indicators, extra, message):
    with pytest.raises(SpecError, match=message):
        load_spec(_spec(indicators, **extra))


def test_indicators_need_the_latent_outcome():
    raw = _spec([GARRISON], latent_outcome="statements")
    raw["outcomes"][1]["terms"] = ["threat"]
    with pytest.raises(SpecError, match="'latent_outcome' is not an outcome"):
        load_spec(raw)


def test_misclassification_needs_a_latent_count_with_exposure():
    raw = _spec()
    del raw["outcomes"][0]["exposure"]
    with pytest.raises(SpecError, match="'misclassification = true'.*'exposure'"):
        load_spec({**raw, "misclassification": True})


def test_indicator_column_checked_against_panel(skeleton):
    with pytest.raises(SpecError, match="indicator 'visits': column 'nope' is not in the panel"):
        AllianceModel.from_spec(load_spec(_spec([GARRISON, {**VISITS, "column": "nope"}])),
                                skeleton)
    with pytest.raises(SpecError, match="indicator 'garrison': family 'bernoulli' needs binary"):
        AllianceModel.from_spec(load_spec(_spec([GARRISON])), skeleton.assign(garrison_col=2))


def test_spec_round_trip_keeps_indicators():
    spec = load_spec(_spec([GARRISON, VISITS], misclassification=True))
    again = type(spec).from_dict(spec.to_dict())
    assert again == spec and again.hash() == spec.hash()
    assert [i.name for i in spec.anchors] == ["garrison"]


# ------------------------------------------------------------------ statements only: unchanged
def test_statements_only_specs_are_the_model_they_were():
    """Hashes and the log density at the initial point, recorded before the measurement model."""
    m = AllianceModel.from_spec("joint", "default")
    assert m.spec.hash() == "a409bfa3fb41"
    assert "indicators" not in m.spec.to_dict() and "misclassification" not in m.spec.to_dict()
    model = m.pymc_model
    assert float(model.compile_logp()(model.initial_point())) == pytest.approx(
        -17016.275770111006, rel=1e-12)
    assert sorted(v.name for v in model.free_RVs) == [
        "a_ally", "beta_exit", "beta_intervene", "beta_milex", "beta_reassure", "chol_ally",
        "intercept", "nu_milex", "phi_reassure", "sigma_milex"]
    assert [load_spec(s).hash() for s in ("joint-real", "reassurance", "burden")] == [
        "279d33778004", "592bef21fb77", "abf88b0fe5f5"]
    assert load_spec(_spec([])) == load_spec(_spec())


# ------------------------------------------------------------------ priors and the anchor
def test_prior_cells_of_the_measurement_model():
    spec = load_spec(_spec([GARRISON, VISITS], misclassification=True))
    resolved = resolve_priors(spec, "weak")
    assert set(resolved.cells["loading"]) == {("visits",)}
    assert set(resolved.cells["anchor_loading"]) == {("garrison",)}
    assert ("visits",) in resolved.cells["intercept"]
    assert resolved.cells["recall"][("reassure",)].dist == "Beta"


def test_several_anchors_all_get_positive_loadings():
    spec = load_spec(_spec([GARRISON, {**VISITS, "anchor": True}]))
    assert [i.name for i in spec.anchors] == ["garrison", "visits"]
    resolved = resolve_priors(spec, "weak")
    assert set(resolved.cells["anchor_loading"]) == {("garrison",), ("visits",)}
    assert "loading" not in resolved.cells or not resolved.cells["loading"]


def test_anchor_loading_cannot_take_a_signed_prior():
    raw = load_prior_set("weak").to_dict()
    raw["priors"]["anchor_loading"] = {"dist": "Normal", "mu": 0.0, "sigma": 1.0}
    with pytest.raises(SpecError, match="'anchor_loading' cannot take a Normal prior"):
        load_prior_set(raw)


def test_anchor_sign_is_fixed_by_construction(skeleton):
    """The anchor's loading has no prior mass below 0 and is sampled on the log scale."""
    model = AllianceModel.from_spec(load_spec(_spec([GARRISON, VISITS])), skeleton).pymc_model
    anchor, free = model["anchor_loading_garrison"], model["loading_visits"]
    assert float(pm.logp(anchor, np.asarray(-0.5)).eval()) == -np.inf
    assert np.isfinite(float(pm.logp(anchor, np.asarray(0.5)).eval()))
    assert np.isfinite(float(pm.logp(free, np.asarray(-0.5)).eval()))
    assert model.rvs_to_values[anchor].name == "anchor_loading_garrison_log__"


def test_latent_shift_moves_the_indicators_with_the_outcomes(skeleton):
    spec = load_spec(_spec([GARRISON, VISITS]))
    model = AllianceModel.from_spec(spec, skeleton)
    frame, truth = model.simulate({"anchor_loading_garrison": 1.5, "loading_visits": -0.7},
                                  seed=4)
    assert set(frame["garrison_col"].dropna().unique()) <= {0, 1}
    assert truth["anchor_loading_garrison"] == 1.5
    # the indicator columns were simulated, not left at the skeleton's zeros
    assert frame["garrison_col"].sum() > 0 and frame["visits_col"].sum() > 0


# ------------------------------------------------------------------ recovery (sampling)
@pytest.mark.slow
def test_loadings_are_recovered_on_a_small_simulated_panel(skeleton):
    """Simulate with known loadings, fit, and find them (and the anchor's sign) again."""
    spec = load_spec(_spec([GARRISON, VISITS]))
    gen = AllianceModel.from_spec(spec, skeleton)
    true = {"anchor_loading_garrison": 1.2, "loading_visits": -0.8,
            "intercept_garrison": 0.0, "intercept_visits": 0.5,
            "beta[reassure, threat]": 0.8, "beta[reassure, importance]": -0.6,
            "beta[milex, threat]": 0.2, "beta[milex, reassurance]": -0.3}
    frame, truth = gen.simulate(true, seed=11)
    fit = fit_model(AllianceModel.from_spec(spec, frame), draws=300, tune=400, chains=2,
                    random_seed=3, prior_draws=0, predictive=False)
    post = fit.idata["posterior"]
    anchor = post["anchor_loading_garrison"].values.ravel()
    free = post["loading_visits"].values.ravel()
    assert abs(anchor.mean() - 1.2) < 3 * anchor.std() + 0.1
    assert abs(free.mean() + 0.8) < 3 * free.std() + 0.1
    assert (free < 0).mean() > 0.95 and anchor.min() > 0
    b = post["beta_reassure"].mean(("chain", "draw")).values
    assert b[0] > 0 > b[1]  # the latent's structural slopes keep their signs
    assert fit.diagnostics().max_rhat < 1.05
    record = fit_record(fit)
    shares = record["information_share"]
    assert set(shares) == {"reassure", "garrison", "visits"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3) and min(shares.values()) > 0
    assert len(record["chain_mean_logp"]) == 2 and "loading[visits]" in record["chain_means"]
    table = measurement_table(fit)
    assert list(table.index) == ["reassure", "garrison", "visits"]
    assert table.loc["garrison", "anchor"] == "yes" and table.loc["reassure", "anchor"] == ""
    assert table.loc["garrison", "p_positive"] == 1.0
    assert table.loc["visits", "hi"] < 0


def test_a_latent_shift_moves_the_outcomes_of_a_measurement_spec(skeleton):
    """Predictor and scenarios: a shift of the latent intensity moves milex by its slope."""
    from dataclasses import replace

    from bayes_alliance.models.joint import make_inputs
    from bayes_alliance.models.predictor import Predictor

    model = AllianceModel.from_spec(load_spec(_spec([GARRISON, VISITS])), skeleton)
    predictor = Predictor(model.graph, model.spec)
    draws = {n: np.asarray(pm.draw(model.pymc_model[n], draws=3, random_seed=i))
             for i, n in enumerate(predictor.parameters)}
    frame = model.panel.frame
    inputs = make_inputs(model.spec, model.scaling, frame, model.panel.allies, model.panel.years)
    base = predictor(draws, inputs, kind="eta")
    shifted = predictor(draws, replace(inputs, latent_shift=np.full(len(frame), 0.5)), kind="eta")
    slope = draws["beta_milex"][:, -1]  # the term 'reassurance'
    np.testing.assert_allclose(shifted["milex"] - base["milex"],
                               np.repeat(0.5 * slope[:, None], len(frame), axis=1), rtol=1e-6)


def test_the_mirror_image_changes_only_the_statements_and_the_anchor(skeleton):
    """The sign-reversal symmetry that the anchor breaks (issue 17's minor mode)."""
    from bayes_alliance.starts import mirror_point

    model = AllianceModel.from_spec(load_spec(_spec([GARRISON, VISITS])), skeleton)
    m = model.pymc_model
    rng = np.random.default_rng(2)
    point = {k: rng.normal(0, 0.5, np.shape(v)) for k, v in m.initial_point().items()}
    mirror = mirror_point(model, point)
    assert np.allclose(mirror["anchor_loading_garrison_log__"],
                       point["anchor_loading_garrison_log__"])

    def lp(name, values):
        return float(m.compile_logp(vars=[m[name]])(values))

    for unchanged in ("milex", "visits"):
        assert lp(unchanged, mirror) == pytest.approx(lp(unchanged, point), rel=1e-10)
    for changed in ("reassure", "garrison"):
        assert abs(lp(changed, mirror) - lp(changed, point)) > 1e-3


def test_fits_table_flags_a_stuck_chain_and_a_high_rhat(tmp_path):
    import json

    from bayes_alliance.validation.measurement import fits_table

    base = {"divergences": 0, "min_ess_bulk": 500.0, "min_ess_tail": 600.0, "sampling_s": 10.0,
            "parameters": {"anchor_loading[garrison]": {"mean": 5.5, "sd": 1, "r_hat": 1.0},
                           "beta[milex, reassurance]": {"mean": 0.3, "sd": 1, "r_hat": 1.0}}}
    (tmp_path / "fit-weak-1.json").write_text(json.dumps(
        {**base, "priors": "weak", "seed": 1, "max_rhat": 1.004, "logp_gap_sds": [0, 0.3]}))
    (tmp_path / "fit-weak-2.json").write_text(json.dumps(
        {**base, "priors": "weak", "seed": 2, "max_rhat": 1.88, "logp_gap_sds": [0, 50.2],
         "restarts": [{"round": 1}]}))
    rows = fits_table(tmp_path).splitlines()
    assert len(rows) == 4 and "anchor_loading[garrison]" in rows[0]
    assert "| 1.004 |" in rows[2] and "| yes |" in rows[2] and "+5.50" in rows[2]
    assert "**1.880**" in rows[3] and "| 50.2 | 1 | **no** |" in rows[3]
    assert fits_table(tmp_path / "empty") == ""


def test_readme_fits_table_is_the_committed_one():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = (root / "reports" / "validation" / "measurement" / "fits.md").read_text(
        encoding="utf-8")
    assert f"<!-- measurement:fits -->\n{table}<!-- /measurement:fits -->" in readme, (
        "README's measurement fits table differs from reports/validation/measurement/fits.md")


@pytest.mark.slow
def test_loo_and_comparison_cover_the_indicators(skeleton):
    """A report compares runs on every likelihood, the indicators' included (no KeyError)."""
    from bayes_alliance.diagnostics import loo_results
    from bayes_alliance.diagnostics_compare import compare_table

    spec = load_spec(_spec([GARRISON, VISITS]))
    frame, _ = AllianceModel.from_spec(spec, skeleton).simulate({}, seed=6)
    fit = fit_model(AllianceModel.from_spec(spec, frame), draws=60, tune=100, chains=2,
                    random_seed=2, prior_draws=0)
    assert set(loo_results(fit)) == {"reassure", "milex", "garrison", "visits"}
    table = compare_table({"a": fit, "b": fit})
    assert {"garrison", "visits"} <= set(table["outcome"])
