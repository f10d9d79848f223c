"""Figures of fitted effects: theory hypotheses and ally random effects.

Like :mod:`bayes_alliance.report.figures`, every function returns a
:class:`matplotlib.figure.Figure` built without pyplot (or None when there is
nothing to draw).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayes_alliance.diagnostics import PPC_PROB, family_kind

if TYPE_CHECKING:
    from bayes_alliance.results import FitResult


def effect_label(result: FitResult, outcome: str) -> str:
    """Axis label of an ally effect on ``outcome``'s linear predictor."""
    kind = family_kind(result, outcome)
    if kind == "count":
        return "effect on log rate"
    if kind == "binary":
        return "effect on log-odds"
    if outcome == "milex":
        return "effect on log % of GDP"
    return "effect (log scale)"


def hypotheses_figure(table: pd.DataFrame) -> Figure | None:
    """Posterior probability of each hypothesis' predicted sign, per run."""
    cols = [c for c in table.columns if c.startswith("P(sign) ")]
    if table.empty or not cols:
        return None
    fig = Figure(figsize=(8, 1.2 + 0.38 * len(table)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(table))
    markers = "osD^v<>"
    offsets = np.linspace(-0.15, 0.15, len(cols)) if len(cols) > 1 else [0.0]
    for i, c in enumerate(cols):
        ax.scatter(table[c], y + offsets[i], marker=markers[i % len(markers)],
                   label=c[len("P(sign) "):], zorder=3)
    ax.axvline(0.5, color="grey", ls="--", lw=1)
    ax.set_yticks(y, [f"{h} ({s}) {c}" for h, s, c in
                      zip(table["id"], table["sign"], table["coefficient"], strict=True)])
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("posterior probability of the predicted sign")
    ax.legend(title="run", fontsize=8, loc="lower left", bbox_to_anchor=(1.0, 0.0))
    ax.set_title("Theory hypotheses")
    return fig


def ally_forest_figure(result: FitResult) -> Figure | None:
    """Posterior mean and 90% interval of each ally's effect, one panel per outcome."""
    post = result.idata["posterior"]
    if "u_ally" not in post:
        return None
    u = post["u_ally"]
    allies = [str(a) for a in u["ally"].to_numpy()]
    outcomes = [str(o) for o in u["outcome"].to_numpy()]
    q = (1 - PPC_PROB) / 2
    fig = Figure(figsize=(3.2 * len(outcomes) + 0.8, 1.2 + 0.3 * len(allies)),
                 layout="constrained")
    axes = fig.subplots(1, len(outcomes), squeeze=False, sharey=True)[0]
    for ax, outcome in zip(axes, outcomes, strict=True):
        da = u.sel(outcome=outcome)
        mean = da.mean(("chain", "draw")).to_numpy()
        lo = da.quantile(q, ("chain", "draw")).to_numpy()
        hi = da.quantile(1 - q, ("chain", "draw")).to_numpy()
        y = np.arange(len(allies))
        ax.hlines(y, lo, hi, color="#4c72b0", lw=1.5)
        ax.plot(mean, y, "o", color="#4c72b0", ms=4)
        ax.axvline(0, color="grey", ls="--", lw=0.8)
        ax.set_title(outcome)
        ax.set_xlabel(effect_label(result, outcome))
    axes[0].set_yticks(range(len(allies)), allies)
    axes[0].invert_yaxis()
    axes[0].set_ylabel("ally (COW code)")
    fig.suptitle(f"Ally random effects u_ally: posterior mean and {PPC_PROB:.0%} interval")
    return fig


def ally_correlation_figure(result: FitResult) -> Figure | None:
    """Heatmap (with numbers) of the correlation of ally effects across outcomes.

    Uses the posterior mean of ``corr_ally`` when the spec has correlated ally
    effects, else the correlation across allies of the posterior-mean effects.
    """
    post = result.idata["posterior"]
    if "corr_ally" in post:
        corr = post["corr_ally"].mean(("chain", "draw")).to_numpy()
        labels = [str(o) for o in post["corr_ally"]["outcome"].to_numpy()]
        title = "Posterior mean of corr_ally"
    elif "u_ally" in post and post["u_ally"].sizes.get("outcome", 1) >= 2:
        mean = post["u_ally"].mean(("chain", "draw"))
        corr = np.corrcoef(mean.transpose("outcome", "ally").to_numpy())
        labels = [str(o) for o in mean["outcome"].to_numpy()]
        title = "Correlation of posterior-mean ally effects"
    else:
        return None
    k = len(labels)
    fig = Figure(figsize=(0.9 * k + 2.4, 0.8 * k + 1.3), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center", fontsize=10,
                    color="white" if abs(corr[i, j]) > 0.6 else "black")
    ax.set_xticks(range(k), labels, rotation=30, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8, label="correlation")
    return fig


__all__ = ["ally_correlation_figure", "ally_forest_figure", "effect_label", "hypotheses_figure"]
