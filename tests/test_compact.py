"""Compact storage of the predictive and log-likelihood groups of a run."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np

from bayes_alliance.fit import compact


def _tree(rng: np.random.Generator):
    ll = rng.normal(-1.2, 0.3, size=(2, 400, 200))
    ll[:, :, 3] -= rng.gamma(1.0, 3.0, size=(2, 400))  # one influential observation
    return az.from_dict({
        "posterior": {"m": rng.normal(size=(2, 400))},
        "log_likelihood": {"y": ll},
        "posterior_predictive": {"counts": rng.poisson(30.0, size=(2, 400, 200)),
                                 "binary": rng.binomial(1, 0.4, size=(2, 400, 200)),
                                 "big": rng.poisson(3e5, size=(2, 400, 200)),
                                 "log_spend": rng.normal(size=(2, 400, 200))},
    })


def test_integer_draws_keep_their_values_in_a_smaller_type():
    tree = _tree(np.random.default_rng(1))
    pp = tree["posterior_predictive"]
    small = compact(pp)
    assert small["counts"].dtype == np.uint8 and small["binary"].dtype == np.uint8
    assert small["big"].dtype.itemsize == 4  # 3e5 does not fit 16 bits
    for name in ("counts", "binary", "big"):
        np.testing.assert_array_equal(small[name].values, pp[name].values)
    assert small["log_spend"].dtype == np.float32
    np.testing.assert_allclose(small["log_spend"].values, pp["log_spend"].values, rtol=1e-6)


def test_float32_log_likelihood_leaves_psis_loo_unchanged():
    tree = _tree(np.random.default_rng(2))
    small = tree.copy()
    small["log_likelihood"] = compact(tree["log_likelihood"])
    assert small["log_likelihood"]["y"].dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full, half = az.loo(tree), az.loo(small)
    assert abs(float(full.elpd) - float(half.elpd)) < 1e-4
    assert np.abs(full.pareto_k.values - half.pareto_k.values).max() < 1e-4
