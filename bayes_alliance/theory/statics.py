r"""Comparative statics of the game: numerical derivatives of equilibrium quantities.

Quantities (:data:`QUANTITIES`) are reported on the *link scale* of the joint
model's outcome that measures them, so a sign here is the sign of the matching
coefficient there:

======================  =============================================  ============
quantity                link-scale value                               joint model
======================  =============================================  ============
``reassurance``         :math:`\log(1 + r^*)`                          ``reassure``
``effort``              :math:`\log(1 + b^*)`                          ``milex``
``participation``       :math:`4\,(b^* - 1/2)` (logit of P(join))      ``intervene``
``exit``                :math:`\text{logit}\, q^* = (o - W/\tau V)/s`  ``exit``
======================  =============================================  ============

The 1 in :math:`\log(1 + r)` is routine reassurance (statements a patron makes
to every ally), and in :math:`\log(1 + b)` the ally's baseline defence
spending, equal to the largest burden-sharing effort: military spending is
:math:`M_0 (1 + b)` percent of GDP. ``scale="natural"`` gives
:math:`r^*, b^*`, P(join) and :math:`q^*` instead.

Derivatives are central differences in one primitive (one-sided at the edge
of its domain). With ``hold_reassurance=True`` the patron's reassurance is
held at its equilibrium value while the primitive moves: the ally's partial
response, which is what a coefficient of an equation that also has
reassurance as a regressor (``milex``, ``intervene``, ``exit``) measures.
The driver ``"reassurance"`` is the slope of the ally's best response at
:math:`r^*`, per unit of :math:`r` (the patron's choice is what moves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import logit

from bayes_alliance.errors import TheoryError
from bayes_alliance.theory.game import PARTICIPATION_SLOPE, best_response, solve_equilibrium
from bayes_alliance.theory.population import PrimitivePrior, draw_primitives
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES, Primitives, primitive_info

#: equilibrium quantities with a comparative static (and their joint-model outcome)
QUANTITIES: dict[str, str] = {
    "reassurance": "reassure",
    "effort": "milex",
    "participation": "intervene",
    "exit": "exit",
}
#: routine reassurance added before the log (link scale of ``reassure``)
REASSURANCE_FLOOR = 1.0
#: baseline defence effort added before the log (link scale of ``milex``)
EFFORT_FLOOR = 1.0
#: drivers besides the primitives
REASSURANCE = "reassurance"

Scale = Literal["link", "natural"]
FloatArray = NDArray[np.float64]


def link_values(reassurance: FloatArray, effort: FloatArray, exit_prob: FloatArray, *,
                scale: Scale = "link") -> dict[str, FloatArray]:
    """Quantities on the link (or natural) scale, see the module docstring."""
    if scale == "natural":
        part = 1.0 / (1.0 + np.exp(-PARTICIPATION_SLOPE * (effort - 0.5)))
        return {"reassurance": reassurance, "effort": effort, "participation": part,
                "exit": exit_prob}
    if scale != "link":
        raise TheoryError(f"scale must be 'link' or 'natural'; got {scale!r}")
    return {"reassurance": np.log(REASSURANCE_FLOOR + reassurance),
            "effort": np.log(EFFORT_FLOOR + effort),
            "participation": PARTICIPATION_SLOPE * (effort - 0.5),
            "exit": logit(exit_prob)}


def outcomes(prims: Primitives, *, reassurance: FloatArray | None = None,
             scale: Scale = "link") -> dict[str, FloatArray]:
    """Quantities at equilibrium, or at a fixed ``reassurance`` (ally's response)."""
    if reassurance is None:
        eq = solve_equilibrium(prims)
        return link_values(eq.reassurance, eq.effort, eq.exit, scale=scale)
    resp = best_response(prims, reassurance)
    r = np.broadcast_to(np.asarray(reassurance, float), prims.shape)
    return link_values(r, resp["effort"], resp["exit"], scale=scale)


def _step_bounds(x: FloatArray, name: str, rel_step: float) -> tuple[FloatArray, FloatArray]:
    h = rel_step * np.maximum(1.0, np.abs(x))
    if name == REASSURANCE:
        return x + h, np.maximum(x - h, 0.0)
    info = primitive_info(name)
    margin = 1e-9
    lo = info.lower + margin if info.lower_open else info.lower
    hi = info.upper - margin if info.upper_open else info.upper
    return np.minimum(x + h, hi), np.maximum(x - h, lo)


def _derivative(prims: Primitives, name: str, r_fixed: FloatArray | None, *, scale: Scale,
                rel_step: float) -> dict[str, FloatArray]:
    if name == REASSURANCE:
        if r_fixed is None:
            r_fixed = solve_equilibrium(prims).reassurance
        up, dn = _step_bounds(r_fixed, name, rel_step)
        f_up = outcomes(prims, reassurance=up, scale=scale)
        f_dn = outcomes(prims, reassurance=dn, scale=scale)
        return {k: (f_up[k] - f_dn[k]) / (up - dn) for k in f_up}
    x = np.asarray(getattr(prims, name), dtype=float)
    up, dn = _step_bounds(x, name, rel_step)
    f_up = outcomes(prims.replace(**{name: up}), reassurance=r_fixed, scale=scale)
    f_dn = outcomes(prims.replace(**{name: dn}), reassurance=r_fixed, scale=scale)
    return {k: (f_up[k] - f_dn[k]) / (up - dn) for k in f_up}


def _check_driver(name: str) -> None:
    if name != REASSURANCE:
        primitive_info(name)


@dataclass(frozen=True, eq=False)
class Statics:
    """Derivatives of every quantity with respect to every driver.

    Attributes
    ----------
    derivatives
        ``(quantity, driver) -> array`` of the primitives' shape.
    scale
        ``"link"`` or ``"natural"``.
    hold_reassurance
        Whether reassurance was held at its equilibrium value.
    """

    derivatives: dict[tuple[str, str], FloatArray]
    scale: Scale
    hold_reassurance: bool

    def summary(self) -> list[dict[str, float | str]]:
        """Per (quantity, driver): mean derivative and the shares of each sign."""
        rows: list[dict[str, float | str]] = []
        for (quantity, driver), d in self.derivatives.items():
            rows.append({"quantity": quantity, "driver": driver, "mean": float(np.mean(d)),
                         "share_positive": float(np.mean(d > 0)),
                         "share_negative": float(np.mean(d < 0))})
        return rows


def comparative_statics(prims: Primitives, *, drivers: Sequence[str] = PRIMITIVE_NAMES,
                        quantities: Sequence[str] = tuple(QUANTITIES), scale: Scale = "link",
                        hold_reassurance: bool = False, rel_step: float = 1e-4) -> Statics:
    r"""Derivatives of equilibrium quantities with respect to primitives.

    Parameters
    ----------
    prims
        Where to evaluate (scalars for a point, arrays for draws from a prior;
        average the result with :meth:`Statics.summary`).
    drivers
        Primitive names, and optionally ``"reassurance"`` (slope of the
        ally's best response at :math:`r^*`).
    quantities
        Names from :data:`QUANTITIES`.
    scale
        ``"link"`` (joint-model scale) or ``"natural"``.
    hold_reassurance
        Hold reassurance at its equilibrium value while a primitive moves.
    rel_step
        Finite-difference step, relative to ``max(1, |x|)``.

    Returns
    -------
    Statics
        :math:`\partial y / \partial x` per (quantity, driver).

    Raises
    ------
    TheoryError
        On unknown drivers or quantities.
    """
    unknown = [q for q in quantities if q not in QUANTITIES]
    if unknown:
        raise TheoryError(f"unknown quantities {unknown}; known: {', '.join(QUANTITIES)}")
    for name in drivers:
        _check_driver(name)
    r_fixed = solve_equilibrium(prims).reassurance if hold_reassurance else None
    out: dict[tuple[str, str], FloatArray] = {}
    for name in drivers:
        d = _derivative(prims, name, r_fixed, scale=scale, rel_step=rel_step)
        out.update({(q, name): d[q] for q in quantities})
    return Statics(derivatives=out, scale=scale, hold_reassurance=hold_reassurance)


def cross_partial(prims: Primitives, quantity: str, first: str, second: str, *,
                  scale: Scale = "link", hold_reassurance: bool = False,
                  rel_step: float = 1e-3) -> FloatArray:
    r"""Cross-partial :math:`\partial^2 y / \partial x_1 \partial x_2` (interaction effect).

    Parameters
    ----------
    prims
        Where to evaluate.
    quantity
        A name from :data:`QUANTITIES`.
    first, second
        Drivers; ``second`` may be ``"reassurance"`` (slope of the best
        response, then taken at the equilibrium reassurance of ``prims``).
    scale, hold_reassurance, rel_step
        As in :func:`comparative_statics`.

    Returns
    -------
    numpy.ndarray
        The cross-partial, differentiating in ``first`` the derivative in ``second``.

    Raises
    ------
    TheoryError
        On unknown names, or ``first == "reassurance"``.
    """
    if quantity not in QUANTITIES:
        raise TheoryError(f"unknown quantity '{quantity}'; known: {', '.join(QUANTITIES)}")
    if first == REASSURANCE:
        raise TheoryError("put 'reassurance' second in a cross-partial")
    _check_driver(first)
    _check_driver(second)
    r_fixed = (solve_equilibrium(prims).reassurance
               if hold_reassurance or second == REASSURANCE else None)
    x = np.asarray(getattr(prims, first), dtype=float)
    up, dn = _step_bounds(x, first, rel_step)
    d_up = _derivative(prims.replace(**{first: up}), second, r_fixed, scale=scale,
                       rel_step=rel_step)[quantity]
    d_dn = _derivative(prims.replace(**{first: dn}), second, r_fixed, scale=scale,
                       rel_step=rel_step)[quantity]
    return (d_up - d_dn) / (up - dn)


def average_statics(prior: PrimitivePrior | None = None, *, draws: int = 4000,
                    random_seed: int = 0, conditional: bool | None = None,
                    drivers: Sequence[str] = PRIMITIVE_NAMES, scale: Scale = "link",
                    hold_reassurance: bool = False) -> list[dict[str, float | str]]:
    """Comparative statics averaged over draws from a prior on the primitives.

    Parameters
    ----------
    prior
        Prior over the primitives (default :class:`PrimitivePrior` ()).
    draws
        Number of draws (in one world).
    random_seed
        Seed of the draws.
    conditional
        Fix the regime (True/False) or None to use the prior's mix.
    drivers, scale, hold_reassurance
        As in :func:`comparative_statics`.

    Returns
    -------
    list of dict
        :meth:`Statics.summary`: per (quantity, driver) the mean derivative
        and the shares of draws with each sign.
    """
    prior = PrimitivePrior() if prior is None else prior
    sample = draw_primitives(prior, draws=draws, worlds=1, random_seed=random_seed,
                             conditional=conditional)
    return comparative_statics(sample.primitives, drivers=drivers, scale=scale,
                               hold_reassurance=hold_reassurance).summary()
