"""Model checks of a fit, as tables.

Every function takes a :class:`~bayes_alliance.results.FitResult` (or several)
and returns a :class:`pandas.DataFrame` or a plain dict; figures live in
:mod:`bayes_alliance.report.figures`. Sampler health (divergences, R-hat, ESS,
BFMI, stuck chains) is computed once by :mod:`bayes_alliance.convergence`
(``result.diagnostics()``); :func:`convergence_table` adds the per-parameter
view. Comparisons across fits (model
comparison, the hypotheses table, prior sensitivity) are in
:mod:`bayes_alliance.diagnostics_compare`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayes_alliance.constants import ESS_MIN, PARETO_K_GOOD, RHAT_MAX
from bayes_alliance.errors import ReportError
from bayes_alliance.models.families import family

if TYPE_CHECKING:
    from bayes_alliance.results import FitResult

#: groups a report needs, and where they come from
REQUIRED_GROUPS: tuple[str, ...] = ("posterior", "sample_stats", "observed_data",
                                    "posterior_predictive", "log_likelihood")
#: start of ArviZ's warning that some Pareto k exceed ``good_k`` (recorded, not repeated)
PARETO_K_WARNING = "Estimated shape parameter of Pareto distribution is greater than"
#: central interval used for predictive checks
PPC_PROB = 0.90


def run_label(result: FitResult) -> str:
    """Short label of a run: ``spec/prior set``."""
    return f"{result.spec.name}/{result.prior_set.name}"


def as_named_runs(results: Any) -> dict[str, FitResult]:
    """Normalise one result, a list of results or a mapping into ``{name: result}``.

    A list is named by prior set when those are unique, else by ``spec/prior
    set`` (with a counter for exact duplicates).
    """
    if isinstance(results, Mapping):
        named = {str(k): v for k, v in results.items()}
    else:
        items = [results] if hasattr(results, "idata") else list(results)
        priors = [r.prior_set.name for r in items]
        labels = priors if len(set(priors)) == len(priors) else [run_label(r) for r in items]
        named = {}
        for label, r in zip(labels, items, strict=True):
            name, i = label, 2
            while name in named:
                name, i = f"{label} ({i})", i + 1
            named[name] = r
    if not named:
        raise ReportError("no fit results given; pass at least one run")
    return named


def require_groups(result: FitResult, groups: Iterable[str] = REQUIRED_GROUPS,
                   *, where: str = "run") -> None:
    """Raise :class:`ReportError` naming the ArviZ groups ``result`` lacks.

    Raises
    ------
    ReportError
        Listing the missing groups and how to get them.
    """
    present = set(result.idata.children)
    missing = [g for g in groups if g not in present]
    if missing:
        raise ReportError(
            f"{where} ({run_label(result)}) lacks the group(s) {', '.join(missing)}; "
            "refit with `bayes-alliance fit --out RUN.nc`, which computes the posterior "
            "predictive draws and the pointwise log-likelihood")


def family_kind(result: FitResult, outcome: str) -> str:
    """``"count"``, ``"binary"`` or ``"continuous"``: the kind of ``outcome``'s family."""
    return family(result.spec.outcome(outcome).family).kind


# ---------------------------------------------------------------------- convergence
def convergence_table(result: FitResult) -> pd.DataFrame:
    """R-hat, ESS bulk and tail, MCSE of each population-level parameter with pass/fail.

    Returns
    -------
    pandas.DataFrame
        Indexed by readable parameter name; columns ``r_hat``, ``ess_bulk``,
        ``ess_tail``, ``mcse_mean``, ``mcse_sd``, ``rhat_ok``, ``ess_ok``, ``ok``.
        A NaN R-hat (a constant quantity) counts as passing.
    """
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        table = az.summary(result.parameters(), kind="diagnostics", round_to="none")
    table = table[["r_hat", "ess_bulk", "ess_tail", "mcse_mean", "mcse_sd"]].astype(float)
    table["rhat_ok"] = table["r_hat"].isna() | (table["r_hat"] <= RHAT_MAX)
    table["ess_ok"] = (table["ess_bulk"] >= ESS_MIN) & (table["ess_tail"] >= ESS_MIN)
    table["ok"] = table["rhat_ok"] & table["ess_ok"]
    table.index.name = "parameter"
    return table


# ---------------------------------------------------------------------- predictive checks
def _draws(result: FitResult, group: str, outcome: str) -> np.ndarray:
    """Predictive draws of ``outcome`` as (samples, observations)."""
    da = result.idata[group][outcome]
    return da.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy().astype(float)


def observed(result: FitResult, outcome: str) -> np.ndarray:
    """Observed values of ``outcome`` on the model scale (log for milex)."""
    return result.idata["observed_data"][outcome].to_numpy().astype(float)


