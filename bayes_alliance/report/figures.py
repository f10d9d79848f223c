"""Figures of a report: matplotlib figures returned, never shown.

Every function returns a :class:`matplotlib.figure.Figure` (or None when
there is nothing to draw). Figures made here use the object-oriented API
(no pyplot state); those made by ArviZ are detached from pyplot before they
are returned. The Agg backend is selected on import, so nothing needs a
display.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bayes_alliance.constants import BFMI_MIN  # noqa: E402
from bayes_alliance.diagnostics import (  # noqa: E402
    PPC_PROB,
    family_kind,
    observed,
    pit_values,
)

if TYPE_CHECKING:
    from bayes_alliance.data.panel import Panel
    from bayes_alliance.results import FitResult

#: panel outcome columns shown in the coverage plot
COVERAGE_COLUMNS = ("reassure", "milex_gdp", "intervene", "exit_pursuit", "hns")


def outcome_label(result: FitResult, outcome: str) -> str:
    """Axis label of an outcome's observed values, with units."""
    kind = family_kind(result, outcome)
    if kind == "count":
        return f"{outcome} (count of statements)"
    if kind == "binary":
        return f"{outcome} (0/1)"
    if outcome == "milex":
        return "log military spending (log % of GDP)"
    return f"{outcome} (log scale)"


def _arviz_figure(pc: Any) -> Figure:
    """The matplotlib figure of an ArviZ PlotCollection, detached from pyplot."""
    import matplotlib.pyplot as plt

    fig = pc.get_viz("figure") if hasattr(pc, "get_viz") else pc
    plt.close(fig)
    return fig


# ---------------------------------------------------------------------- data overview
def coverage_figure(panel: Panel) -> Figure:
    """Ally x year grid: how many outcomes are observed in each ally-year."""
    frame = panel.frame
    cols = [c for c in COVERAGE_COLUMNS if c in frame]
    allies, years = panel.allies, panel.years
    counts = frame.assign(n=frame[cols].notna().sum(axis=1)).pivot_table(
        index="ally", columns="year", values="n", aggfunc="sum").reindex(
        index=allies, columns=years)
    fig = Figure(figsize=(9, 1.2 + 0.28 * len(allies)), layout="constrained")
    ax = fig.add_subplot()
    grid = np.ma.masked_invalid(counts.to_numpy(float))
    cmap = matplotlib.colormaps["viridis"].resampled(len(cols) + 1).with_extremes(bad="#eeeeee")
    im = ax.imshow(grid, aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(cols) + 0.5,
                   interpolation="nearest",
                   extent=(years[0] - 0.5, years[-1] + 0.5, len(allies) - 0.5, -0.5))
    ax.set_yticks(range(len(allies)), allies)
    ax.set_xlabel("year")
    ax.set_ylabel("ally (COW code)")
    ax.set_title("Panel coverage: outcomes observed per ally-year (grey: no row)")
    cbar = fig.colorbar(im, ax=ax, ticks=range(len(cols) + 1), pad=0.01)
    cbar.set_label(f"outcomes observed (of {len(cols)})")
    return fig


