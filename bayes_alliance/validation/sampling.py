"""Repeated fits of one model structure with nutpie, compiling once per process.

Validation runs fit the same model (same spec, priors, covariates and
observed rows) to many simulated data sets. Only the outcome containers
``y_<outcome>`` change, so the nutpie model is compiled once per worker
process and re-used through ``CompiledModel.with_data`` (a new compile costs
15-30 s, a small fit a few seconds). The cache key is a hash of everything
but the outcomes: a model whose covariates or observed rows differ is
compiled afresh, so the cache can never mix structures.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.errors import FitError, ValidationRunError
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.results import readable_parameters

#: compiled nutpie models of this process, by structure key
_COMPILED: dict[str, Any] = {}
#: how many compilations this process did (tests check the cache works)
COMPILE_COUNT = {"n": 0}


def _outcome_containers(model: AllianceModel) -> list[str]:
    """The observed-value containers: every outcome's and every indicator's."""
    observed = (*model.outcome_names, *(i.name for i in model.spec.indicators))
    return [f"y_{o}" for o in observed]


def structure_key(model: AllianceModel) -> str:
    """Hash of the model's spec, priors and every data container except the outcomes."""
    m = model.pymc_model
    skip = set(_outcome_containers(model))
    h = hashlib.sha256()
    h.update(model.spec.hash().encode())
    h.update(json.dumps(model.priors.prior_set.to_dict(), sort_keys=True).encode())
    for var in sorted(m.data_vars, key=lambda v: v.name):
        if var.name in skip:
            continue
        value = np.ascontiguousarray(var.get_value())
        h.update(var.name.encode())
        h.update(str(value.shape).encode())
        h.update(value.tobytes())
    return h.hexdigest()[:16]


def _compiled_for(model: AllianceModel) -> Any:
    import nutpie

    key = structure_key(model)
    if key not in _COMPILED:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
            warnings.filterwarnings("ignore", category=FutureWarning)
            _COMPILED[key] = nutpie.compile_pymc_model(model.pymc_model, backend="numba")
        COMPILE_COUNT["n"] += 1
    compiled = _COMPILED[key]
    m = model.pymc_model
    return compiled.with_data(**{name: m[name].get_value()
                                 for name in _outcome_containers(model)})


def sample_parameters(model: AllianceModel, *, draws: int, tune: int, chains: int, seed: int,
                      target_accept: float = 0.9, cores: int = 1) -> tuple[xr.Dataset, dict]:
    """Fit ``model`` with nutpie and return its population-level draws.

    Parameters
    ----------
    model
        The model, with its observed outcomes.
    draws, tune, chains
        NUTS settings (per chain); ``cores`` chains run in parallel.
    seed
        Sampler seed.
    target_accept
        Target acceptance rate of the step-size adaptation.
    cores
        Threads used by nutpie (1 inside a single-threaded Dask worker).

    Returns
    -------
    params
        :func:`~bayes_alliance.results.readable_parameters` of the posterior
        (dims ``chain``, ``draw``).
    stats
        ``divergences``, ``sampling_s``.
    """
    import time

    import nutpie


    compiled = _compiled_for(model)
    t0 = time.perf_counter()
    try:
        trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, cores=cores,
                              seed=seed, progress_bar=False, save_warmup=False,
                              target_accept=target_accept, adaptation="low_rank")
    except (ValueError, RuntimeError) as err:
        raise FitError(f"sampling failed: {err}") from err
    seconds = time.perf_counter() - t0
    params = readable_parameters(trace, model.spec).load()
    divergences = int(trace["sample_stats"]["diverging"].sum())
    return params, {"divergences": divergences, "sampling_s": round(seconds, 3)}


def simulate_and_fit(gen: AllianceModel, params: dict[str, Any], *, seed: int, draws: int,
                     tune: int, chains: int, target_accept: float
                     ) -> tuple[pd.DataFrame, dict[str, float], xr.Dataset, dict]:
    """Draw a panel from ``gen`` at ``params``, refit the same model to it.

    Parameters
    ----------
    gen
        The generating model (:func:`~bayes_alliance.validation.panels.generating_model`).
    params
        Fixed parameter values (``{}``: all drawn from the prior), as in
        :meth:`~bayes_alliance.models.model.AllianceModel.simulate`.
    seed
        Seed of the simulation and of the sampler.
    draws, tune, chains, target_accept
        NUTS settings of :func:`sample_parameters`.

    Returns
    -------
    frame, truth, posterior, stats
        The simulated panel, the true values by readable name, the readable
        posterior draws and the sampler stats.
    """
    frame, truth = gen.simulate(params, seed=seed)
    model = AllianceModel.from_spec(gen.spec, frame, priors=gen.priors.prior_set)
    if model.outcome_names != gen.outcome_names:
        raise ValidationRunError(f"simulated panel lost outcomes: {model.outcome_names}")
    posterior, stats = sample_parameters(model, draws=draws, tune=tune, chains=chains,
                                         seed=seed % (2**31), target_accept=target_accept)
    return frame, readable_truth(gen, truth), posterior, stats


def readable_truth(model: AllianceModel, truth: dict[str, Any]) -> dict[str, float]:
    """True parameter values under the readable names of :func:`readable_parameters`."""
    m = model.pymc_model
    dims = m.named_vars_to_dims
    data = {}
    for name, value in truth.items():
        if name not in m.named_vars or name in model.outcome_names:
            continue
        var_dims = tuple(dims.get(name, ()) or ())
        arr = np.asarray(value, float)
        if arr.ndim != len(var_dims):
            continue  # packed/unnamed arrays (chol_ally) have no readable name
        coords = {d: list(m.coords[d]) for d in var_dims}
        data[name] = xr.DataArray(arr[None, None], dims=("chain", "draw", *var_dims),
                                  coords=coords)
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset(data)})
    ds = readable_parameters(tree, model.spec)
    return {k: float(ds[k].values.ravel()[0]) for k in ds.data_vars}
