"""The outcome-family registry: links, transforms and likelihoods of every family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import stats

from bayes_alliance.models.families import FAMILIES, aux_parameters, family

ETA = np.array([-2.0, -0.3, 0.0, 0.7, 1.9])
LOG_EXPOSURE = np.log(np.array([1.0, 3.0, 7.0, 2.0, 12.0]))
AUX = {"phi": 3.5, "sigma": 0.4, "nu": 5.0}

#: family -> (observed values on the likelihood's scale, scipy log density of them)
SCIPY = {
    "negative_binomial": lambda mu: (
        np.array([0, 1, 4, 2, 30]),
        lambda y: stats.nbinom.logpmf(y, AUX["phi"], AUX["phi"] / (AUX["phi"] + mu))),
    "poisson": lambda mu: (np.array([0, 1, 4, 2, 30]), lambda y: stats.poisson.logpmf(y, mu)),
    "lognormal_t": lambda mu: (
        np.array([-1.0, 0.2, 0.1, 3.0, 1.5]),
        lambda y: stats.t.logpdf(y, AUX["nu"], loc=ETA, scale=AUX["sigma"])),
    "lognormal": lambda mu: (
        np.array([-1.0, 0.2, 0.1, 3.0, 1.5]),
        lambda y: stats.norm.logpdf(y, loc=ETA, scale=AUX["sigma"])),
    "bernoulli": lambda mu: (
        np.array([0, 1, 1, 0, 1]),
        lambda y: stats.bernoulli.logpmf(y, 1 / (1 + np.exp(-ETA)))),
}


def test_every_family_has_a_scipy_check_and_a_kind():
    assert set(SCIPY) == set(FAMILIES)
    for fam in FAMILIES.values():
        assert fam.kind in ("count", "continuous", "binary")
        assert fam.baseline_name and callable(fam.baseline)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_link_round_trip(name):
    link = family(name).link
    np.testing.assert_allclose(link.forward(link.inverse(ETA)), ETA, atol=1e-12)
    np.testing.assert_allclose(link.inverse_pt(ETA).eval(), link.inverse(ETA))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_transform_round_trip(name):
    fam = family(name)
    y = {"count": np.array([0.0, 3.0, 12.0]), "binary": np.array([0.0, 1.0, 1.0]),
         "continuous": np.array([0.05, 1.3, 40.0])}[fam.kind]
    np.testing.assert_allclose(fam.inverse_transform(fam.transform(y)), y, rtol=1e-12)
    assert fam.accepts(pd.Series(y))


@pytest.mark.parametrize("name", list(FAMILIES))
def test_likelihood_logp_matches_scipy(name):
    fam = family(name)
    aux = {a.name: AUX[a.name] for a in fam.aux}
    mu = np.exp(LOG_EXPOSURE + ETA)
    y, scipy_logp = SCIPY[name](mu)
    dist, kwargs = fam.distribution(ETA, LOG_EXPOSURE, aux)
    ours = pm.logp(dist.dist(**kwargs), y).eval()
    np.testing.assert_allclose(ours, scipy_logp(y), rtol=1e-6)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_natural_scale_is_inverse_link_with_offset(name):
    fam = family(name)
    natural = fam.link.inverse_pt(fam.offset(ETA, LOG_EXPOSURE)).eval()
    expected = fam.natural(ETA + (LOG_EXPOSURE if fam.uses_exposure else 0.0))
    np.testing.assert_allclose(natural, expected)
    label, unit = fam.label("col")
    assert "col" in label and unit


def test_draws_have_the_family_mean():
    """Simulated draws of each likelihood centre on its natural-scale summary."""
    rng = np.random.default_rng(0)
    for name, fam in FAMILIES.items():
        aux = {a.name: AUX[a.name] for a in fam.aux}
        dist, kwargs = fam.distribution(np.full(20000, 0.3), np.zeros(20000), aux)
        y = pm.draw(dist.dist(**kwargs), random_seed=rng)
        summary = float(fam.natural(np.array(0.3)))
        y = fam.inverse_transform(y)
        centre = np.median(y) if fam.kind == "continuous" else y.mean()
        assert abs(centre - summary) < 0.03 * max(summary, 1.0), name


def test_aux_parameters_are_named_per_outcome():
    aux = aux_parameters()
    assert set(aux) == {"phi", "sigma", "nu"}
    assert aux["phi"].variable("reassure") == "phi_reassure"
    assert aux["nu"].readable("milex") == "nu[milex]"
