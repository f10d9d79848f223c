r"""Fake-data check on the real design: does the model recover its own fitted answer.

From a fit to the real panel, every population-level parameter is fixed at its
posterior mean :math:`\hat\theta`; outcomes are drawn from the model's own
generative graph on the same skeleton (same allies, years, covariates and
missingness, ally effects drawn afresh), the same spec under the same prior set
is refitted, and this is repeated ``reps`` times
(:func:`~bayes_alliance.validation.sampling.simulate_and_fit`, one Dask task per
replicate). For every hypothesis coefficient :math:`\beta` with truth
:math:`\hat\beta`:

* *coverage*: the share of replicates whose 90% central interval holds
  :math:`\hat\beta`;
* *sign recovery*: the share whose posterior mean has the sign of
  :math:`\hat\beta`.

A coefficient is labelled **not identified** on this design when its coverage
is below :data:`COVER_MIN` or its sign recovery below :data:`SIGN_MIN`: the
design cannot give back the answer it gave, so that answer is not evidence.
With few replicates these shares are coarse (4 replicates: steps of 0.25);
the label is a screen, not a test.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.errors import ValidationRunError
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.theory import REGISTRY
from bayes_alliance.validation.cluster import dask_client
from bayes_alliance.validation.sampling import simulate_and_fit

#: a coefficient whose 90% intervals cover its truth in fewer replicates is not identified
COVER_MIN = 0.5
#: ... or whose posterior mean has the truth's sign in fewer replicates
SIGN_MIN = 0.75


def fit_replicate(spec: Any, frame: pd.DataFrame, prior_set: Any, params: dict[str, float],
                  seed: int, settings: dict[str, Any], coefficients: Sequence[str]
                  ) -> list[dict[str, Any]]:
    """Simulate one panel at ``params`` on ``frame``'s skeleton, refit, summarise (Dask task)."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = AllianceModel.from_spec(spec, frame, prior_set)
        _, _, post, stats = simulate_and_fit(gen, params, seed=seed, **settings)
    rows = []
    for coef in coefficients:
        x = np.asarray(post[coef].values, float).ravel()
        q05, q95 = np.quantile(x, [0.05, 0.95])
        rows.append({"coefficient": coef, "seed": seed, "truth": params[coef],
                     "mean": float(x.mean()), "q05": float(q05), "q95": float(q95),
                     "divergences": stats["divergences"],
                     "seconds": round(time.perf_counter() - t0, 1)})
    return rows


def fake_data_check(result: Any, *, reps: int = 4, draws: int = 500, tune: int = 500,
                    chains: int = 2, target_accept: float = 0.9, seed: int = 11,
                    workers: int = 2, scheduler: str | None = None,
                    hypotheses: Sequence[Any] | None = None,
                    progress: Callable[[str], None] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the check on a fitted :class:`~bayes_alliance.results.FitResult`.

    Returns
    -------
    replicates
        One row per hypothesis coefficient and replicate: ``coefficient``,
        ``seed``, ``truth``, ``mean``, ``q05``, ``q95``, ``divergences``,
        ``seconds``, ``covered``, ``sign_ok``.
    table
        One row per hypothesis with a coefficient the spec estimates: ``id``,
        ``coefficient``, ``truth``, ``coverage90``, ``sign_recovery``,
        ``mean_of_means`` and ``label`` (``"identified"`` or
        ``"not identified"``).

    Raises
    ------
    ValidationRunError
        When ``reps`` < 1 or no hypothesis coefficient is in the fit.
    """
    if reps < 1:
        raise ValidationRunError(f"need at least one replicate, got reps={reps}")
    means = result.parameters().mean(("chain", "draw"))
    params = {str(k): float(v) for k, v in means.data_vars.items()}
    hyps = [h for h in (REGISTRY if hypotheses is None else hypotheses)
            if h.coefficient and h.coefficient in params]
    if not hyps:
        raise ValidationRunError(f"spec '{result.spec.name}' estimates no hypothesis "
                                 "coefficient; nothing to check")
    coefs = list(dict.fromkeys(h.coefficient for h in hyps))
    settings = {"draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept}
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(reps)]
    rows: list[dict[str, Any]] = []
    with dask_client(scheduler, min(workers, reps)) as client:
        from dask.distributed import as_completed

        futures = [client.submit(fit_replicate, result.spec, result.panel.frame,
                                 result.prior_set, params, s, settings, coefs, pure=False)
                   for s in seeds]
        for k, future in enumerate(as_completed(futures), start=1):
            out = future.result()
            rows += out
            if progress is not None:
                progress(f"fake-data replicate {k}/{reps}: {out[0]['seconds']} s")
    reps_frame = pd.DataFrame(rows)
    reps_frame["covered"] = (reps_frame.q05 <= reps_frame.truth) & \
        (reps_frame.truth <= reps_frame.q95)
    reps_frame["sign_ok"] = np.sign(reps_frame["mean"]) == np.sign(reps_frame.truth)
    g = reps_frame.groupby("coefficient")
    table = pd.DataFrame([{"id": h.id, "coefficient": h.coefficient,
                           "truth": params[h.coefficient],
                           "coverage90": float(g.get_group(h.coefficient)["covered"].mean()),
                           "sign_recovery": float(g.get_group(h.coefficient)["sign_ok"].mean()),
                           "mean_of_means": float(g.get_group(h.coefficient)["mean"].mean())}
                          for h in hyps])
    table["label"] = np.where((table.coverage90 >= COVER_MIN) & (table.sign_recovery >= SIGN_MIN),
                              "identified", "not identified")
    return reps_frame, table


__all__ = ["COVER_MIN", "SIGN_MIN", "fake_data_check", "fit_replicate"]
