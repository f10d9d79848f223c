"""Sampling with NUTS (nutpie by default) into a :class:`~bayes_alliance.results.FitResult`.

Layering: this module sits above the model builder. It imports
:class:`~bayes_alliance.models.model.AllianceModel` and binds :func:`fit_model`
onto it as ``AllianceModel.fit``, so ``model.fit(draws=...)`` (the documented
API) keeps working while the model module never imports the sampler. The
package's public ``bayes_alliance.AllianceModel`` is resolved through this
module, so the binding is always in place for users of the top-level API.
"""

from __future__ import annotations

import importlib.util
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pymc as pm

from bayes_alliance.constants import MAX_RESTARTS
from bayes_alliance.convergence import warn_if_troubled
from bayes_alliance.errors import FitError
from bayes_alliance.guard import sample_guarded
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.strategic.model import StrategicModel
from bayes_alliance.results import FitResult, versions
from bayes_alliance.starts import mode_start

Sampler = Literal["nutpie", "pymc", "numpyro"]
SAMPLERS: tuple[str, ...] = ("nutpie", "pymc", "numpyro")
Init = Literal["default", "mode"]
INITS: tuple[str, ...] = ("default", "mode")
#: most draws kept in the posterior-predictive and log-likelihood groups (file size)
MAX_PREDICTIVE_DRAWS = 1000
#: compile time of the joint model on 2 cores, (empty PyTensor cache, warm cache), seconds
COMPILE_ESTIMATE_S = (120, 30)


def _check_settings(draws: int, tune: int, chains: int, target_accept: float,
                    sampler: str, max_restarts: int, init: str = "default") -> None:
    if sampler not in SAMPLERS:
        raise FitError(f"unknown sampler '{sampler}'; valid: {', '.join(SAMPLERS)}")
    if sampler == "numpyro" and importlib.util.find_spec("numpyro") is None:
        raise FitError("sampler 'numpyro' needs the optional extra: "
                       "pip install 'bayes-alliance[numpyro]'")
    if draws < 1 or tune < 0 or chains < 1:
        raise FitError(f"need draws >= 1, tune >= 0, chains >= 1 (got {draws}, {tune}, {chains})")
    if not 0.5 <= target_accept < 1:
        raise FitError(f"target_accept must be in [0.5, 1), got {target_accept}")
    if max_restarts < 0:
        raise FitError(f"max_restarts must be >= 0 (0 turns the guard off), got {max_restarts}")
    if init not in INITS:
        raise FitError(f"unknown init '{init}'; valid: {', '.join(INITS)}")


def numba_cache_dir() -> Path:
    """PyTensor's on-disk numba cache, ``<base_compiledir>/numba``."""
    import pytensor

    return Path(pytensor.config.base_compiledir) / "numba"


def first_compile() -> bool:
    """Whether PyTensor's numba cache is empty: the first fit on this machine compiles longest.

    The cache keeps the compiled pieces of every log density across processes;
    nutpie's wrapper around them is compiled again in every process (numba
    cannot cache it: it closes over the data).
    """
    cache = numba_cache_dir()
    return not cache.is_dir() or next(cache.glob("*.nbi"), None) is None


def compile_message(sampler: str) -> str:
    """What the user is told while the model compiles (the longest wait of a first run)."""
    if sampler != "nutpie":
        return f"compiling the model for {sampler}..."
    cold, warm = COMPILE_ESTIMATE_S
    if first_compile():
        return (f"compiling the model (first run on this machine: about {cold // 60} minutes "
                f"on 2 cores; later runs about {warm} s), then sampling...")
    return f"compiling the model (about {warm} s on 2 cores), then sampling..."


def _thin(idata, max_draws: int):
    """Posterior thinned so that chains x draws <= ``max_draws``."""
    post = idata["posterior"]
    total = post.sizes["chain"] * post.sizes["draw"]
    step = max(1, int(np.ceil(total / max_draws)))
    return idata.isel(draw=slice(None, None, step)) if step > 1 else idata


def compact(ds: Any) -> Any:
    """The predictive or log-likelihood group ``ds`` in the smallest exact storage type.

    Integer draws (counts, 0/1) take the smallest integer type that holds
    them, which loses nothing; floating point draws take float32 (a relative
    precision of about 1e-7, far below Monte Carlo error: a PSIS-LOO estimate
    changes by less than 1e-4). This halves a run file and lets compression
    work on the integer groups.
    """
    out = ds.copy()
    for name, var in ds.data_vars.items():
        values = var.values
        if values.dtype.kind in "iub" and values.size:
            kind = np.result_type(np.min_scalar_type(values.min()),
                                  np.min_scalar_type(values.max()))
            out[name] = var.astype(kind)
        elif values.dtype.kind == "f":
            out[name] = var.astype("float32")
    return out


