"""The PyMC model: structure, masking of missing outcomes, generation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayes_alliance as ba
from bayes_alliance.data.default import default_truth
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.synthetic import TRUE_PARAMS, generate_default_panel

ALLIES = ["GFR", "JPN", "ROK", "UKG", "TUR", "ITA"]


@pytest.fixture(scope="module")
def small_frame() -> pd.DataFrame:
    f = ba.load_panel("default").frame
    return f[f.ally.isin(ALLIES)].reset_index(drop=True)


def test_model_has_named_coords_and_outcomes(small_frame):
    m = AllianceModel.from_spec("joint", small_frame, priors="weak").pymc_model
    assert list(m.coords["ally"]) == sorted(ALLIES)
    assert list(m.coords["outcome"]) == ["reassure", "milex", "intervene", "exit"]
    assert {"intercept", "beta_milex", "chol_ally", "a_ally"} <= {v.name for v in m.free_RVs}
    assert {"sd_ally", "corr_ally", "u_ally"} <= {v.name for v in m.deterministics}
    # intervene is observed only in intervention years
    n_int = int(small_frame["intervene"].notna().sum())
    assert len(m.coords["obs_intervene"]) == n_int < len(small_frame)


def test_missing_outcome_never_enters_the_likelihood(small_frame):
    """A missing value drops its row from that outcome's likelihood; it is never a zero."""
    base = AllianceModel.from_spec("joint", small_frame, priors="weak")
    f = small_frame.copy()
    f.loc[[3, 10], "milex_gdp"] = np.nan
    f.loc[[5], "reassure"] = np.nan
    masked = AllianceModel.from_spec("joint", f, priors="weak")
    m0, m1 = base.pymc_model, masked.pymc_model
    assert len(m1.coords["obs_milex"]) == len(m0.coords["obs_milex"]) - 2
    assert 3 not in m1.coords["obs_milex"] and 5 not in m1.coords["obs_reassure"]
    point = m0.initial_point()
    lp0 = m0.compile_logp(vars=[m0["milex"]], sum=False)(point)[0]
    lp1 = m1.compile_logp(vars=[m1["milex"]], sum=False)(point)[0]
    keep = np.setdiff1d(np.arange(len(f)), [3, 10])
    np.testing.assert_allclose(lp1, lp0[keep])
    # the other outcomes are untouched by missing milex values
    assert len(m1.coords["obs_intervene"]) == len(m0.coords["obs_intervene"])


def test_optional_outcome_dropped_when_column_empty(small_frame):
    f = small_frame.assign(exit_pursuit=np.nan)
    model = AllianceModel.from_spec("joint", f, priors="weak")
    assert model.outcome_names == ("reassure", "milex", "intervene")


def test_logp_and_gradient_finite_at_initial_point(small_frame):
    m = AllianceModel.from_spec("joint", small_frame, priors="weak").pymc_model
    point = m.initial_point()
    assert np.isfinite(m.compile_logp()(point))
    assert np.all(np.isfinite(m.compile_dlogp()(point)))


def test_scaling_keeps_natural_units(small_frame):
    model = AllianceModel.from_spec("joint", small_frame, priors="weak")
    sc = model.scaling.to_dict()
    assert sc["us_troops"]["transform"] == "log1p"
    z = model.scaling.standardise(small_frame)["threat"]
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9


def test_simulate_uses_given_parameters(small_frame):
    model = AllianceModel.from_spec("joint", small_frame, priors="weak")
    params = {**TRUE_PARAMS, "sigma_milex": 1e-6, "nu_milex": 50.0}
    frame, truth = model.simulate(params, seed=3)
    assert np.allclose(truth["sigma_milex"], 1e-6)
    # with almost no noise, log milex equals its linear predictor: check one ally's mean
    u = np.asarray(truth["u_ally"])
    assert u.shape == (len(ALLIES), 4)
    assert frame["milex_gdp"].notna().all() and (frame["milex_gdp"] > 0).all()
    assert set(frame["intervene"].dropna().unique()) <= {0.0, 1.0}
    assert frame["intervene"].isna().sum() == small_frame["intervene"].isna().sum()
    again, _ = model.simulate(params, seed=3)
    pd.testing.assert_frame_equal(frame, again)


