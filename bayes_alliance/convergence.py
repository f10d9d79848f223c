"""Sampler health of a fit, computed once and shared (API, CLI, report, bench).

:func:`diagnose` reads only the ArviZ data (``posterior`` and ``sample_stats``)
and returns one :class:`Diagnostics`: divergent transitions, R-hat, bulk and
tail ESS, energy BFMI and stuck chains, each checked against the thresholds of
:mod:`bayes_alliance.constants`. :meth:`FitResult.diagnostics
<bayes_alliance.results.FitResult.diagnostics>` calls it on the free
parameters of a fit; :func:`warn_if_troubled` turns its problems into a
:class:`~bayes_alliance.errors.ConvergenceWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayes_alliance.constants import BFMI_MIN, ESS_MIN, RHAT_MAX, STUCK_LOGP_SDS
from bayes_alliance.errors import ConvergenceWarning

if TYPE_CHECKING:
    import xarray as xr


def logp_gaps(sample_stats: xr.Dataset) -> np.ndarray:
    r"""How far each chain's log density sits below the best chain's, in within-chain sds.

    .. math:: g_c = \frac{\max_j m_j - m_c}{\operatorname{median}_j s_j}

    with :math:`m_c` the median and :math:`s_c` the sd of chain :math:`c`'s log
    density over its draws. Chains in the same typical set differ by a fraction of
    an sd; a chain trapped in a minor mode sits many sds below (e.g. 15 sds, a log
    density 214 lower, in one 4-chain fit of the default panel). Zeros when the
    sampler did not record the log density (``logp`` for nutpie, ``lp`` for PyMC).
    """
    name = next((n for n in ("logp", "lp") if n in sample_stats), None)
    if name is None:
        return np.zeros(sample_stats.sizes.get("chain", 0))
    lp = np.asarray(sample_stats[name].transpose("chain", "draw"), float)
    med = np.median(lp, axis=1)
    scale = float(np.median(lp.std(axis=1)))
    if not np.isfinite(scale) or scale <= 0:
        return np.zeros(lp.shape[0])
    return (med.max() - med) / scale


def stuck_chains(gaps: Sequence[float] | np.ndarray) -> tuple[int, ...]:
    """Chains whose :func:`logp_gaps` exceed ``STUCK_LOGP_SDS``: stuck in a minor mode."""
    return tuple(int(c) for c in np.flatnonzero(np.asarray(gaps, float) > STUCK_LOGP_SDS))


@dataclass(frozen=True)
class Diagnostics:
    r"""Sampler health of one fit, with pass/fail against the package thresholds.

    Attributes
    ----------
    divergences_per_chain
        Divergent transitions of each chain after tuning.
    bfmi
        Energy Bayesian fraction of missing information of each chain,
        :math:`\mathrm{BFMI}_c = \sum_t (E_t - E_{t-1})^2 / \sum_t (E_t - \bar E)^2`
        (NaN without energy draws); below ``BFMI_MIN`` the momentum resampling
        explores the energy distribution poorly.
    logp_gap_sds
        :func:`logp_gaps` of each chain.
    max_rhat
        Largest rank-normalised split R-hat over the parameters checked (NaN
        when none is defined, e.g. a constant quantity).
    min_ess_bulk, min_ess_tail
        Smallest bulk and tail effective sample sizes.
    problems
        One sentence per failed check; empty when every check passes.
    """

    divergences_per_chain: tuple[int, ...]
    bfmi: tuple[float, ...]
    logp_gap_sds: tuple[float, ...]
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    problems: tuple[str, ...]

    @property
    def divergences(self) -> int:
        """Divergent transitions over all chains."""
        return int(sum(self.divergences_per_chain))

    @property
    def stuck_chains(self) -> tuple[int, ...]:
        """Chains whose log density sits more than ``STUCK_LOGP_SDS`` sds below the best."""
        return stuck_chains(self.logp_gap_sds)

    @property
    def min_bfmi(self) -> float:
        """Smallest per-chain BFMI (NaN when none was computed)."""
        finite = [b for b in self.bfmi if np.isfinite(b)]
        return float(min(finite)) if finite else float("nan")

    @property
    def ok(self) -> bool:
        """True when every check passes."""
        return not self.problems

    def chain_table(self) -> pd.DataFrame:
        """Divergences, BFMI and log-density gap per chain, with pass/fail per chain."""
        table = pd.DataFrame({"chain": np.arange(len(self.divergences_per_chain)),
                              "divergences": list(self.divergences_per_chain),
                              "bfmi": list(self.bfmi),
                              "logp_gap_sds": np.round(self.logp_gap_sds, 1)})
        table["ok"] = ((table["divergences"] == 0) & ~(table["bfmi"] < BFMI_MIN)
                       & (table["logp_gap_sds"] <= STUCK_LOGP_SDS))
        return table.set_index("chain")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready headline numbers (R-hat and BFMI to 3 decimals, ESS as integers)."""
        return {
            "divergences": self.divergences,
            "divergences_per_chain": list(self.divergences_per_chain),
            "max_rhat": _round_or_none(self.max_rhat, 3),
            "min_ess_bulk": _round_or_none(self.min_ess_bulk, None),
            "min_ess_tail": _round_or_none(self.min_ess_tail, None),
            "min_bfmi": _round_or_none(self.min_bfmi, 3),
            "bfmi": [_round_or_none(b, 3) for b in self.bfmi],
            "logp_gap_sds": [round(float(g), 1) for g in self.logp_gap_sds],
            "stuck_chains": list(self.stuck_chains),
            "ok": self.ok,
            "problems": list(self.problems),
        }

    def __getitem__(self, key: str) -> Any:
        """``diag["max_rhat"]``: the :meth:`to_dict` entry (the earlier dict interface)."""
        return self.to_dict()[key]

