"""Figures of scenario results: trajectories, aggregate effects, dose-response curves."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from bayes_alliance.scenarios.definition import UNITS, parse_key

_FACTUAL = "#4a6fa5"
_COUNTER = "#d95f02"


def _axis_label(label: str, unit: str) -> str:
    return label if unit == "probability" else f"{label} [{unit}]"


def _wrap(text: str, fig_width: float) -> str:
    """Wrap a title to the figure's width (about 11 characters per inch at 11 pt)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, max(30, int(fig_width * 11))))


def _note_if_flat(ax: Any, lo: Any, hi: Any) -> None:
    """Say so when an outcome does not move at all under the intervention."""
    if float(abs(lo).max()) == 0.0 and float(abs(hi).max()) == 0.0:
        ax.text(0.5, 0.62, "no effect: the changed inputs\ndo not enter this outcome",
                transform=ax.transAxes, ha="center", va="center", fontsize=8, color="0.35")


def effects_figure(res: Any) -> Figure:
    """Average effect (counterfactual - factual) over the scenario's allies, by year."""
    s = res.summary
    agg = s[(s["ally"] == "all") & (s["year"] != "all")]
    k = len(res.outcomes)
    ncols = min(2, k)
    nrows = math.ceil(k / ncols)
    fig = Figure(figsize=(5.2 * ncols, 3.3 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, o in zip(axes.flat, res.outcomes, strict=False):
        d = agg[agg["outcome"] == o]
        x = d["year"].astype(int).to_numpy()
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.fill_between(x, d["effect_lo"], d["effect_hi"], color=_COUNTER, alpha=0.25,
                        lw=0, label="90% interval")
        ax.plot(x, d["effect_mean"], color=_COUNTER, marker="o" if len(x) < 3 else None,
                label="posterior mean")
        _note_if_flat(ax, d["effect_lo"], d["effect_hi"])
        label, unit = res.labels[o]
        ax.set_title(f"{label}", fontsize=10)
        ax.set_ylabel(f"effect [{unit}]" if unit != "probability" else "effect on probability",
                      fontsize=9)
        ax.set_xlabel("year", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, loc="best")
    allies = sorted(res.rows["ally"].unique())
    who = (f"{len(allies)} allies" if len(allies) > 10
           else ("allies " if len(allies) > 1 else "") + ", ".join(allies))
    fig.suptitle(_wrap(f"{res.name}: counterfactual - factual, mean over {who}",
                       fig.get_figwidth()), fontsize=11)
    return fig


def trajectory_figure(res: Any, outcome: str, max_panels: int = 12) -> Figure:
    """Factual and counterfactual trajectories of one outcome, one panel per ally."""
    s = res.summary
    d = s[(s["outcome"] == outcome) & (s["ally"] != "all") & (s["year"] != "all")]
    per_ally = s[(s["outcome"] == outcome) & (s["ally"] != "all") & (s["year"] == "all")]
    order = per_ally.assign(size=per_ally["effect_mean"].abs()).sort_values(
        ["size", "ally"], ascending=[False, True])["ally"].tolist()
    shown = order[:max_panels]
    n = len(shown)
    ncols = min(4, n)
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(max(3.6 * ncols + 0.4, 6.0), 2.7 * nrows + 1.1),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    label, unit = res.labels[outcome]
    for ax, ally in zip(axes.flat, shown, strict=False):
        a = d[d["ally"] == ally]
        x = a["year"].astype(int).to_numpy()
        marker = "o" if len(x) < 3 else None
        for kind, colour, name in (("factual", _FACTUAL, "factual"),
                                   ("counterfactual", _COUNTER, "counterfactual")):
            ax.fill_between(x, a[f"{kind}_lo"], a[f"{kind}_hi"], color=colour, alpha=0.2, lw=0)
            ax.plot(x, a[f"{kind}_mean"], color=colour, marker=marker, label=name)
        ax.set_title(ally, fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel(_axis_label(label, unit), fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("year", fontsize=9)
    handles, names = axes.flat[0].get_legend_handles_labels()
    handles.append(Rectangle((0, 0), 1, 1, color="0.6", alpha=0.35))
    names.append("90% intervals")
    fig.legend(handles, names, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    more = f"; {len(order) - n} more allies in summary.csv" if len(order) > n else ""
    what = label if unit == "probability" else f"{label} [{unit}]"
    order_note = ", largest effects first" if n > 1 else ""
    fig.suptitle(_wrap(f"{res.name}: {what}{order_note}{more}", fig.get_figwidth()),
                 fontsize=11)
    return fig


def sweep_figure(sw: Any) -> Figure:
    """Dose-response: the average effect against the swept value, one panel per outcome."""
    t = sw.table
    outcomes = list(dict.fromkeys(t["outcome"]))
    k = len(outcomes)
    ncols = min(2, k)
    nrows = math.ceil(k / ncols)
    fig = Figure(figsize=(5.2 * ncols, 3.3 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)

    variable, op = parse_key(sw.key)
    xunit = "factor" if op == "scale" else UNITS[variable]
    for ax, o in zip(axes.flat, outcomes, strict=False):
        d = t[t["outcome"] == o].sort_values("value")
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.fill_between(d["value"], d["effect_lo"], d["effect_hi"], color=_COUNTER, alpha=0.25,
                        lw=0, label="90% interval")
        ax.plot(d["value"], d["effect_mean"], color=_COUNTER, marker="o", label="posterior mean")
        _note_if_flat(ax, d["effect_lo"], d["effect_hi"])
        label, unit = d["label"].iloc[0], d["unit"].iloc[0]
        ax.set_title(label, fontsize=10)
        ax.set_ylabel(f"effect [{unit}]" if unit != "probability" else "effect on probability",
                      fontsize=9)
        ax.set_xlabel(f"{sw.key} [{xunit}]", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{sw.name}: dose-response of the mean effect over the scenario's ally-years",
                 fontsize=11)
    return fig
