r"""The reassurance bargaining game between a patron P and an ally A.

A reduced-form reconstruction (the package's own; see docs/theory.md) of
the trade-off in Blankenship's theory: reassurance keeps an ally from leaving
but invites it to free-ride, unless it is made conditional on the ally's effort.

Timing
------
1. P chooses reassurance :math:`r \ge 0` (statements, visits). The regime is a
   primitive: reassurance is either unconditional or conditional on effort.
2. A learns a private shock :math:`\varepsilon \sim \text{Logistic}(0, s)` to
   the value of its outside option (own nuclear weapons, realignment), worth
   :math:`\tau V (o + \varepsilon)` (a share :math:`o` of what full protection
   is worth), and exits when that exceeds :math:`W(r)`, its value of staying.
3. If A stays it chooses effort :math:`b \in [0, 1]` (own defence spending,
   war participation, host-nation support), the share of the risk left
   uncovered by P that it covers itself.

Belief and payoffs
------------------
A believes P would defend it with probability

.. math:: p(r) = 1 - (1 - p_0)\, e^{-T - (1 + T) r},

where :math:`p_0` is the credibility of the bare treaty, and patron troops on
the ally's soil :math:`T` act as a tripwire: they raise the belief even
without statements and make each statement more credible (statements and
troops are complements, not perfect substitutes). Staying with protection
probability :math:`\pi` and effort :math:`b` pays A

.. math:: U_A(b; \pi) = \tau V\,[\pi + (1 - \pi)\, b] - \tfrac{c}{2} b^2,

so own effort matters only in the event P does not come (effort substitutes
for protection) and its marginal value rises with the threat :math:`\tau`.
P's payoff is

.. math:: U_P(r) = (1 - q)\,\lambda\, b - \kappa\, q - \psi (1 + \rho)\, r,

with :math:`q` the exit probability, :math:`\lambda` P's weight on burden
sharing, :math:`\kappa` its loss when A exits and :math:`\psi(1 + \rho)` the
marginal cost of reassurance, which rises with retrenchment pressure.

Equilibrium (backward induction), with :math:`m = \tau V / c`
----------------------------------------------------------------
*Unconditional*: :math:`b^* = \min\{1, m (1 - p)\}` (closed form; falls as
:math:`p` rises: moral hazard). *Conditional*: P withdraws part of its
protection, :math:`\pi_d = p (1 - \theta\rho)`, unless A reaches a threshold
:math:`\bar b`; P demands the most effort A will deliver rather than lose that
protection, so compliance binds, :math:`U_A(\bar b; p) = \max_b U_A(b; \pi_d)`.
With :math:`y = m(1 - p)`, :math:`z = m(1 - \pi_d)` (both below one) the
larger root is

.. math:: b^* = \bar b = y + \sqrt{(z - y)(2 - y - z)},

and :math:`b^* = 1` when :math:`z \ge 1`. The unconditional regime is the case
:math:`\theta\rho = 0`. A's value of staying is :math:`W = \max_b U_A(b;\pi)`
with :math:`\pi = p` (unconditional) or :math:`\pi_d` (conditional; the
threshold takes the rest), and :math:`q = \Lambda((o - W / \tau V) / s)`.
P's choice of :math:`r` has no closed form: :func:`solve_equilibrium` scans a
grid on :math:`[0, R_{max}]` and bisects the analytic derivative
:math:`\partial U_P / \partial r` inside the best bracket, vectorised over draws.
A noisy patron, the logit quantal response of :func:`quantal_response`, draws
:math:`r` with density :math:`\propto e^{\beta U_P(r)}` instead; it tends to the
best response as :math:`\beta \to \infty`. The closed forms are written once
over a backend (:class:`Ops`): NumPy here, PyTensor in the strategic model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from bayes_alliance.errors import TheoryError
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES, Primitives

#: upper end of the reassurance search interval (belief is within e^-8 of 1 there)
R_MAX = 8.0
#: points of the global grid scan before bisection
GRID_POINTS = 41
#: bisection steps on the derivative of the patron's payoff (bracket shrinks 2^-56)
BISECTION_STEPS = 56
#: slope of the participation probability in effort, logit P(join) = slope * (b - 1/2)
PARTICIPATION_SLOPE = 4.0
#: points of the reassurance grid of the quantal response (:func:`quantal_response`)
QRE_POINTS = 161
#: outcomes averaged over the patron's quantal response
QRE_OUTCOMES = ("reassurance", "belief", "effort", "exit", "participation")
#: floor of the radicand inside the conditional threshold's square root (finite slope at 0)
ROOT_FLOOR = 1e-300

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Equilibrium:
    r"""Equilibrium quantities, one array element per set of primitives.

    Attributes
    ----------
    reassurance
        Patron's reassurance :math:`r^* \in [0, R_{max}]`.
    belief
        Ally's belief in protection :math:`p(r^*)`.
    effort
        Ally's effort :math:`b^* \in [0, 1]` if it stays.
    exit
        Exit probability :math:`q^* = \Lambda((o - W / \tau V)/s)`.
    stay_value
        Ally's value of staying :math:`W(r^*)`.
    patron_payoff
        :math:`U_P(r^*)`.
    participation
        Probability of joining a US-led war, :math:`\Lambda(4 (b^* - 1/2))`
        (an effort channel, see :data:`PARTICIPATION_SLOPE`).
    conditional
        The regime of each element.
    """

    reassurance: FloatArray
    belief: FloatArray
    effort: FloatArray
    exit: FloatArray
    stay_value: FloatArray
    patron_payoff: FloatArray
    participation: FloatArray
    conditional: NDArray[np.bool_]

    def to_dict(self) -> dict[str, np.ndarray]:
        """Mapping field -> array."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Ops(NamedTuple):
    """The array functions the game's closed forms use, from one backend.

    :data:`NUMPY_OPS` evaluates the game on arrays; the ``pytensor.tensor``
    module has the same names and builds the same formulas as a differentiable
    graph (the strategic model's equilibrium).
    """

    where: Callable[..., Any]
    maximum: Callable[..., Any]
    minimum: Callable[..., Any]
    sqrt: Callable[..., Any]
    exp: Callable[..., Any]
    log: Callable[..., Any]
    sigmoid: Callable[..., Any]
    max: Callable[..., Any]
    sum: Callable[..., Any]


