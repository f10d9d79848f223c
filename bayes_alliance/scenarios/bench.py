"""Timing of scenario evaluation (the README's Performance section).

``bayes-alliance bench-scenario RUN.nc [--scenario NAME] [--repeats 5]
[--resample 4x1000]`` prints JSON with the median wall time of
:func:`~bayes_alliance.scenarios.run_scenario` (evaluation and tidy summary),
of building the ``(draw, ally, year)`` draws and of drawing the figures.
``--resample CxD`` replaces the posterior by C chains x D draws resampled with
replacement from the run's draws, for timing at a size the fit does not have
(the numbers are then not a posterior, only a stand-in of the right shape).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import xarray as xr

from bayes_alliance.scenarios import run_scenario


def resample_posterior(result: Any, chains: int, draws: int, seed: int = 0) -> Any:
    """A copy of ``result`` whose posterior holds ``chains x draws`` resampled draws."""
    from dataclasses import replace

    post = result.idata["posterior"].to_dataset()
    flat = post.stack(sample=("chain", "draw"))
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, flat.sizes["sample"], size=chains * draws)
    new = flat.isel(sample=pick).drop_vars(["sample", "chain", "draw"])
    new = new.assign_coords(sample=np.arange(chains * draws))
    new = new.coarsen(sample=draws).construct(sample=("chain", "draw"))
    new = new.assign_coords(chain=np.arange(chains), draw=np.arange(draws))
    dims = list(post.dims)
    new = new.transpose("chain", "draw", *[d for d in dims if d not in ("chain", "draw")])
    return replace(result, idata=xr.DataTree.from_dict({"posterior": new}))


def bench_scenario(result: Any, scenario: str = "full-withdrawal", *, repeats: int = 5,
                   allies: list[str] | None = None, figures: bool = True) -> dict[str, Any]:
    """Median wall times (seconds) of one scenario on ``result`` over ``repeats`` runs."""
    run_s, draws_s, fig_s = [], [], []
    res = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = run_scenario(result, scenario, allies=allies)
        t1 = time.perf_counter()
        _ = res.draws
        t2 = time.perf_counter()
        run_s.append(t1 - t0)
        draws_s.append(t2 - t1)
    if figures and res is not None:
        t0 = time.perf_counter()
        _ = res.figures
        fig_s.append(time.perf_counter() - t0)
    post = result.idata["posterior"]
    return {"scenario": scenario, "chains": int(post.sizes["chain"]),
            "draws_per_chain": int(post.sizes["draw"]), "allies": len(res.rows["ally"].unique()),
            "ally_years": len(res.rows), "repeats": repeats,
            "median_run_scenario_s": statistics.median(run_s),
            "median_draws_dataset_s": statistics.median(draws_s),
            "figures_s": fig_s[0] if fig_s else None,
            "all_run_scenario_s": [round(t, 3) for t in run_s]}
