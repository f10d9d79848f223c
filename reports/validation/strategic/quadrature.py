"""Accuracy of the patron's quantal response on G grid points, on the real panel's prior draws.

Run from the repository root: ``python reports/validation/strategic/quadrature.py``.
Draws the primitives of every row of the real panel and the rationality from the
strategic spec's priors (12 draws, every 5th row-draw kept), and prints, for each
grid size G, the largest and the 99th-percentile absolute difference of each
expected outcome from the same integral on 2,561 points (the NumPy solver,
:func:`bayes_alliance.theory.game.solve_quantal_response`, on both sides).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
from pytensor.graph.basic import Variable

from bayes_alliance.models.strategic.model import StrategicModel
from bayes_alliance.theory.game import solve_quantal_response
from bayes_alliance.theory.primitives import Primitives

OUTCOMES = ("reassurance", "effort", "exit", "participation")


def main() -> None:
    """Print the error table."""
    graph = StrategicModel.from_spec("strategic", "default").graph
    linked = [n for n, v in graph.primitives.items() if isinstance(v, Variable)]
    draws = pm.draw([graph.primitives[n] for n in linked] + [graph.model["log_rationality"]],
                    draws=12, random_seed=1)
    rows = draws[0].shape[1]
    values = {n: np.concatenate(list(d))[::5] for n, d in zip(linked, draws, strict=False)}
    size = len(values[linked[0]])
    values.update({n: np.full(size, v) for n, v in graph.primitives.items() if n not in linked})
    prims = Primitives(**values)
    beta = np.exp(np.repeat(draws[-1], rows))[::5]
    print(f"{size} row-draws; rationality quantiles (0, 0.5, 1): "
          f"{np.round(np.quantile(beta, [0, 0.5, 1]), 1)}")
    ref = solve_quantal_response(prims, beta, points=2561)
    print("G    " + "  ".join(f"{k:>24}" for k in OUTCOMES) + "   (max / 99th percentile)")
    for points in (161, 81, 41, 31, 21):
        q = solve_quantal_response(prims, beta, points=points)
        err = {k: np.abs(q[k] - ref[k]) for k in OUTCOMES}
        print(f"{points:<4} " + "  ".join(f"{e.max():>11.1e} / {np.quantile(e, 0.99):.1e}"
                                         for e in err.values()))


if __name__ == "__main__":
    main()