def fit_model(
    model: AllianceModel | StrategicModel,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = 0.9,
    sampler: Sampler = "nutpie",
    random_seed: int = 1,
    cores: int | None = None,
    progressbar: bool = False,
    prior_draws: int = 500,
    predictive: bool = True,
    max_predictive_draws: int = MAX_PREDICTIVE_DRAWS,
    progress: Callable[[str], None] | None = None,
    max_restarts: int = MAX_RESTARTS,
    init: Init = "default",
) -> FitResult:
    """Sample the posterior of ``model`` and collect everything a report needs.

    Parameters
    ----------
    model
        The model to fit.
    draws, tune, chains
        NUTS settings per chain.
    target_accept
        Target acceptance rate of the step-size adaptation.
    sampler
        ``"nutpie"`` (default, Rust NUTS on a numba-compiled log density),
        ``"pymc"`` (PyMC's own NUTS) or ``"numpyro"`` (optional extra).
    random_seed
        Seed of the sampler and of the predictive draws: the same seed and
        sampler give identical draws.
    cores
        Chains run in parallel; defaults to ``min(chains, os.cpu_count())``
        (PyMC's own default is half the CPUs, which is 1 on a 2-core machine).
    progressbar
        Show the sampler's progress bar.
    prior_draws
        Draws from the prior and prior predictive (0 to skip).
    predictive
        Add posterior-predictive draws and the pointwise log-likelihood of
        each outcome (needed for PPCs and LOO). Both are computed on a
        posterior thinned to at most ``max_predictive_draws`` draws.
    progress
        Called with a one-line message at the start of each phase (compiling
        and sampling, predictive draws), e.g. ``print`` to stderr; the sampler's
        own bar (``progressbar``) shows the sampling itself.
    max_restarts
        Rounds of the stuck-chain guard (:mod:`bayes_alliance.guard`): a chain
        whose log density sits far below the others' is re-run with a new seed
        from a draw of the good chains; each round is recorded in
        ``result.info["restarts"]``. 0 turns the guard off.
    init
        ``"default"``: every chain starts at the model's initial point, jittered
        by the sampler. ``"mode"``: at the main posterior mode
        (:func:`bayes_alliance.starts.mode_start`: L-BFGS from the initial point
        and from its sign-reversed mirror image, the higher of the two), jittered;
        the choice is recorded in ``result.info["init"]``. Use it where a latent
        reassurance outcome without anchored indicators leaves a sign-reversed
        mode (statements-only specs under weak priors); it costs a compile of the
        log density and two climbs (about 30-60 s).

    Returns
    -------
    FitResult

    Warns
    -----
    ConvergenceWarning
        When :meth:`FitResult.diagnostics` finds divergences, R-hat above
        1.01, bulk or tail ESS below 400, a BFMI below 0.3 or a stuck chain;
        the message lists the problems and what to try.
    """
    _check_settings(draws, tune, chains, target_accept, sampler, max_restarts, init)
    cores = cores or min(chains, os.cpu_count() or 1)
    pm_model = model.pymc_model
    say = progress or (lambda _msg: None)
    initvals, init_record = None, {"kind": init}
    if init == "mode":
        if not isinstance(model, AllianceModel):
            raise FitError("init 'mode' applies to the joint models, not to the strategic one")
        say("climbing to the posterior mode and its mirror image for the chains' start...")
        initvals, climbed = mode_start(model)
        init_record.update(climbed)
    say(compile_message(sampler))
    t0 = time.perf_counter()
    with pm_model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
        kwargs = {"numpyro": {"nuts": {"chain_method": "vectorized"}},
                  "nutpie": {"nuts": {"adaptation": "low_rank"}}}.get(sampler, {})
        idata, restarts = sample_guarded(
            pm_model, draws=draws, tune=tune, chains=chains, cores=cores,
            random_seed=random_seed, nuts_sampler=sampler, target_accept=target_accept,
            progressbar=progressbar, max_restarts=max_restarts, say=say, initvals=initvals,
            **kwargs)
        total = time.perf_counter() - t0
        sampling_s = float(idata["posterior"].attrs.get("sampling_time", total))
        if prior_draws or predictive:
            say(f"compiled in {max(total - sampling_s, 0.0):.0f} s, sampled in "
                f"{sampling_s:.0f} s; prior and posterior predictive draws...")
        if prior_draws:
            prior = pm.sample_prior_predictive(draws=prior_draws, random_seed=random_seed)
            idata["prior"] = prior["prior"]
            idata["prior_predictive"] = compact(prior["prior_predictive"])
        if predictive:
            thinned = _thin(idata, max_predictive_draws)
            pp = pm.sample_posterior_predictive(thinned, random_seed=random_seed + 1,
                                                progressbar=False)
            idata["posterior_predictive"] = compact(pp["posterior_predictive"])
            ll = pm.compute_log_likelihood(thinned, extend_inferencedata=False,
                                           progressbar=False)
            idata["log_likelihood"] = compact(ll)
    info = {
        "sampler": sampler,
        "draws": draws, "tune": tune, "chains": chains, "cores": cores,
        "target_accept": target_accept, "random_seed": random_seed,
        "compile_s": round(max(total - sampling_s, 0.0), 2),
        "sampling_s": round(sampling_s, 2),
        "wall_s": round(time.perf_counter() - t0, 2),
        "restarts": restarts,
        "init": init_record,
        "unused_prior_selectors": model.priors.unused,
        "versions": versions(),
    }
    result = FitResult(idata=idata, spec=model.spec, panel=model.panel,
                       prior_set=model.priors.prior_set, scaling=model.scaling, info=info)
    warn_if_troubled(result.diagnostics(), stacklevel=4)
    return result


AllianceModel.fit = fit_model  # ``model.fit(...)``: see the module docstring
StrategicModel.fit = fit_model