def predictive_table(result: FitResult, group: str = "posterior_predictive") -> pd.DataFrame:
    """Observed statistics of each outcome against their predictive distribution.

    For every outcome: the observed mean and sd (log scale for continuous
    outcomes), the predictive median and 90% interval of the replicated mean,
    the posterior predictive p-value P(mean(y_rep) >= mean(y)), the share of
    observations inside their own 90% predictive interval (NaN for binaries,
    whose interval is trivially [0, 1]), and ``ok`` when the
    observed mean lies inside the 90% interval of replicated means.
    """
    rows = []
    lo_q, hi_q = (1 - PPC_PROB) / 2, 1 - (1 - PPC_PROB) / 2
    for outcome in result.spec.outcome_names:
        if group not in result.idata.children or outcome not in result.idata[group]:
            continue
        y = observed(result, outcome)
        rep = _draws(result, group, outcome)
        rep_mean = rep.mean(axis=1)
        lo, hi = np.quantile(rep, [lo_q, hi_q], axis=0)
        m_lo, m_hi = np.quantile(rep_mean, [lo_q, hi_q])
        rows.append({
            "outcome": outcome, "kind": family_kind(result, outcome), "n_obs": int(y.size),
            "observed_mean": float(y.mean()), "observed_sd": float(y.std()),
            "replicated_mean": float(np.median(rep_mean)),
            "replicated_mean_lo": float(m_lo), "replicated_mean_hi": float(m_hi),
            "p_value_mean": float((rep_mean >= y.mean()).mean()),
            "coverage_90": (np.nan if family_kind(result, outcome) == "binary"
                            else float(((y >= lo) & (y <= hi)).mean())),
            "ok": bool(m_lo <= y.mean() <= m_hi),
        })
    return pd.DataFrame(rows).set_index("outcome") if rows else pd.DataFrame()


def pit_values(result: FitResult, outcome: str) -> np.ndarray:
    """Randomised PIT values of the observations under the posterior predictive.

    Ties (discrete outcomes) are broken uniformly at random with a fixed seed,
    so the PIT of a calibrated model is uniform for counts and binaries too.
    """
    y = observed(result, outcome)
    rep = _draws(result, "posterior_predictive", outcome)
    below = (rep < y).mean(axis=0)
    equal = (rep == y).mean(axis=0)
    rng = np.random.default_rng(0)
    return below + rng.uniform(size=y.size) * equal


# ---------------------------------------------------------------------- LOO
def psis_loo(idata: Any, var_name: str) -> Any:
    """``az.loo`` of ``var_name`` (pointwise), recording rather than repeating the Pareto-k warning.

    ArviZ warns when some Pareto k exceed ``good_k``; the returned
    ``ELPDData`` says the same in its ``warning`` flag and k values, which
    :func:`loo_table`, the comparison tables and the report show. Every other
    warning passes through.
    """
    import arviz as az

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PARETO_K_WARNING)
        return az.loo(idata, var_name=var_name, pointwise=True)


def loo_results(result: FitResult) -> dict[str, Any]:
    """PSIS-LOO of each outcome and indicator: ``{name: ELPDData}`` (see :func:`psis_loo`)."""
    require_groups(result, ("posterior", "log_likelihood"))
    names = (*result.spec.outcome_names,
             *(i.name for i in getattr(result.spec, "indicators", ())))
    return {name: psis_loo(result.idata, name) for name in names
            if name in result.idata["log_likelihood"]}


def loo_table(result: FitResult, loos: dict[str, Any] | None = None) -> pd.DataFrame:
    """ELPD, its SE, p_loo and Pareto-k counts per outcome.

    Pareto k above the sample-size-dependent threshold ``good_k`` (at most
    0.7) makes an observation's PSIS estimate unreliable; ``ok`` is True when
    no observation exceeds it. ``pareto_k_warning`` is ArviZ's own flag for the
    same condition (its warning is recorded here instead of printed).
    """
    loos = loo_results(result) if loos is None else loos
    rows = []
    for outcome, lo in loos.items():
        k = np.asarray(lo.pareto_k, float).ravel()
        good = float(min(getattr(lo, "good_k", PARETO_K_GOOD) or PARETO_K_GOOD, PARETO_K_GOOD))
        rows.append({
            "outcome": outcome, "n_obs": int(k.size), "elpd": float(lo.elpd),
            "se": float(lo.se), "p_loo": float(lo.p), "good_k": good,
            "k_good": int((k <= good).sum()), "k_bad": int(((k > good) & (k <= 1)).sum()),
            "k_very_bad": int((k > 1).sum()), "max_k": float(np.nanmax(k)),
            "pareto_k_warning": bool(getattr(lo, "warning", False)),
            "ok": bool((k <= good).all()),
        })
    return pd.DataFrame(rows).set_index("outcome") if rows else pd.DataFrame()


__all__ = [
    "PARETO_K_WARNING", "REQUIRED_GROUPS", "as_named_runs", "convergence_table", "family_kind",
    "loo_results", "loo_table", "observed", "pit_values", "predictive_table", "psis_loo",
    "require_groups", "run_label",
]
