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
