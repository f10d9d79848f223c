"""Figure of the game's main comparative statics (returned, never shown)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bayes_alliance.theory.game import solve_equilibrium
from bayes_alliance.theory.primitives import Primitives

#: (primitive, range) on the x axes, and (equilibrium field, label) on the y axes
_X = (("outside_option", (0.15, 0.7), "exit credibility: outside option o"),
      ("threat", (0.1, 1.0), "threat \u03c4"))
_Y = (("reassurance", "reassurance r*"), ("effort", "effort b*"),
      ("exit", "exit probability q*"))
_REGIMES = ((True, "conditional", "-", "#1b6ca8"), (False, "unconditional", "--", "#c8553d"))


def plot_statics(prims: Primitives | None = None, *, points: int = 121) -> Figure:
    r"""Equilibrium reassurance, effort and exit against exit credibility and threat.

    Each column varies one primitive (the outside option :math:`o`, the
    threat :math:`\tau`) with the others at ``prims``; each panel shows the
    conditional (solid) and unconditional (dashed) regime.

    Parameters
    ----------
    prims
        Scalar primitives for the fixed values (default :class:`Primitives` (),
        the prior's centre); ``conditional`` is ignored.
    points
        Points per curve.

    Returns
    -------
    matplotlib.figure.Figure
        A 3 x 2 grid, not shown and not attached to pyplot.
    """
    base = Primitives() if prims is None else prims
    if base.shape != ():
        raise ValueError("plot_statics needs scalar primitives")
    fig = Figure(figsize=(9.0, 8.0), layout="constrained")
    axes = fig.subplots(len(_Y), len(_X), sharex="col", squeeze=False)
    for j, (name, (lo, hi), xlabel) in enumerate(_X):
        x = np.linspace(lo, hi, points)
        for cond, label, style, colour in _REGIMES:
            eq = solve_equilibrium(base.replace(**{name: x, "conditional": cond}))
            for i, (field, _) in enumerate(_Y):
                axes[i, j].plot(x, getattr(eq, field), style, color=colour, label=label, lw=1.8)
        axes[-1, j].set_xlabel(xlabel)
        for i in range(len(_Y)):
            axes[i, j].axvline(float(getattr(base, name)), color="0.6", lw=0.8, ls=":")
    for i, (_, ylabel) in enumerate(_Y):
        axes[i, 0].set_ylabel(ylabel)
        for ax in axes[i]:
            ax.grid(alpha=0.3)
    axes[0, 0].legend(frameon=False, fontsize="small")
    fig.suptitle("Formal model: equilibrium responses (other primitives at the prior's centre;"
                 " dotted line)", fontsize="medium")
    return fig
