"""Prediction API: kinds, shapes, new data, conditional effects (draws from the prior, no NUTS)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from matplotlib.figure import Figure

import bayes_alliance as ba
from bayes_alliance.models.families import family
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.results import FitResult

ALLIES = ["GFR", "JPN", "ROK", "TUR"]


@pytest.fixture(scope="module")
def result() -> FitResult:
    """A fit result whose 'posterior' is 2 x 15 prior draws of the joint model."""
    frame = ba.load_panel("default").frame
    frame = frame[frame.ally.isin(ALLIES) & frame.year.between(1960, 1975)]
    model = AllianceModel.from_spec("joint", frame, priors="weak")
    with model.pymc_model:
        prior = pm.sample_prior_predictive(draws=30, random_seed=4)["prior"].to_dataset()
    post = prior.drop_vars("chain").squeeze("chain").coarsen(draw=15).construct(
        draw=("chain", "draw")).assign_coords(chain=[0, 1], draw=np.arange(15))
    return FitResult(idata=xr.DataTree.from_dict({"posterior": post}), spec=model.spec,
                     panel=model.panel, prior_set=model.priors.prior_set, scaling=model.scaling)


def test_kinds_have_labelled_shapes(result):
    n = len(result.panel.frame)
    for kind in ("linpred", "epred", "predict"):
        ds = result.predict(kind=kind, random_seed=1)
        assert list(ds.data_vars) == list(result.spec.outcome_names)
        assert dict(ds.sizes) == {"chain": 2, "draw": 15, "row": n}
        assert list(ds["ally"].values) == result.panel.frame["ally"].tolist()
        assert ds.attrs["kind"] == kind


def test_epred_is_the_inverse_link_of_linpred(result):
    lin = result.predict(kind="linpred")
    ep = result.predict(kind="epred")
    log_e = np.log(result.panel.frame["exposure"].to_numpy())
    for o in result.spec.outcomes:
        fam = family(o.family)
        offset = log_e if fam.uses_exposure else 0.0
        np.testing.assert_allclose(ep[o.name].values, fam.natural(lin[o.name].values + offset),
                                   rtol=1e-10)


def test_predict_draws_from_the_likelihood(result):
    a = result.predict(kind="predict", random_seed=3)
    b = result.predict(kind="predict", random_seed=3)
    xr.testing.assert_equal(a, b)
    assert (a["milex"] > 0).all()
    assert set(np.unique(a["exit"])) <= {0.0, 1.0}
    counts = a["reassure"].values
    assert np.all(counts == np.round(counts)) and np.all(counts >= 0)
    # over many rows and draws, the binary draws average to the predicted probabilities
    p = result.predict(kind="epred")["exit"].values
    assert abs(a["exit"].values.mean() - p.mean()) < 4 * np.sqrt(p.mean() / p.size) + 0.01


def test_newdata_rows_match_the_fitted_rows(result):
    frame = result.panel.frame
    sub = frame.iloc[[3, 20, 40]]
    full = result.predict(kind="linpred")
    part = result.predict(sub, kind="linpred", outcomes=["milex"])
    assert list(part.data_vars) == ["milex"]
    np.testing.assert_allclose(part["milex"].values, full["milex"].values[..., [3, 20, 40]])
    # a changed covariate changes the prediction
    moved = result.predict(sub.assign(threat=sub["threat"] + 1.0), kind="linpred")
    assert not np.allclose(moved["milex"].values, part["milex"].values)


def test_bad_requests_are_spec_errors(result):
    frame = result.panel.frame
    with pytest.raises(ba.SpecError, match="unknown prediction kind 'mean'"):
        result.predict(kind="mean")
    with pytest.raises(ba.SpecError, match="not fitted on: FRN"):
        result.predict(frame.head(2).assign(ally="FRN"))
    with pytest.raises(ba.SpecError, match="lacks the column\\(s\\) threat"):
        result.predict(frame.drop(columns="threat"))
    with pytest.raises(ba.SpecError, match="no outcome 'milx'"):
        result.predict(outcomes="milx")


def test_conditional_effects_average_over_allies(result):
    table, fig = result.conditional_effects("threat", outcome="milex", values=[-1.0, 0.0, 2.0])
    assert isinstance(fig, Figure)
    assert list(table.columns) == ["threat", "outcome", "mean", "median", "lo", "hi"]
    assert (table["lo"] <= table["median"]).all() and (table["median"] <= table["hi"]).all()
    train = result.panel.frame
    rows = pd.DataFrame([{**{c: train[c].mean() for c in result.spec.covariates_used()},
                          "ally": a, "year": int(np.median(train["year"])), "threat": 2.0}
                         for a in result.panel.allies])
    manual = result.predict(rows, kind="epred", outcomes="milex")["milex"].mean("row")
    assert table["mean"].iloc[2] == pytest.approx(float(manual.mean()), rel=1e-10)
    with pytest.raises(ba.SpecError, match="does not use 'gdp'"):
        result.conditional_effects("gdp", outcome="milex")


def test_posterior_dimension_order_does_not_matter(result):
    """Draws are read by the model's own dims, whatever order the stored arrays have."""
    from dataclasses import replace

    post = result.idata["posterior"].to_dataset()
    swapped = post.transpose(*reversed(list(post.dims)))
    name = next(n for n in ("a_ally", "z_ally") if n in post)
    assert swapped[name].dims != post[name].dims
    other = replace(result, idata=xr.DataTree.from_dict({"posterior": swapped}))
    xr.testing.assert_allclose(other.predict(kind="linpred"), result.predict(kind="linpred"))


def test_a_posterior_of_another_model_is_refused(result):
    from dataclasses import replace

    post = result.idata["posterior"].to_dataset().drop_vars("beta_milex")
    other = replace(result, idata=xr.DataTree.from_dict({"posterior": post}))
    with pytest.raises(ba.SpecError, match="posterior lacks beta_milex"):
        other.predict()
