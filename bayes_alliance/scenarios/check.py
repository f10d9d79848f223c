"""Cross-check of the vectorised evaluation against PyMC's own machinery.

The model is rebuilt from the stored spec, panel, prior set and scaling; every
input a scenario changes is a ``pm.Data`` container, so ``pm.set_data`` puts the
scenario's rows (factual or intervened design, all rows observed, zero log
exposure so that the count mean is the rate per mention) into the graph. A
``pm.Deterministic`` per outcome exposes the likelihood's own location
parameter (StudentT/Normal ``mu``, Bernoulli ``p``, negative binomial mean), and
``pm.sample_posterior_predictive`` recomputes those deterministics, and draws
the observed outcomes, on the same posterior draws. The deterministics must
equal the vectorised values up to floating point; the mean of the drawn
``log(milex_gdp)`` must match the mean predictor within Monte Carlo error.
``reassurance.shift`` has no ``pm.Data`` counterpart and is not part of this
check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from bayes_alliance.errors import ScenarioError
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.scenarios.definition import Scenario
from bayes_alliance.scenarios.engine import (
    Draws,
    Prepared,
    evaluate,
    intervened,
    linear_predictors,
    prepare,
)


def _location(model: Any, o: Any) -> Any:
    """The natural-scale location of outcome ``o`` as a PyTensor expression."""
    import pytensor.tensor as pt

    rv = model[o.name]
    params = rv.owner.op.dist_params(rv.owner)
    if o.family in ("lognormal_t", "lognormal"):
        return pt.exp(params[-2] if o.family == "lognormal_t" else params[0])
    if o.family == "bernoulli":
        return params[0]
    if o.family == "negative_binomial":
        n, p = params
        return n * (1 - p) / p
    return params[0]  # poisson mu


def _set_inputs(model: Any, prep: Prepared, inputs: Any) -> None:
    import pymc as pm

    n = len(prep.frame)
    values: dict[str, np.ndarray] = {"ally_idx": inputs.ally_idx, "year_idx": inputs.year_idx,
                                     "log_exposure": np.zeros(n)}
    coords: dict[str, Any] = {"obs": np.arange(n)}
    for o in prep.spec.outcomes:
        values[f"X_{o.name}"] = inputs.X[o.name]
        values[f"M_{o.name}"] = inputs.M[o.name]
        values[f"idx_{o.name}"] = np.arange(n)
        dtype = model[f"y_{o.name}"].get_value().dtype
        values[f"y_{o.name}"] = np.zeros(n, dtype=dtype)
        coords[f"obs_{o.name}"] = np.arange(n)
    with model:
        pm.set_data(values, coords=coords)


def check_against_pymc(result: Any, scenario: str | Scenario, *, allies: list[str] | None = None,
                       max_draws: int = 200, seed: int = 0) -> dict[str, Any]:
    """Compare :func:`run_scenario`'s arithmetic with PyMC on the same draws.

    Parameters
    ----------
    result
        A fit.
    scenario
        Preset, path or :class:`Scenario`; a ``reassurance.shift`` is refused.
    max_draws
        Draws per chain used (the first ones).

    Returns
    -------
    dict
        Per world (``factual``, ``counterfactual``) and outcome: the largest
        absolute and relative difference of the natural-scale location, and for
        log-scale outcomes the z-score of the mean drawn value against the mean
        predictor.
    """
    import pymc as pm


    prep = prepare(result, scenario, allies=allies)
    if any(iv.variable == "reassurance" for iv in prep.scenario.interventions):
        raise ScenarioError("reassurance.shift cannot be expressed with pm.set_data; check a "
                            "scenario without it")
    post = result.idata["posterior"].to_dataset().isel(draw=slice(0, max_draws))
    draws = Draws.from_posterior(post, prep.spec, prep.allies)
    trace = xr.DataTree.from_dict({"posterior": post})
    model = AllianceModel.from_spec(result.spec, result.panel, result.prior_set).pymc_model
    with model:
        for o in prep.spec.outcomes:
            pm.Deterministic(f"check_{o.name}", _location(model, o))
    cf_inputs, _ = intervened(prep)
    report: dict[str, Any] = {"n_draws": draws.n, "n_rows": len(prep.frame)}
    for world, inputs in (("factual", prep.factual), ("counterfactual", cf_inputs)):
        _set_inputs(model, prep, inputs)
        names = [f"check_{o.name}" for o in prep.spec.outcomes] + list(prep.spec.outcome_names)
        pp = pm.sample_posterior_predictive(trace, model=model, var_names=names,
                                            predictions=True, random_seed=seed,
                                            progressbar=False)
        pred = pp["predictions"]
        ours = evaluate(prep, draws, inputs)
        eta = linear_predictors(prep, draws, inputs)
        out = {}
        for o in prep.spec.outcomes:
            theirs = np.asarray(pred[f"check_{o.name}"].transpose("chain", "draw", ...).values)
            theirs = theirs.reshape(-1, theirs.shape[-1])
            diff = np.abs(theirs - ours[o.name])
            entry = {"max_abs_diff": float(diff.max()),
                     "max_rel_diff": float((diff / np.maximum(np.abs(ours[o.name]), 1e-300))
                                           .max())}
            if o.family in ("lognormal_t", "lognormal"):
                y = np.asarray(pred[o.name].transpose("chain", "draw", ...).values)
                y = y.reshape(-1, y.shape[-1])
                gap = y.mean(axis=0) - eta[o.name].mean(axis=0)
                se = y.std(axis=0, ddof=1) / np.sqrt(y.shape[0])
                entry["max_abs_z_mean_log"] = float(np.max(np.abs(gap / se)))
            if o.family == "bernoulli":
                y = np.asarray(pred[o.name].values, float).reshape(draws.n, -1)
                gap = y.mean() - ours[o.name].mean()
                se = y.std(ddof=1) / np.sqrt(y.size)
                entry["z_mean_bernoulli"] = float(gap / se)
            out[o.name] = entry
        report[world] = out
    return report
