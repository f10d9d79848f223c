"""The stuck-chain guard: re-run chains trapped in a minor mode, and record it.

After sampling, :func:`~bayes_alliance.convergence.logp_gaps` measures how far
each chain's log density sits below the best chain's, in within-chain sds. A
chain more than ``STUCK_LOGP_SDS`` below is in a region of negligible
posterior mass (a minor mode): its draws would inflate R-hat and, if kept,
mix a wrong answer into the posterior. :func:`sample_guarded` re-runs each
such chain with a fresh seed, started from a draw of the good chains, and
puts the new chain in its place, up to ``max_restarts`` rounds; every round
is returned as a record (which chains, the gaps before and after, the seed,
the time), which :func:`~bayes_alliance.fit.fit_model` stores in the fit's
metadata. A chain still stuck after the last round stays in the draws, so
the diagnostics report it (nothing is dropped silently).

The restarted chain is a complete, independent NUTS run (its own tuning and
draws) from a point in the main mode, so the replaced draws are a valid chain
of the same sampler; only its starting point differs from the others' (both
samplers jitter it, nutpie by U(-1, 1) on the unconstrained scale, so a
re-run can land in the minor mode again: hence several rounds).
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pymc as pm
import xarray as xr

from bayes_alliance.constants import MAX_RESTARTS
from bayes_alliance.convergence import logp_gaps, stuck_chains
from bayes_alliance.errors import FitError


def restart_seed(random_seed: int, attempt: int, chain: int) -> int:
    """Seed of re-running ``chain`` in round ``attempt`` (1, 2, ...): reproducible, fresh."""
    return int(np.random.SeedSequence([random_seed, attempt, chain]).generate_state(1)[0])


def stuck(idata: Any) -> list[int]:
    """Chains of ``idata`` stuck far below the best (:func:`~.convergence.stuck_chains`)."""
    return list(stuck_chains(logp_gaps(idata["sample_stats"].to_dataset())))


def start_points(idata: Any, model: pm.Model, bad: list[int], seed: int) -> list[dict[str, Any]]:
    """One starting point per chain to re-run: a random draw of a random good chain.

    Values are on the constrained scale, keyed by the free variables' names, as
    ``pm.sample(initvals=...)`` takes them.
    """
    post = idata["posterior"].to_dataset()
    good = [c for c in range(post.sizes["chain"]) if c not in bad]
    rng = np.random.default_rng(seed)
    points = []
    for _ in bad:
        chain, draw = int(rng.choice(good)), int(rng.integers(post.sizes["draw"]))
        points.append({rv.name: np.asarray(post[rv.name].isel(chain=chain, draw=draw).values)
                       for rv in model.free_RVs if rv.name in post})
    return points


def replace_chains(idata: Any, new: Any, chains: list[int]) -> Any:
    """``idata`` with chain ``chains[k]`` of each per-chain group swapped for ``new``'s chain ``k``.

    Groups of ``idata`` that ``new`` lacks, or without a ``chain`` dimension, stay as
    they are; sampling-time attributes add up.
    """
    out = idata.copy()
    for name in idata.children:
        old = idata[name].to_dataset()
        if "chain" not in old.dims or name not in new.children:
            continue
        fresh = new[name].to_dataset()
        source = dict(zip(chains, range(len(chains)), strict=True))
        pieces = [fresh.isel(chain=[source[c]]).assign_coords(chain=[old.chain.values[c]])
                  if c in source else old.isel(chain=[c]) for c in range(old.sizes["chain"])]
        merged = xr.concat(pieces, dim="chain", combine_attrs="override")
        if "sampling_time" in old.attrs and "sampling_time" in fresh.attrs:
            merged.attrs["sampling_time"] = (float(old.attrs["sampling_time"])
                                             + float(fresh.attrs["sampling_time"]))
        out[name] = xr.DataTree(dataset=merged)
    return out


def sample_guarded(model: pm.Model, *, chains: int, random_seed: int,
                   max_restarts: int = MAX_RESTARTS, initvals: Any = None,
                   say: Callable[[str], None] | None = None,
                   **sample_kwargs: Any) -> tuple[Any, list[dict[str, Any]]]:
    """``pm.sample`` in ``model``, then :func:`repair` its stuck chains.

    Parameters
    ----------
    model
        The PyMC model.
    chains, random_seed, initvals
        As for ``pm.sample``; ``initvals`` only applies to the first sampling.
    max_restarts
        Rounds of re-running; 0 turns the guard off (the stuck chains are still
        reported by the diagnostics).
    say
        Called with a one-line message before each round of re-running.
    **sample_kwargs
        Passed to every ``pm.sample`` call (draws, tune, nuts_sampler, ...).

    Returns
    -------
    idata, restarts
        As :func:`repair`.

    Raises
    ------
    FitError
        When the sampler fails.
    """
    idata = _sample(model, chains=chains, random_seed=random_seed, initvals=initvals,
                    **sample_kwargs)
    return repair(model, idata, random_seed=random_seed, max_restarts=max_restarts, say=say,
                  **sample_kwargs)


def repair(model: pm.Model, idata: Any, *, random_seed: int, max_restarts: int = MAX_RESTARTS,
           say: Callable[[str], None] | None = None,
           **sample_kwargs: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Re-run the stuck chains of ``idata`` until none is left or ``max_restarts`` rounds ran.

    Each round re-runs every chain that :func:`stuck` finds, one ``pm.sample``
    call per chain (nutpie takes one starting point per call) with the seed
    :func:`restart_seed` and the start :func:`start_points`, and puts it in place
    (:func:`replace_chains`).

    Returns
    -------
    idata, restarts
        The draws with every re-run chain in place, and one record per round:
        ``round``, ``chains`` (indices re-run), ``seeds``, ``logp_gap_sds_before``
        and ``logp_gap_sds_after`` (of the re-run chains), ``seconds``.
    """
    restarts: list[dict[str, Any]] = []
    kwargs = {**sample_kwargs, "cores": 1}
    for attempt in range(1, max_restarts + 1):
        bad = stuck(idata)
        if not bad:
            break
        seeds = [restart_seed(random_seed, attempt, c) for c in bad]
        before = logp_gaps(idata["sample_stats"].to_dataset())
        points = start_points(idata, model, bad, seeds[0])
        if say is not None:
            say(f"chain(s) {', '.join(map(str, bad))} stuck "
                f"({', '.join(f'{before[c]:.0f}' for c in bad)} sds below the best chain): "
                f"re-running from the other chains' draws (round {attempt} of {max_restarts})...")
        t0 = time.perf_counter()
        for chain, point, seed in zip(bad, points, seeds, strict=True):
            new = _sample(model, chains=1, random_seed=seed, initvals=point, **kwargs)
            idata = replace_chains(idata, new, [chain])
        after = logp_gaps(idata["sample_stats"].to_dataset())
        restarts.append({"round": attempt, "chains": bad, "seeds": seeds,
                         "logp_gap_sds_before": [round(float(before[c]), 1) for c in bad],
                         "logp_gap_sds_after": [round(float(after[c]), 1) for c in bad],
                         "seconds": round(time.perf_counter() - t0, 2)})
    return idata, restarts


def _sample(model: pm.Model, **kwargs: Any) -> Any:
    # pm.sample writes into the sampler's option dicts (e.g. target_accept into
    # nuts={...}), which would break the next call: every call gets its own copy
    kwargs = copy.deepcopy(kwargs)
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
        try:
            return pm.sample(compute_convergence_checks=False, **kwargs)
        except (ValueError, RuntimeError, NotImplementedError) as err:
            raise FitError(f"sampling failed: {err}") from err


__all__ = ["repair", "replace_chains", "restart_seed",
           "sample_guarded", "start_points", "stuck"]