#: the NumPy backend of the closed forms
NUMPY_OPS = Ops(where=np.where, maximum=np.maximum, minimum=np.minimum, sqrt=np.sqrt,
                exp=np.exp, log=np.log, sigmoid=expit, max=np.max, sum=np.sum)


@dataclass(frozen=True)
class Constants:
    """Per-draw constants of the ally's and patron's problems (arrays or tensors)."""

    stake: Any  # tau * V
    m: Any  # tau * V / c
    c: Any
    t: Any  # theta * rho under conditional reassurance, else 0
    p0: Any
    k: Any  # 1 + T
    o: Any
    s: Any
    kappa: Any
    lam: Any
    unit_cost: Any  # psi * (1 + rho)


def constants(f: Mapping[str, Any], conditional: Any, xp: Ops = NUMPY_OPS) -> Constants:
    """The game's constants from primitive values ``f`` (by name) and the regime."""
    stake = f["threat"] * f["protection_value"]
    t = xp.where(conditional, f["credibility"] * f["retrench"], 0.0)
    return Constants(stake=stake, m=stake / f["effort_cost"], c=f["effort_cost"], t=t,
                     p0=f["baseline_belief"], k=1.0 + f["troops"], o=f["outside_option"],
                     s=f["exit_noise"], kappa=f["exit_cost"], lam=f["burden_weight"],
                     unit_cost=f["reassurance_cost"] * (1.0 + f["retrench"]))


def _consts(prims: Primitives) -> Constants:
    f = {n: np.asarray(getattr(prims, n), dtype=np.float64) for n in PRIMITIVE_NAMES}
    return constants(f, prims.conditional)


def stage(k: Constants, r: Any, xp: Ops = NUMPY_OPS) -> dict[str, Any]:
    """The ally's best response to reassurance ``r`` and the patron's payoff, in backend ``xp``.

    The radicand of the conditional threshold is floored at :data:`ROOT_FLOOR`
    inside the square root, so the root's slope stays finite where the
    radicand is 0 (the unconditional regime); the value moves by at most
    :math:`10^{-150}`. Also returns the intermediates the slopes need.
    """
    decay = (1.0 - k.p0) * xp.exp(1.0 - k.k * (1.0 + r))
    p = 1.0 - decay
    pd = p * (1.0 - k.t)  # protection left to an ally that misses the threshold
    y, z = k.m * (1.0 - p), k.m * (1.0 - pd)
    a, e = 1.0 - y, xp.maximum(1.0 - z, 0.0)
    gap = xp.where(z < 1.0, k.m * p * k.t, a)  # a^2 - e^2 = gap * (a + e), without cancellation
    radicand = xp.maximum(gap * (a + e), 0.0)
    root = xp.sqrt(xp.maximum(radicand, ROOT_FLOOR))
    b = xp.where(y >= 1.0, 1.0, xp.minimum(y + root, 1.0))
    bd = xp.minimum(z, 1.0)
    w = k.stake * (pd + (1.0 - pd) * bd) - 0.5 * k.c * bd**2
    q = xp.sigmoid((k.o - w / k.stake) / k.s)
    return {"belief": p, "effort": b, "stay_value": w, "exit": q,
            "patron_payoff": (1.0 - q) * k.lam * b - k.kappa * q - k.unit_cost * r,
            "participation": xp.sigmoid(PARTICIPATION_SLOPE * (b - 0.5)),
            "_parts": (decay, y, z, a, e, radicand, root, bd)}