def test_unknown_parameter_in_simulate_is_an_error(small_frame):
    model = AllianceModel.from_spec("joint", small_frame, priors="weak")
    with pytest.raises(ba.SpecError, match="cannot set 'beta_foo'"):
        model.simulate({"beta_foo": 1.0}, seed=1)


def test_simulate_takes_readable_names(small_frame):
    """Readable names as in the summaries give the same draw as the arrays."""
    model = AllianceModel.from_spec("joint", small_frame, priors="weak")
    names = list(model.outcome_names)
    readable = {"phi[reassure]": 8.0, "sigma[milex]": 0.15, "nu[milex]": 6.0}
    for j, o in enumerate(names):
        readable[f"intercept[{o}]"] = TRUE_PARAMS["intercept"][j]
        readable[f"sd_ally[{o}]"] = TRUE_PARAMS["sd_ally"][j]
        for t, v in zip(model.spec.outcome(o).terms, TRUE_PARAMS[f"beta_{o}"], strict=True):
            readable[f"beta[{o}, {t}]"] = v
        for k in range(j + 1, len(names)):
            readable[f"corr_ally[{o}, {names[k]}]"] = TRUE_PARAMS["corr_ally"][j][k]
    by_name, truth = model.simulate(readable, seed=5)
    by_array, _ = model.simulate(TRUE_PARAMS, seed=5)
    pd.testing.assert_frame_equal(by_name, by_array)
    assert float(truth["phi_reassure"]) == 8.0
    with pytest.raises(ba.SpecError, match="give also beta\\[milex, retrench\\]"):
        model.simulate({"beta[milex, threat]": 0.2}, seed=1)
    with pytest.raises(ba.SpecError, match="unknown parameter\\(s\\) phi\\[milex\\]"):
        model.simulate({"phi[milex]": 2.0}, seed=1)


@pytest.mark.slow
def test_default_panel_is_up_to_date():
    """The shipped panel equals a fresh draw from the current generative code."""
    frame, truth = generate_default_panel()
    shipped = ba.load_panel("default").frame
    fresh = ba.load_panel(frame).frame
    pd.testing.assert_frame_equal(fresh[shipped.columns], shipped, check_exact=False,
                                  rtol=1e-6, check_dtype=False)
    assert truth == default_truth()


def test_term_order_does_not_change_the_model(small_frame):
    """Slopes follow their terms' names: listing 'reassurance' first changes nothing."""
    from bayes_alliance.models.spec import load_spec

    spec = load_spec("joint")
    raw = spec.to_dict()
    milex = next(o for o in raw["outcomes"] if o["name"] == "milex")
    milex["terms"] = [*spec.outcome("milex").latent_terms, *spec.outcome("milex").covariate_terms]
    reordered = ba.models.spec.ModelSpec.from_dict(raw)
    readable = {}
    base = AllianceModel.from_spec(spec, small_frame, priors="weak")
    for j, o in enumerate(base.outcome_names):
        readable[f"intercept[{o}]"] = TRUE_PARAMS["intercept"][j]
        readable[f"sd_ally[{o}]"] = TRUE_PARAMS["sd_ally"][j]
        for t, v in zip(spec.outcome(o).terms, TRUE_PARAMS[f"beta_{o}"], strict=True):
            readable[f"beta[{o}, {t}]"] = v
        for k in range(j + 1, len(base.outcome_names)):
            readable[f"corr_ally[{o}, {base.outcome_names[k]}]"] = TRUE_PARAMS["corr_ally"][j][k]
    readable.update({"phi[reassure]": 8.0, "sigma[milex]": 0.15, "nu[milex]": 6.0})
    other = AllianceModel.from_spec(reordered, small_frame, priors="weak")
    assert other.spec.outcome("milex").terms[0] == "reassurance"
    a, _ = base.simulate(readable, seed=7)
    b, _ = other.simulate(readable, seed=7)
    pd.testing.assert_frame_equal(a, b)
