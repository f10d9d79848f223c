"""The hypothesis registry: signed comparative statics of the game.

Each :class:`Hypothesis` names an equilibrium quantity (``outcome``, a key of
:data:`~bayes_alliance.theory.statics.QUANTITIES`), a ``driver`` (a primitive,
``"reassurance"`` or an interaction ``"a:b"``), the predicted ``sign`` and the
joint-model ``coefficient`` it maps to (None when the effect has no single
coefficient, e.g. it runs through reassurance). Ids follow the
numbering of the literature's hypotheses in docs/theory.md where one matches
(H1, H2, H6, H7, H9, H10, H13); H15 onwards are implications of this game;
docs/theory.md gives each hypothesis's source.

:data:`HYPOTHESES` holds the game's implications only: they are checked by the
solver and sign the theory prior set. :data:`EMPIRICAL_HYPOTHESES` holds the
seed's empirical burden-sharing claims about dependence on US protection
(H3-H5, Blankenship 2018), which the game does not derive (``derived=False``):
they are tested against data but never checked by the solver and never shape a
prior. :data:`REGISTRY` is both, in id order.

:func:`check_hypotheses` computes each sign from the solver over draws from the
declared prior: the mean derivative (or cross-partial) on the link scale and
the share of draws with each sign. Derivatives of ``effort``,
``participation`` and ``exit`` hold reassurance at its equilibrium value,
because their joint-model equations have reassurance as a regressor;
derivatives of ``reassurance`` are total (the patron re-optimises).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bayes_alliance.errors import TheoryError
from bayes_alliance.theory.population import PrimitivePrior, draw_primitives
from bayes_alliance.theory.primitives import Primitives
from bayes_alliance.theory.statics import (
    QUANTITIES,
    REASSURANCE,
    Scale,
    comparative_statics,
    cross_partial,
)

Regime = Literal["any", "conditional", "unconditional"]
#: a hypothesis holds when at least this share of the responsive prior draws (those where
#: the derivative is not zero) has the predicted sign ...
SIGN_SHARE_MIN = 0.75
#: ... and at least this share of all draws is responsive (not at a corner such as r* = 0)
RESPONSIVE_SHARE_MIN = 0.5
#: default prior draws and seed of :func:`check_hypotheses`
CHECK_DRAWS = 4000
CHECK_SEED = 20180501


@dataclass(frozen=True)
class Hypothesis:
    """One signed implication of the game.

    Attributes
    ----------
    id
        ``"H1"`` ... (docs/theory.md numbering where it matches).
    outcome
        Equilibrium quantity: ``reassurance``, ``effort``, ``participation`` or ``exit``.
    driver
        Primitive name, ``"reassurance"``, or an interaction ``"a:b"``.
    sign
        Predicted sign, +1 or -1.
    statement
        One line, in words.
    origin
        Where in the game the sign comes from.
    coefficient
        Joint-model coefficient, e.g. ``"beta[milex, threat]"``, or None.
    regime
        Draws it is checked on: ``any`` (the prior's mix), ``conditional``
        or ``unconditional`` reassurance.
    scale
        ``"link"`` (the joint model's scale, required for a coefficient) or
        ``"natural"`` (levels: :math:`r^*, b^*, q^*`).
    total
        Differentiate the equilibrium with the patron re-optimising even for
        effort, participation and exit (an effect that runs through reassurance).
    derived
        True for an implication of the game; False for an empirical claim taken
        from the literature (then ``source`` cites it and the solver never checks it).
    source
        Citation of an empirical hypothesis ("" for the game's own).
    """

    id: str
    outcome: str
    driver: str
    sign: int
    statement: str
    origin: str
    coefficient: str | None = None
    regime: Regime = "any"
    scale: Scale = "link"
    total: bool = False
    derived: bool = True
    source: str = ""

    @property
    def hold_reassurance(self) -> bool:
        """Whether the derivative holds reassurance at its equilibrium value."""
        return self.outcome != "reassurance" and not self.total


def _h(id_: str, outcome: str, driver: str, sign: int, coefficient: str | None,
       statement: str, origin: str, regime: Regime = "any", *, scale: Scale = "link",
       total: bool = False) -> Hypothesis:
    return Hypothesis(id=id_, outcome=outcome, driver=driver, sign=sign, statement=statement,
                      origin=origin, coefficient=coefficient, regime=regime, scale=scale,
                      total=total)


#: the registry, in id order
HYPOTHESES: tuple[Hypothesis, ...] = (
    _h("H1", "reassurance", "outside_option", +1, "beta[reassure, exit_capacity]",
       "The patron reassures allies with more credible outside options more.",
       "patron's first-order condition: reassurance buys retention, worth more where exit "
       "is likelier"),
    _h("H2", "reassurance", "exit_cost", +1, "beta[reassure, importance]",
       "The patron reassures allies whose exit would cost it more.",
       "patron's first-order condition: the retention value of reassurance scales with kappa"),
    _h("H6", "effort", "retrench", +1, "beta[milex, retrench]",
       "Under conditional reassurance, retrenchment pressure raises the ally's effort.",
       "compliance constraint: rho makes the withheld protection p*theta*rho larger",
       "conditional"),
    _h("H7", "effort", "threat", +1, "beta[milex, threat]",
       "The ally's effort rises with the threat it faces.",
       "ally's first-order condition: own effort is worth tau*V per unit of uncovered risk"),
    _h("H9", "effort", "exit_cost", -1, None,
       "Allies whose exit the patron fears get more reassurance and so shirk more.",
       "total effect through the patron's reassurance (no single coefficient: it runs "
       "through the reassurance term)", "unconditional", total=True),
    _h("H10", "effort", REASSURANCE, -1, "beta[milex, reassurance]",
       "Unconditional reassurance lowers the ally's effort (moral hazard).",
       "ally's first-order condition: b = m (1 - p) falls as the belief p rises",
       "unconditional"),
    _h("H13", "exit", "troops", -1, "beta[exit, us_troops]",
       "Fewer patron troops on the ally's soil raise its exit probability.",
       "belief p(r, T): troops are a tripwire that raises the credibility of protection"),
    _h("H15", "exit", REASSURANCE, -1, "beta[exit, reassurance]",
       "Reassurance lowers the ally's exit probability.",
       "ally's exit rule: the value of staying W rises with the belief p"),
    _h("H16", "effort", "retrench:reassurance", +1, "beta[milex, reassurance:retrench]",
       "Under retrenchment pressure, conditional reassurance depresses effort less.",
       "compliance constraint: the more credible the abandonment threat, the more effort "
       "each unit of reassured protection can be traded for", "conditional"),
    _h("H17", "effort", "threat:retrench", +1, "beta[milex, threat:retrench]",
       "The abandonment threat raises effort more where the ally faces severe threat.",
       "compliance constraint: protection withheld is worth more when tau is high",
       "conditional"),
    _h("H18", "exit", "outside_option", +1, "beta[exit, exit_capacity]",
       "Allies with more credible outside options exit more often.",
       "ally's exit rule q = logistic((o - W / tau V) / s)"),
    _h("H19", "reassurance", "outside_option:exit_cost", +1, None,
       "Reassurance is greatest for allies that can exit and whose exit is costly.",
       "patron's first-order condition: kappa multiplies the retention value, which rises "
       "with o; the interaction holds for the level r*, not for the log rate (no coefficient)",
       scale="natural"),
    _h("H20", "reassurance", "retrench", -1, None,
       "Retrenchment pressure lowers unconditional reassurance.",
       "patron's cost of reassurance psi (1 + rho) rises with rho (under conditional "
       "reassurance rho also raises exit risk, so the pooled sign is ambiguous)",
       "unconditional"),
    _h("H21", "reassurance", "threat", -1, "beta[reassure, threat]",
       "The patron reassures severely threatened allies less: they depend on it and stay.",
       "ally's value of staying relative to its stakes rises with tau, so exit risk and "
       "the retention value of reassurance fall"),
    _h("H22", "exit", "threat", -1, "beta[exit, threat]",
       "At given reassurance, severely threatened allies are less tempted to exit.",
       "ally's exit rule: W / (tau V) rises with tau (dependence)"),
    _h("H23", "participation", "threat", +1, "beta[intervene, threat]",
       "Allies facing severe threat join the patron's wars more often (an effort channel).",
       "participation rises with effort, which rises with tau"),
    _h("H24", "participation", REASSURANCE, -1, "beta[intervene, reassurance]",
       "Unconditional reassurance lowers war participation (moral hazard).",
       "participation rises with effort, which falls with the belief p", "unconditional"),
    _h("H25", "effort", "troops", -1, "beta[milex, us_troops]",
       "Patron troops on the ally's soil lower its effort (moral hazard).",
       "troops raise the belief p, and effort falls with p"),
    _h("H26", "participation", "troops", -1, "beta[intervene, us_troops]",
       "Patron troops on the ally's soil lower its war participation (moral hazard).",
       "participation rises with effort, which falls with the belief p that troops raise"),
)


#: the seed, source of the empirical hypotheses H3-H5 (a reported finding; docs/theory.md)
SEED = ("Blankenship, B. (2018). Promises under Pressure: Reassurance and Burden-Sharing in "
        "Asymmetric Alliances. PhD thesis, Columbia University: reported finding")


def _empirical(id_: str, outcome: str, sign: int, coefficient: str, statement: str,
               origin: str) -> Hypothesis:
    return Hypothesis(id=id_, outcome=outcome, driver="dependence", sign=sign,
                      statement=statement, origin=origin, coefficient=coefficient,
                      derived=False, source=SEED)


#: the seed's empirical claims on dependence (not derived from the game), in id order
EMPIRICAL_HYPOTHESES: tuple[Hypothesis, ...] = (
    _empirical("H3", "effort", +1, "beta[milex, dependence]",
               "Allies more dependent on US protection spend more on defence.",
               "the seed's argument: a dependent ally cannot afford abandonment, so the "
               "patron's pressure to share burdens works on it"),
    _empirical("H4", "hns", +1, "beta[hns, dependence]",
               "Allies more dependent on US protection pay more host-nation support for US "
               "bases.",
               "the seed's argument: dependent allies compensate the patron for the forces that "
               "protect them"),
    _empirical("H5", "participation", +1, "beta[intervene, dependence]",
               "Allies more dependent on US protection join US military interventions more often.",
               "the seed's argument: dependent allies buy the patron's commitment by fighting "
               "beside it"),
)


def _number(h: Hypothesis) -> int:
    return int(h.id.removeprefix("H"))


#: every hypothesis, the game's and the empirical ones, in id order
REGISTRY: tuple[Hypothesis, ...] = tuple(sorted((*HYPOTHESES, *EMPIRICAL_HYPOTHESES),
                                                key=_number))


def hypothesis(id_: str) -> Hypothesis:
    """The hypothesis with id ``id_`` (game-derived or empirical)."""
    for h in REGISTRY:
        if h.id == id_:
            return h
    raise TheoryError(f"no hypothesis '{id_}'; known: {', '.join(h.id for h in REGISTRY)}")


@dataclass(frozen=True)
class HypothesisCheck:
    """A hypothesis and the sign the solver computes over the prior."""

    hypothesis: Hypothesis
    mean: float
    share_predicted: float
    share_opposite: float
    draws: int

    @property
    def share_zero(self) -> float:
        """Share of draws where the quantity does not respond (corners)."""
        return max(0.0, 1.0 - self.share_predicted - self.share_opposite)

    @property
    def share_among_responsive(self) -> float:
        """Share with the predicted sign among draws where the derivative is not zero."""
        responsive = self.share_predicted + self.share_opposite
        return self.share_predicted / responsive if responsive > 0 else 0.0

    @property
    def computed_sign(self) -> int:
        """Sign of the prior-averaged derivative (0 when it is exactly zero)."""
        return int(np.sign(self.mean))

    @property
    def holds(self) -> bool:
        """Mean has the predicted sign, and so do most responsive draws.

        At least :data:`RESPONSIVE_SHARE_MIN` of the draws must respond, and at
        least :data:`SIGN_SHARE_MIN` of those must have the predicted sign.
        """
        return (self.computed_sign == self.hypothesis.sign
                and 1.0 - self.share_zero >= RESPONSIVE_SHARE_MIN
                and self.share_among_responsive >= SIGN_SHARE_MIN)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly mapping."""
        h = self.hypothesis
        return {"id": h.id, "outcome": h.outcome, "driver": h.driver, "regime": h.regime,
                "predicted_sign": h.sign, "computed_sign": self.computed_sign,
                "mean_derivative": self.mean, "share_predicted_sign": self.share_predicted,
                "share_opposite_sign": self.share_opposite, "share_zero": self.share_zero,
                "share_among_responsive": self.share_among_responsive, "holds": self.holds,
                "scale": h.scale, "derived": h.derived,
                "coefficient": h.coefficient, "statement": h.statement, "origin": h.origin,
                "draws": self.draws}


def derivative_draws(h: Hypothesis, prims: Primitives) -> np.ndarray:
    """Per-draw derivative (or cross-partial) of ``h`` at primitives ``prims``."""
    if not h.derived:
        raise TheoryError(f"{h.id} is an empirical hypothesis ({h.source}); the game does not "
                          "derive it, so it has no derivative to check")
    if h.outcome not in QUANTITIES:
        raise TheoryError(f"{h.id}: unknown outcome '{h.outcome}'")
    hold = h.hold_reassurance
    parts = h.driver.split(":")
    if len(parts) == 2:
        return cross_partial(prims, h.outcome, parts[0], parts[1], hold_reassurance=hold,
                             scale=h.scale)
    st = comparative_statics(prims, drivers=(h.driver,), quantities=(h.outcome,),
                             hold_reassurance=hold, scale=h.scale)
    return st.derivatives[(h.outcome, h.driver)]


def check_hypotheses(hypotheses: Sequence[Hypothesis] = HYPOTHESES, *,
                     prior: PrimitivePrior | None = None, draws: int = CHECK_DRAWS,
                     random_seed: int = CHECK_SEED) -> list[HypothesisCheck]:
    """Compute every hypothesis' sign over draws from the prior.

    Parameters
    ----------
    hypotheses
        Which hypotheses (default: all of :data:`HYPOTHESES`).
    prior
        Prior over the primitives (default :class:`PrimitivePrior` ()).
    draws
        Prior draws per regime (the same draws serve every hypothesis).
    random_seed
        Seed of the draws.

    Returns
    -------
    list of HypothesisCheck
        In the order of ``hypotheses``.
    """
    prior = PrimitivePrior() if prior is None else prior
    worlds = max(1, min(20, draws // 50))
    draws -= draws % worlds
    cache: dict[str, Primitives] = {}
    out = []
    for h in hypotheses:
        if h.regime not in cache:
            fixed = None if h.regime == "any" else h.regime == "conditional"
            cache[h.regime] = draw_primitives(prior, draws=draws, worlds=worlds,
                                              random_seed=random_seed,
                                              conditional=fixed).primitives
        d = derivative_draws(h, cache[h.regime]).ravel()
        out.append(HypothesisCheck(hypothesis=h, mean=float(np.mean(d)),
                                   share_predicted=float(np.mean(np.sign(d) == h.sign)),
                                   share_opposite=float(np.mean(np.sign(d) == -h.sign)),
                                   draws=int(d.size)))
    return out
