"""Checks across several fits: model comparison, the hypotheses table, prior sensitivity.

Each function takes ``{name: FitResult}``, a list of results or one result
(see :func:`bayes_alliance.diagnostics.as_named_runs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayes_alliance.diagnostics import as_named_runs, loo_results, psis_loo, require_groups
from bayes_alliance.errors import ReportError
from bayes_alliance.theory.hypotheses import REGISTRY

if TYPE_CHECKING:
    from bayes_alliance.results import FitResult

#: reference prior set of the sensitivity table when it was fitted
REFERENCE_PRIORS = "weak"
#: a posterior mean moving more than this many posterior sds is flagged as prior-sensitive
SENSITIVE_SD = 0.5


@dataclass(frozen=True)
class Hypothesis:
    """Minimal stand-in for a theory hypothesis (tests and user registries)."""

    id: str
    outcome: str
    driver: str
    sign: int
    statement: str
    origin: str = ""
    coefficient: str | None = None


def theory_hypotheses() -> list[Any]:
    """The hypothesis registry of :mod:`bayes_alliance.theory` (the game's and the empirical)."""
    return list(REGISTRY)


def _same_observations(a: FitResult, b: FitResult, outcome: str) -> bool:
    ya = a.idata["observed_data"][outcome].to_numpy()
    yb = b.idata["observed_data"][outcome].to_numpy()
    return ya.shape == yb.shape and bool(np.array_equal(ya, yb, equal_nan=True))


#: columns of :func:`compare_table` and :func:`compare`
COMPARE_COLUMNS = ("outcome", "run", "rank", "elpd", "se", "elpd_diff", "dse", "p", "weight",
                   "pareto_k_warning")


def _compare_elpd(elpds: dict[str, Any], label: str) -> pd.DataFrame:
    """``az.compare`` of precomputed ``{run: ELPDData}`` as rows labelled ``outcome=label``."""
    import arviz as az

    cmp = az.compare(elpds, round_to="none")
    table = cmp[list(COMPARE_COLUMNS[2:-1])].copy()
    table["pareto_k_warning"] = [bool(getattr(elpds[k], "warning", False)) for k in table.index]
    table.index.name = "run"
    return table.reset_index().assign(outcome=label)[list(COMPARE_COLUMNS)]


def _comparable(runs: dict[str, FitResult]) -> dict[str, FitResult]:
    return {k: r for k, r in runs.items()
            if "log_likelihood" in r.idata.children and "observed_data" in r.idata.children}


def compare_table(results: Any) -> pd.DataFrame:
    """``az.compare`` of the runs on each outcome they share with identical data.

    Lenient (for reports): outcomes fitted by fewer than two runs to the same
    observations are skipped. :func:`compare` is the strict version with a total.

    Returns
    -------
    pandas.DataFrame
        One row per (outcome, run) with ArviZ's ``rank``, ``elpd``, ``se``,
        ``elpd_diff``, ``dse``, ``p``, ``weight`` and ``pareto_k_warning`` (some
        Pareto k of that run's PSIS-LOO exceed ``good_k``); empty when no two
        runs share an outcome and its observations.
    """
    runs = _comparable(as_named_runs(results))
    outcomes = sorted({o for r in runs.values() for o in r.idata["log_likelihood"].data_vars})
    loos: dict[str, dict[str, Any]] = {}
    frames = []
    for outcome in outcomes:
        having = {k: r for k, r in runs.items() if outcome in r.idata["log_likelihood"]}
        if len(having) < 2:
            continue
        first = next(iter(having.values()))
        shared = [k for k, r in having.items() if _same_observations(first, r, outcome)]
        if len(shared) < 2:
            continue
        for k in shared:
            loos.setdefault(k, loo_results(runs[k]))
        frames.append(_compare_elpd({k: loos[k][outcome] for k in shared}, outcome))
    if not frames:
        return pd.DataFrame(columns=list(COMPARE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _total_loo(result: FitResult, outcomes: Sequence[str]) -> Any:
    r"""PSIS-LOO of the joint log-likelihood: each observation of each outcome left out in turn.

    .. math:: \widehat{\mathrm{elpd}}_{\mathrm{total}} = \sum_{o} \sum_{i=1}^{n_o}
              \log p(y_{oi} \mid y_{-oi})
    """
    import xarray as xr

    ll = result.idata["log_likelihood"]
    parts = [ll[o].transpose("chain", "draw", ...).to_numpy() for o in outcomes]
    n_chain, n_draw = parts[0].shape[:2]
    joint = np.concatenate([p.reshape(n_chain, n_draw, -1) for p in parts], axis=2)
    tree = xr.DataTree.from_dict({
        "posterior": result.idata["posterior"].to_dataset(),
        "log_likelihood": xr.Dataset({"total": (("chain", "draw", "obs_total"), joint)},
                                     coords={"chain": ll["chain"].to_numpy(),
                                             "draw": ll["draw"].to_numpy()}),
    })
    return psis_loo(tree, "total")


def compare(results: Any) -> pd.DataFrame:
    """PSIS-LOO comparison of fits of the same observations, per outcome and in total.

    The ``total`` rows compare the summed ELPD of every outcome the fits share
    (:func:`_total_loo`), so a joint model is judged on all its outcomes at
    once; the per-outcome rows show where the difference comes from. Like
    brms ``loo_compare()``, the best run has ``elpd_diff`` 0 and ``dse`` is the
    standard error of each difference.

    Parameters
    ----------
    results
        ``{name: FitResult}`` or a list of at least two results.

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome`` (each shared outcome, then ``"total"``), ``run``,
        ``rank``, ``elpd``, ``se``, ``elpd_diff``, ``dse``, ``p``, ``weight``,
        ``pareto_k_warning``.

    Raises
    ------
    ReportError
        With fewer than two fits, a fit lacking its log-likelihood, fits that
        share no outcome, or an outcome fitted to different observations.
    """
    runs = as_named_runs(results)
    if len(runs) < 2:
        raise ReportError(f"compare needs at least two fits, got {len(runs)}; pass a list or "
                          "{name: result} of fits of the same panel")
    for name, r in runs.items():
        require_groups(r, ("posterior", "log_likelihood", "observed_data"), where=f"fit '{name}'")
    (first_name, first), *others = runs.items()
    outcomes = [str(o) for o in first.idata["log_likelihood"].data_vars
                if all(o in r.idata["log_likelihood"] for _, r in others)]
    if not outcomes:
        having = "; ".join(f"'{k}': {', '.join(map(str, r.idata['log_likelihood'].data_vars))}"
                           for k, r in runs.items())
        raise ReportError(f"the fits share no outcome ({having}); compare fits of the same "
                          "outcomes")
    for outcome in outcomes:
        for name, r in others:
            if not _same_observations(first, r, outcome):
                raise ReportError(
                    f"fits '{first_name}' and '{name}' were fitted to different observations of "
                    f"'{outcome}' ({first.idata['observed_data'][outcome].size} vs "
                    f"{r.idata['observed_data'][outcome].size} values); LOO compares fits of the "
                    "same data: refit them on one panel")
    loos = {name: loo_results(r) for name, r in runs.items()}
    frames = [_compare_elpd({k: loos[k][o] for k in runs}, o) for o in outcomes]
    frames.append(_compare_elpd({k: _total_loo(r, outcomes) for k, r in runs.items()}, "total"))
    return pd.concat(frames, ignore_index=True)


def sign_probability(draws: np.ndarray, sign: int) -> float:
    """Share of ``draws`` with the predicted ``sign`` (+1 or -1); zeros count as misses."""
    x = np.asarray(draws, float).ravel()
    return float(np.mean(np.sign(sign) * x > 0))


def hypotheses_table(results: Any, hypotheses: Sequence[Any] | None = None) -> pd.DataFrame:
    """Posterior probability that each mapped coefficient has the theory's sign, per run.

    Parameters
    ----------
    results
        ``{prior_set_name: FitResult}``, a list of results or one result.
    hypotheses
        Objects with ``id``, ``outcome``, ``driver``, ``sign``, ``statement``
        and ``coefficient`` (a readable name such as ``"beta[milex, threat]"``
        or None); defaults to :data:`bayes_alliance.theory.REGISTRY`.

    Returns
    -------
    pandas.DataFrame
        One row per hypothesis with a coefficient: ``id``, ``outcome``,
        ``driver``, ``sign``, ``coefficient``, ``statement`` and one column
        ``P(sign) <run>`` per run, computed from all posterior draws (NaN where
        the run's spec lacks the coefficient).
    """
    runs = as_named_runs(results)
    hyps = theory_hypotheses() if hypotheses is None else list(hypotheses)
    params = {name: r.parameters() for name, r in runs.items()}
    rows = []
    for h in hyps:
        coef = getattr(h, "coefficient", None)
        if not coef:
            continue
        sign = int(getattr(h, "sign", 1))
        row: dict[str, Any] = {"id": str(h.id), "outcome": str(getattr(h, "outcome", "")),
                               "driver": str(getattr(h, "driver", "")),
                               "sign": "+" if sign > 0 else "-", "coefficient": str(coef),
                               "statement": str(getattr(h, "statement", ""))}
        for name, ds in params.items():
            row[f"P(sign) {name}"] = (sign_probability(ds[coef].to_numpy(), sign)
                                      if coef in ds else np.nan)
        rows.append(row)
    columns = ["id", "outcome", "driver", "sign", "coefficient", "statement",
               *[f"P(sign) {n}" for n in runs]]
    return pd.DataFrame(rows, columns=columns)


def prior_sensitivity(results: Any) -> pd.DataFrame:
    """How far each posterior mean moves between prior sets, in posterior-sd units.

    Runs are grouped by spec (and identical panel size); within a group the
    reference is the ``weak`` prior set when fitted, else the first run. For
    each population-level parameter: its posterior mean under every prior
    set, the reference posterior sd, the shift of each mean from the reference
    mean divided by that sd, and ``max_abs_shift_sd``.

    Returns
    -------
    pandas.DataFrame
        Empty when no spec was fitted under two or more prior sets.
    """
    runs = as_named_runs(results)
    groups: dict[tuple[str, int], dict[str, FitResult]] = {}
    for name, r in runs.items():
        key = (r.spec.hash(), len(r.panel.frame))
        groups.setdefault(key, {})
        if r.prior_set.name not in {x.prior_set.name for x in groups[key].values()}:
            groups[key][name] = r
    frames = []
    for group in groups.values():
        if len(group) < 2:
            continue
        by_prior = {r.prior_set.name: r for r in group.values()}
        ref = REFERENCE_PRIORS if REFERENCE_PRIORS in by_prior else next(iter(by_prior))
        ps = {p: r.parameters() for p, r in by_prior.items()}
        names = [v for v in ps[ref].data_vars if all(v in d for d in ps.values())
                 and not str(v).startswith("corr_ally")]
        rows = []
        for v in names:
            ref_mean = float(ps[ref][v].mean())
            ref_sd = float(ps[ref][v].std())
            row: dict[str, Any] = {"spec": next(iter(group.values())).spec.name,
                                   "parameter": str(v), "reference": ref, "sd_ref": ref_sd}
            shifts = []
            for p, d in ps.items():
                mean = float(d[v].mean())
                row[f"mean {p}"] = mean
                if p != ref:
                    shift = (mean - ref_mean) / ref_sd if ref_sd > 0 else np.nan
                    row[f"shift_sd {p}"] = shift
                    shifts.append(abs(shift))
            finite = [x for x in shifts if np.isfinite(x)]
            row["max_abs_shift_sd"] = float(max(finite)) if finite else np.nan
            row["sensitive"] = bool(row["max_abs_shift_sd"] > SENSITIVE_SD)
            rows.append(row)
        frames.append(pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


__all__ = ["COMPARE_COLUMNS", "Hypothesis", "SENSITIVE_SD", "compare", "compare_table",
           "hypotheses_table", "prior_sensitivity", "sign_probability", "theory_hypotheses"]