def missingness_figure(panel: Panel) -> Figure:
    """Share of missing values per panel column."""
    frame = panel.frame
    share = frame.isna().mean().sort_values() * 100
    fig = Figure(figsize=(7, 0.9 + 0.3 * len(share)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(share.index, share.to_numpy(), color="#4c72b0")
    for i, v in enumerate(share.to_numpy()):
        ax.text(v + 1, i, f"{v:.0f}%", va="center", fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("missing values (% of ally-years)")
    ax.set_title(f"Missingness by column ({len(frame)} ally-years)")
    return fig


# ---------------------------------------------------------------------- convergence
def _key_parameters(result: FitResult, limit: int = 8) -> Any:
    params = result.parameters()
    names = [v for v in params.data_vars if str(v).startswith(("intercept", "sd_ally"))]
    return params[names[:limit]]


def rank_figure(result: FitResult) -> Figure:
    """Rank-ECDF plots (ArviZ ``plot_rank``) of the intercepts and ally sds."""
    import arviz as az
    import xarray as xr

    tree = xr.DataTree.from_dict({"posterior": _key_parameters(result)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pc = az.plot_rank(tree, backend="matplotlib", col_wrap=4,
                          figure_kwargs={"figsize": (12, 5.5), "layout": "constrained"})
    fig = _arviz_figure(pc)
    fig.suptitle("Rank ECDF difference per chain (near 0 everywhere: chains agree; "
                 "highlighted points: ranks the multi-chain test flags as non-uniform)")
    return fig


def energy_figure(result: FitResult) -> Figure:
    """Marginal and transition energy distributions with BFMI (ArviZ ``plot_energy``)."""
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pc = az.plot_energy(result.idata, backend="matplotlib",
                            figure_kwargs={"figsize": (9, 4), "layout": "constrained"})
    fig = _arviz_figure(pc)
    for ax in fig.axes:
        if ax.get_title() == "BFMI":
            ax.set_xlabel(f"BFMI (dashed line: {BFMI_MIN})")
            ax.set_yticks(range(result.idata["posterior"].sizes["chain"]))
        else:
            ax.set_xlabel("energy minus its mean (log-density units)")
            ax.set_yticks([])
    return fig


# ---------------------------------------------------------------------- predictive checks
def _interval_hist(ax: Any, y: np.ndarray, rep: np.ndarray, bins: np.ndarray,
                   label: str) -> None:
    """Observed histogram with the predictive 90% band of bin counts."""
    obs_counts, _ = np.histogram(y, bins=bins)
    rep_counts = np.stack([np.histogram(r, bins=bins)[0] for r in rep])
    lo, med, hi = np.quantile(rep_counts, [(1 - PPC_PROB) / 2, 0.5, 1 - (1 - PPC_PROB) / 2],
                              axis=0)
    mids = (bins[:-1] + bins[1:]) / 2
    ax.fill_between(mids, lo, hi, step="mid", color="#dd8452", alpha=0.35,
                    label=f"{label} {PPC_PROB:.0%} band")
    ax.step(mids, med, where="mid", color="#dd8452", label=f"{label} median")
    ax.step(mids, obs_counts, where="mid", color="black", label="observed")


def prior_predictive_figure(result: FitResult, max_draws: int = 200) -> Figure | None:
    """Prior predictive distribution of each outcome against the observed data."""
    if "prior_predictive" not in result.idata.children:
        return None
    outcomes = [o for o in result.spec.outcome_names if o in result.idata["prior_predictive"]]
    n_cols = min(2, len(outcomes))
    n_rows = int(np.ceil(len(outcomes) / n_cols))
    fig = Figure(figsize=(5.5 * n_cols, 3.4 * n_rows + 0.4), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    for ax, outcome in zip(axes, outcomes, strict=False):
        y = observed(result, outcome)
        rep = _stack(result, "prior_predictive", outcome)[:max_draws]
        if family_kind(result, outcome) == "binary":
            shares = rep.mean(axis=1)
            ax.hist(shares, bins=np.linspace(0, 1, 21), color="#dd8452", alpha=0.6,
                    label="prior predictive")
            ax.axvline(y.mean(), color="black", label="observed")
            ax.set_xlabel(f"share of 1s in {outcome}")
            ax.set_ylabel("prior draws")
        else:
            lo, hi = np.nanquantile(np.concatenate([rep.ravel(), y]), [0.005, 0.995])
            if family_kind(result, outcome) == "count":
                lo, hi = 0, max(hi, y.max())
                rep = np.log1p(rep)
                y = np.log1p(y)
                lo, hi = 0.0, np.log1p(hi)
                ax.set_xlabel(f"log(1 + {outcome}) (count of statements)")
            else:
                ax.set_xlabel(outcome_label(result, outcome))
            bins = np.linspace(lo, hi, 31)
            _interval_hist(ax, y, np.clip(rep, lo, hi), bins, "prior")
            ax.set_ylabel("ally-years per bin")
        ax.set_title(outcome)
        ax.legend(fontsize=7)
    fig.suptitle("Prior predictive check: do the priors allow the observed data? "
                 "(values beyond the axis are piled into the end bins)")
    return fig


def _stack(result: FitResult, group: str, outcome: str) -> np.ndarray:
    da = result.idata[group][outcome]
    return da.stack(sample=("chain", "draw")).transpose("sample", ...).to_numpy().astype(float)


def posterior_predictive_figure(result: FitResult, outcome: str) -> Figure:
    """Posterior predictive check of one outcome, chosen by its kind.

    Counts: rootogram (ArviZ ``plot_ppc_rootogram``) beside a PIT-ECDF
    difference plot; binaries: calibration of predicted probabilities beside
    the PIT-ECDF; continuous (milex, log % of GDP): density overlay beside the
    PIT-ECDF.
    """
    kind = family_kind(result, outcome)
    fig = Figure(figsize=(11, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    y = observed(result, outcome)
    rep = _stack(result, "posterior_predictive", outcome)
    if kind == "count":
        _rootogram(left, y, rep, outcome)
    elif kind == "binary":
        _calibration(left, y, rep, outcome)
    else:
        lo, hi = np.quantile(np.concatenate([rep.ravel(), y]), [0.002, 0.998])
        _interval_hist(left, y, np.clip(rep, lo, hi), np.linspace(lo, hi, 31), "predictive")
        left.set_xlabel(outcome_label(result, outcome))
        left.set_ylabel("ally-years per bin")
        left.set_title("Observed vs predictive distribution")
        left.legend(fontsize=7)
    _pit_ecdf(right, pit_values(result, outcome), rep.shape[0])
    fig.suptitle(f"Posterior predictive check: {outcome}")
    return fig


def _rootogram(ax: Any, y: np.ndarray, rep: np.ndarray, outcome: str) -> None:
    """Hanging-style rootogram: sqrt frequency of each count bin, observed vs predicted."""
    top = int(np.quantile(y, 0.99)) + 1
    edges = np.unique(np.round(np.linspace(0, top + 1, min(top + 2, 31))).astype(int))
    obs_f = np.histogram(np.minimum(y, top), bins=edges)[0]
    rep_f = np.stack([np.histogram(np.minimum(r, top), bins=edges)[0] for r in rep])
    lo, med, hi = np.quantile(rep_f, [(1 - PPC_PROB) / 2, 0.5, 1 - (1 - PPC_PROB) / 2], axis=0)
    x = edges[:-1]
    width = np.diff(edges) * 0.8
    ax.bar(x, np.sqrt(obs_f), width=width, align="edge", color="#bbbbbb", label="observed")
    mid = x + np.diff(edges) / 2
    ax.errorbar(mid, np.sqrt(med), yerr=[np.sqrt(med) - np.sqrt(lo), np.sqrt(hi) - np.sqrt(med)],
                fmt="o", color="#c44e52", ms=3, label=f"predicted median, {PPC_PROB:.0%} interval")
    ax.set_xlabel(f"{outcome} (count of statements; last bin: {top} or more)")
    ax.set_ylabel("sqrt(ally-years)")
    ax.set_title("Rootogram")
    ax.legend(fontsize=7)


def _calibration(ax: Any, y: np.ndarray, rep: np.ndarray, outcome: str, n_bins: int = 8) -> None:
    """Observed frequency against predicted probability in quantile bins."""
    p = rep.mean(axis=0)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    rows = [(p[which == b].mean(), y[which == b].mean(), (which == b).sum())
            for b in range(len(edges) - 1) if (which == b).any()]
    px, fy, n = (np.array(v, float) for v in zip(*rows, strict=True))
    se = np.sqrt(np.clip(fy * (1 - fy), 0.0025, None) / n)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.errorbar(px, fy, yerr=1.64 * se, fmt="o", color="#4c72b0", ms=4,
                label="observed share (90% interval)")
    top = min(1.02, max(px.max(), (fy + 1.64 * se).max()) * 1.1 + 0.02)
    ax.set_xlim(0, top)
    ax.set_ylim(-0.02, top)
    ax.set_xlabel(f"predicted probability of {outcome} = 1")
    ax.set_ylabel("observed share of 1s")
    ax.set_title("Calibration (bins of equal size)")
    ax.legend(fontsize=7)


def _pit_ecdf(ax: Any, pit: np.ndarray, n_draws: int) -> None:
    """ECDF of PIT values minus the uniform CDF, with a pointwise 95% band."""
    n = pit.size
    grid = np.linspace(0, 1, 201)
    ecdf = np.searchsorted(np.sort(pit), grid, side="right") / n
    band = 1.96 * np.sqrt(grid * (1 - grid) / n)
    ax.fill_between(grid, -band, band, color="#cccccc", label="pointwise 95% band (uniform PIT)")
    ax.plot(grid, ecdf - grid, color="#4c72b0", label="PIT ECDF - uniform")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("PIT value  P(y_rep <= y_obs)")
    ax.set_ylabel("ECDF difference")
    ax.set_title(f"PIT ECDF ({n} observations, {n_draws} draws)")
    ax.legend(fontsize=7, loc="lower right")


# ---------------------------------------------------------------------- LOO and comparison
def khat_figure(loos: dict[str, Any]) -> Figure | None:
    """Pareto k of every observation, one panel per outcome, with the good_k line."""
    if not loos:
        return None
    fig = Figure(figsize=(3.6 * len(loos), 3.4), layout="constrained")
    axes = fig.subplots(1, len(loos), squeeze=False, sharey=True)[0]
    for ax, (outcome, lo) in zip(axes, loos.items(), strict=True):
        k = np.asarray(lo.pareto_k, float).ravel()
        good = float(min(getattr(lo, "good_k", 0.7) or 0.7, 0.7))
        ax.scatter(np.arange(k.size), k, s=6, c=np.where(k > good, "#c44e52", "#4c72b0"))
        ax.axhline(good, color="#c44e52", ls="--", lw=1)
        ax.set_title(f"{outcome}: {(k > good).sum()} of {k.size} above {good:.2f}", fontsize=9)
        ax.set_xlabel("observation index")
    axes[0].set_ylabel("Pareto k")
    fig.suptitle("PSIS-LOO Pareto k (above the dashed line: LOO estimate unreliable)")
    return fig


def compare_figure(table: pd.DataFrame) -> Figure | None:
    """ELPD (with SE) of the compared runs, one panel per shared outcome."""
    if table.empty:
        return None
    outcomes = list(dict.fromkeys(table["outcome"]))
    n_runs = table.groupby("outcome").size().max()
    fig = Figure(figsize=(4.5 * len(outcomes) + 1.5, 1.5 + 0.45 * n_runs), layout="constrained")
    axes = fig.subplots(1, len(outcomes), squeeze=False)[0]
    for ax, outcome in zip(axes, outcomes, strict=True):
        t = table[table["outcome"] == outcome].sort_values("elpd")
        ax.errorbar(t["elpd"], range(len(t)), xerr=t["se"], fmt="o", color="#4c72b0")
        ax.set_yticks(range(len(t)), t["run"])
        ax.set_ylim(-0.6, len(t) - 0.4)
        ax.set_xlabel("ELPD (LOO), higher is better")
        ax.set_title(outcome)
    fig.suptitle("Model comparison on shared outcomes")
    return fig


from bayes_alliance.report.figures_effects import (  # noqa: E402
    ally_correlation_figure,
    ally_forest_figure,
    effect_label,
    hypotheses_figure,
)

__all__ = [
    "ally_correlation_figure", "ally_forest_figure", "compare_figure", "coverage_figure",
    "effect_label", "energy_figure", "hypotheses_figure", "khat_figure", "missingness_figure",
    "outcome_label", "posterior_predictive_figure", "prior_predictive_figure", "rank_figure",
]
