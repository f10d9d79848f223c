r"""The game's equilibrium as a differentiable PyTensor graph.

The ally's stage is closed form (:func:`~bayes_alliance.theory.game.stage`),
written once over a backend and built here with ``pytensor.tensor``, so the
graph and the NumPy solver evaluate the same formulas. The patron's choice of
reassurance is its **logit quantal response** (QRE) on a fine grid
:math:`r_1 < \dots < r_G` of :math:`[0, R_{max}]`
(:func:`~bayes_alliance.theory.game.quantal_response`):

.. math:: \pi_g \propto w_g \exp(\beta\, U_P(r_g)), \qquad
          \bar x = \sum_g \pi_g\, x(r_g),

with trapezoid weights :math:`w_g` and the rationality :math:`\beta` a
parameter to estimate.

Why the QRE and not the exact best response with implicit-function gradients:
the patron's payoff :math:`U_P(r)` is not concave (the logistic exit term), so
its global maximiser :math:`r^*` *jumps* between local maxima as the
primitives move; the exact best response is then discontinuous in the
parameters, its likelihood has cliffs that NUTS cannot cross, and the implicit
function theorem (:math:`dr^*/d\theta = -U_{r\theta}/U_{rr}`) holds only away
from the jumps and kinks (effort reaching 1). The QRE expectation is smooth in
every primitive and in :math:`\beta` (a softmax of smooth payoffs), needs no
inner solver or custom gradient (PyTensor differentiates it), costs
:math:`O(n G)` per evaluation, and contains the best response as its limit
:math:`\beta \to \infty` (tested against
:func:`~bayes_alliance.theory.game.solve_equilibrium`). It is also the standard
structural model of noisy strategic choice (McKelvey and Palfrey's QRE), so
:math:`\beta` is interpretable: how sharply the patron's reassurance tracks
its payoff.

Grid size: accuracy against cost
--------------------------------
The expectation is a trapezoid rule for the integral over :math:`r`; its cost
is linear in :math:`G` (per log density and gradient on the real panel, 2,570
rows, numba backend, ``reports/validation/strategic/timing.txt``: 161 points
95 ms, 41 points 13 ms at a load of 3 on 2 cores; in CPU time under heavier
load about 0.4 ms per grid point plus 1.7 ms for the rest of the model). The error is
:math:`O(h^2)` where the density is resolved and grows fast once the grid
spacing exceeds the width :math:`(\beta |U_P''|)^{-1/2}` of the patron's
choice density. Against the same integral on 2,561 points, over the real
panel's prior draws (``reports/validation/strategic/quadrature.txt``; largest
difference over 6,168 row-draws): 41 points are within 0.0042 (reassurance),
0.0022 (effort), 0.0006 (exit) and 0.0016 (participation), 31 points within
0.022 and 21 points within 0.087 in reassurance. An error :math:`\epsilon`
in :math:`\bar r` moves the reassurance count's log rate by
:math:`\gamma_R \epsilon` (a few thousandths at 41 points), against a
negative binomial's noise per ally-year. The shipped spec uses 41 points: a
seventh of the cost of 161; coarser grids save about 0.4 ms a point for errors that
grow about fivefold per 10 points removed. The 5 ms target is not reached
this way: the rest of the cost is the element-wise graph itself (about 150 ns
per row and grid point for value and gradient), which a fused kernel with a
hand-written gradient would cut. The NumPy solver
(:func:`~bayes_alliance.theory.game.solve_quantal_response`) stays the
definition: the graph equals it to :math:`10^{-10}` on every grid size, and a
test bounds the 41-point rule against 2,561 points.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable

from bayes_alliance.theory.game import QRE_POINTS, constants, qre_grid, quantal_response
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES


def equilibrium_graph(values: Mapping[str, Any], rationality: Any, *,
                      points: int = QRE_POINTS, conditional: Any = False
                      ) -> dict[str, pt.TensorVariable]:
    r"""Expected equilibrium outcomes under the patron's quantal response, as tensors.

    Parameters
    ----------
    values
        Every numeric primitive by name (:data:`PRIMITIVE_NAMES`): scalars or
        tensors of one common (broadcastable) shape, e.g. one value per row.
    rationality
        :math:`\beta \ge 0` (scalar or of the primitives' shape).
    points
        Grid points :math:`G` of the patron's choice.
    conditional
        The regime (bool or 0/1 tensor of the primitives' shape).

    Returns
    -------
    dict
        ``reassurance``, ``belief``, ``effort``, ``exit``, ``participation``
        (expectations :math:`\bar x`, the primitives' shape) and ``choice``
        (the choice probabilities, with a trailing grid axis).
    """
    f = {n: pt.shape_padright(pt.as_tensor_variable(values[n], dtype="float64"))
         for n in PRIMITIVE_NAMES}
    if not isinstance(conditional, Variable):
        conditional = np.asarray(conditional)  # a Python bool is not a tensor constant
    cond = pt.shape_padright(pt.as_tensor_variable(conditional))
    grid, log_weights = qre_grid(points)
    beta = pt.shape_padright(pt.as_tensor_variable(rationality, dtype="float64"))
    return quantal_response(constants(f, cond, pt), beta, grid, log_weights, pt)