def advice(*, cli: bool = False) -> str:
    """What to try after sampler trouble, with option names for the CLI or the Python API."""
    tune, accept = ("--tune", "--target-accept") if cli else ("tune", "target_accept")
    return (f"Try more tuning steps ({tune}), a higher {accept} (e.g. 0.95) against "
            "divergences, or more draws against low ESS")


def _round_or_none(x: float, digits: int | None) -> float | int | None:
    if not np.isfinite(x):
        return None
    return int(round(float(x))) if digits is None else round(float(x), digits)


def _extreme(ds: xr.Dataset, fn: Any) -> float:
    """``fn`` (max or min) over the finite values of every variable of ``ds``; NaN if none."""
    values = np.concatenate([np.ravel(ds[v].to_numpy()).astype(float) for v in ds.data_vars]
                            or [np.empty(0)])
    finite = values[np.isfinite(values)]
    return float(fn(finite)) if finite.size else float("nan")


def diagnose(idata: Any, var_names: Sequence[str] | None = None) -> Diagnostics:
    """Check the sampler health of ``idata`` (an ArviZ ``DataTree``).

    Parameters
    ----------
    idata
        ArviZ data with a ``posterior`` group and, when the sampler recorded
        them, ``diverging``, ``energy`` and ``logp`` (or ``lp``) in ``sample_stats``.
    var_names
        Posterior variables whose R-hat and ESS are checked (default: all).

    Returns
    -------
    Diagnostics
        A problem is reported for any divergence, R-hat above ``RHAT_MAX``,
        bulk or tail ESS below ``ESS_MIN``, a chain's BFMI below ``BFMI_MIN``,
        or a chain whose log density sits more than ``STUCK_LOGP_SDS``
        within-chain sds below the best chain's.
    """
    import arviz as az

    post = idata["posterior"].to_dataset()
    if var_names is not None:
        post = post[list(var_names)]
    n_chain = post.sizes["chain"]
    stats = idata["sample_stats"].to_dataset() if "sample_stats" in idata.children else {}
    with warnings.catch_warnings():
        # R-hat and ESS of a constant quantity divide by zero: NaN is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = _extreme(az.rhat(post), np.max)
        ess_bulk = _extreme(az.ess(post, method="bulk"), np.min)
        ess_tail = _extreme(az.ess(post, method="tail"), np.min)
    divergences = (tuple(int(d) for d in stats["diverging"].sum("draw").to_numpy())
                   if "diverging" in stats else (0,) * n_chain)
    if "energy" in stats:
        bfmi = tuple(float(b) for b in np.atleast_1d(np.asarray(az.bfmi(idata)["energy"])))
    else:
        bfmi = (float("nan"),) * n_chain
    gaps = tuple(float(g) for g in (logp_gaps(stats) if stats else np.zeros(n_chain)))
    problems = []
    if sum(divergences):
        problems.append(f"{sum(divergences)} divergent transitions")
    if rhat > RHAT_MAX:
        problems.append(f"max R-hat {rhat:.3f} > {RHAT_MAX}")
    if ess_bulk < ESS_MIN:
        problems.append(f"min ESS bulk {ess_bulk:.0f} < {ESS_MIN}")
    if ess_tail < ESS_MIN:
        problems.append(f"min ESS tail {ess_tail:.0f} < {ESS_MIN}")
    low_bfmi = [b for b in bfmi if b < BFMI_MIN]
    if low_bfmi:
        problems.append(f"min BFMI {min(low_bfmi):.2f} < {BFMI_MIN}")
    stuck = stuck_chains(gaps)
    if stuck:
        problems.append(f"chain(s) {', '.join(map(str, stuck))} stuck in a region of "
                        f"negligible mass (log density {max(gaps):.0f} within-chain sds "
                        "below the best chain); rerun with another seed")
    return Diagnostics(divergences_per_chain=divergences, bfmi=bfmi, logp_gap_sds=gaps,
                       max_rhat=rhat, min_ess_bulk=ess_bulk, min_ess_tail=ess_tail,
                       problems=tuple(problems))


def describe_restarts(restarts: list[dict[str, Any]]) -> list[str]:
    """One sentence per round of the stuck-chain guard (:func:`bayes_alliance.guard.repair`)."""
    return [f"round {r['round']}: re-ran chain(s) {', '.join(map(str, r['chains']))} "
            f"(log density {', '.join(f'{g:g}' for g in r['logp_gap_sds_before'])} sds below "
            f"the best chain; after: {', '.join(f'{g:g}' for g in r['logp_gap_sds_after'])}; "
            f"seeds {', '.join(map(str, r['seeds']))}; {r['seconds']:.0f} s)" for r in restarts]


def warn_if_troubled(diagnostics: Diagnostics, *, stacklevel: int = 3) -> None:
    """Emit a :class:`ConvergenceWarning` listing the problems, if there are any."""
    if diagnostics.ok:
        return
    warnings.warn(ConvergenceWarning(
        "sampler trouble: " + "; ".join(diagnostics.problems) + ". "
        + advice() + "; see result.diagnostics()."), stacklevel=stacklevel)


__all__ = ["Diagnostics", "advice", "describe_restarts", "diagnose", "logp_gaps", "stuck_chains",
           "warn_if_troubled"]