def _respond(k: Constants, r: FloatArray, *, derivative: bool) -> dict[str, FloatArray]:
    """The ally's best response to reassurance ``r`` and the patron's payoff (and slopes)."""
    out = stage(k, r)
    decay, y, z, a, e, radicand, root, bd = out.pop("_parts")
    if derivative:
        q, b = out["exit"], out["effort"]
        dp = k.k * decay
        dw = k.stake * (1.0 - bd) * (1.0 - k.t) * dp
        da = k.m * dp
        de = np.where(z < 1.0, k.m * (1.0 - k.t) * dp, 0.0)
        positive = radicand > 0
        safe = np.where(positive, root, 1.0)
        db = np.where(positive, -da + (a * da - e * de) / safe, -da)
        db = np.where((y >= 1.0) | (y + root >= 1.0), 0.0, db)
        dq = -q * (1.0 - q) * dw / (k.stake * k.s)
        out["d_effort"], out["d_exit"] = db, dq
        out["d_payoff"] = -dq * (k.lam * b + k.kappa) + (1.0 - q) * k.lam * db - k.unit_cost
    return out


def best_response(prims: Primitives, reassurance: ArrayLike) -> dict[str, FloatArray]:
    r"""The ally's response and the patron's payoff at a given reassurance.

    Parameters
    ----------
    prims
        Primitives of the game.
    reassurance
        Reassurance :math:`r \ge 0` (broadcast against ``prims``), not
        necessarily the patron's optimum.

    Returns
    -------
    dict
        ``belief``, ``effort``, ``stay_value``, ``exit``, ``patron_payoff``,
        ``participation`` and the slopes in :math:`r`: ``d_effort``, ``d_exit``, ``d_payoff``.

    Raises
    ------
    TheoryError
        When ``reassurance`` is negative or not finite.
    """
    r = np.asarray(reassurance, dtype=np.float64)
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise TheoryError(f"reassurance must be finite and >= 0; got {reassurance!r}")
    consts = _consts(prims)
    r = np.broadcast_to(r, np.broadcast_shapes(r.shape, prims.shape))
    return _respond(consts, r, derivative=True)


def _grid() -> FloatArray:
    # denser near zero, where corners and the steepest part of p(r) sit
    return R_MAX * np.linspace(0.0, 1.0, GRID_POINTS) ** 2


def solve_equilibrium(prims: Primitives | None = None, **values: ArrayLike) -> Equilibrium:
    """Solve the game for every element of the primitives.

    Parameters
    ----------
    prims
        Primitives (scalars or arrays); default :class:`Primitives` ().
    **values
        Primitives to change from ``prims`` (e.g. ``threat=0.9``).

    Returns
    -------
    Equilibrium
        Arrays of the primitives' broadcast shape (0-d for scalars).

    Raises
    ------
    TheoryError
        When a primitive lies outside its domain.

    Notes
    -----
    The ally's effort and exit choices are closed form (module docstring).
    The patron's payoff :math:`U_P(r)` is not concave in general (the logistic
    exit term), so a global scan over :data:`GRID_POINTS` points of
    :math:`[0, R_{max}]` picks the best bracket, and :data:`BISECTION_STEPS`
    bisections on the analytic :math:`U_P'(r)` locate the maximum inside it
    (a kink where effort reaches 1 is handled: bisection stops at the sign
    change). The better of the bisection point and the best grid point is
    kept, so the result is never worse than the scan. Cost is linear in the
    number of draws: 100,000 draws solve in about a second.
    """
    prims = Primitives() if prims is None else prims
    if values:
        prims = prims.replace(**values)
    k = _consts(prims)
    shape = prims.shape
    grid = _grid()
    best_val = np.full(shape, -np.inf)
    best_idx = np.zeros(shape, dtype=np.intp)
    for i, r in enumerate(grid):
        val = _respond(k, np.full(shape, r), derivative=False)["patron_payoff"]
        better = val > best_val
        best_val = np.where(better, val, best_val)
        best_idx = np.where(better, i, best_idx)
    lo = grid[np.maximum(best_idx - 1, 0)]
    hi = grid[np.minimum(best_idx + 1, GRID_POINTS - 1)]
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        up = _respond(k, mid, derivative=True)["d_payoff"] > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    r_bis = 0.5 * (lo + hi)
    val_bis = _respond(k, r_bis, derivative=False)["patron_payoff"]
    r_star = np.where(val_bis >= best_val, r_bis, grid[best_idx])
    out = _respond(k, r_star, derivative=False)
    return Equilibrium(
        reassurance=r_star, belief=out["belief"], effort=out["effort"], exit=out["exit"],
        stay_value=out["stay_value"], patron_payoff=out["patron_payoff"],
        participation=out["participation"],
        conditional=np.asarray(prims.conditional))


def qre_grid(points: int = QRE_POINTS) -> tuple[FloatArray, FloatArray]:
    r"""Reassurance grid on :math:`[0, R_{max}]` and the logs of its trapezoid weights.

    The points are :math:`R_{max} (g / (G - 1))^2`, denser near 0 where the
    belief :math:`p(r)` is steepest; the weights make a sum over the grid a
    trapezoid-rule integral over :math:`r`.
    """
    if points < 3:
        raise TheoryError(f"the quantal-response grid needs at least 3 points, got {points}")
    grid = R_MAX * np.linspace(0.0, 1.0, points) ** 2
    width = np.diff(grid)
    weights = 0.5 * (np.concatenate([[0.0], width]) + np.concatenate([width, [0.0]]))
    return grid, np.log(weights)


def quantal_response(k: Constants, rationality: Any, grid: Any, log_weights: Any,
                     xp: Ops = NUMPY_OPS) -> dict[str, Any]:
    r"""Expected outcomes under the patron's logit quantal response, in backend ``xp``.

    The patron draws its reassurance from the density

    .. math:: f(r) = \frac{e^{\beta U_P(r)}}{\int_0^{R_{max}} e^{\beta U_P(s)}\,ds}
              \approx \pi_g = \operatorname{softmax}_g(\beta U_P(r_g) + \log w_g)

    on the grid :math:`r_g` with trapezoid weights :math:`w_g`
    (:func:`qre_grid`); :math:`\beta \ge 0` is its rationality. The ally
    answers the realised :math:`r` in closed form, so each outcome
    :math:`x \in` :data:`QRE_OUTCOMES` has the expectation
    :math:`\bar x = \sum_g \pi_g\, x(r_g)` (:math:`x(r) = r` for
    reassurance). As :math:`\beta \to \infty`, :math:`f` concentrates on the
    patron's best response (:func:`solve_equilibrium`) and :math:`\bar x \to
    x(r^*)`; at :math:`\beta = 0` the patron ignores payoffs.

    Parameters
    ----------
    k
        Constants (:func:`constants`) of shape ``(..., 1)``.
    rationality
        :math:`\beta`, broadcastable to ``(..., 1)``.
    grid, log_weights
        From :func:`qre_grid`, shape ``(G,)``.
    xp
        Backend (:data:`NUMPY_OPS`, or ``pytensor.tensor`` for a graph).

    Returns
    -------
    dict
        Outcome -> expectation of shape ``(...)``, plus ``choice``: the
        probabilities :math:`\pi_g`, shape ``(..., G)``.
    """
    out = stage(k, grid, xp)
    out["reassurance"] = grid
    score = rationality * out["patron_payoff"] + log_weights
    weight = xp.exp(score - xp.max(score, axis=-1, keepdims=True))
    choice = weight / xp.sum(weight, axis=-1, keepdims=True)
    means = {name: xp.sum(choice * out[name], axis=-1) for name in QRE_OUTCOMES}
    return {**means, "choice": choice}


def solve_quantal_response(prims: Primitives, rationality: ArrayLike,
                           points: int = QRE_POINTS) -> dict[str, FloatArray]:
    """NumPy :func:`quantal_response` for every element of ``prims``.

    Raises
    ------
    TheoryError
        When ``rationality`` is negative or not finite, or ``points`` < 3.
    """
    beta = np.asarray(rationality, dtype=np.float64)
    if not np.all(np.isfinite(beta)) or np.any(beta < 0):
        raise TheoryError(f"rationality must be finite and >= 0; got {rationality!r}")
    grid, log_w = qre_grid(points)
    k = Constants(**{name: np.asarray(v)[..., None]
                     for name, v in _consts(prims).__dict__.items()})
    return quantal_response(k, beta[..., None], grid, log_w)
