r"""The declared prior over the game's primitives, and the map to panel covariates.

Each numeric primitive is a transform of a latent normal score,

.. math:: x_{jw} = g_j(\mu_j + h\, u_{jw} + \sigma_j z_{j}),
          \qquad u_{jw}, z_j \sim \mathcal N(0, 1),

with :math:`u_{jw}` drawn per primitive and world and :math:`g_j` the identity
(``normal``), :math:`\exp` (``lognormal``) or the
logistic function (``logitnormal``). Draws come in *worlds* :math:`w` (a
population of ally-years, like one panel); the world shift :math:`h\,u_{jw}`
moves every primitive's location, so the spread of quantities computed per
world measures how much the theory's implications depend on where the
population sits. Whether reassurance is conditional is Bernoulli with a
world-level share. The latent score :math:`\mu_j + h u_{jw} + \sigma_j z_j` is
also what the panel covariate measures (:data:`COVARIATE_OF`): a covariate is
standardised within its world before it enters a regression, like the joint
model's covariates within a panel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.special import expit, logit

from bayes_alliance.errors import TheoryError
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES, Primitives

Kind = Literal["normal", "lognormal", "logitnormal"]
_LINKS = {"normal": (lambda v: v), "lognormal": np.exp, "logitnormal": expit}

#: panel covariate -> the primitive it measures (on the latent normal scale)
COVARIATE_OF: dict[str, str] = {
    "threat": "threat",
    "exit_capacity": "outside_option",
    "importance": "exit_cost",
    "retrench": "retrench",
    "us_troops": "troops",
}


@dataclass(frozen=True)
class Latent:
    """Prior of one primitive: a link of a normal with ``loc`` and ``scale``."""

    kind: Kind
    loc: float
    scale: float

    def transform(self, score: np.ndarray) -> np.ndarray:
        """Primitive value of latent score(s)."""
        return _LINKS[self.kind](score)

    def to_dict(self) -> dict[str, str | float]:
        """TOML-friendly mapping."""
        return {"kind": self.kind, "loc": self.loc, "scale": self.scale}


def _default_latents() -> dict[str, Latent]:
    return {
        "threat": Latent("lognormal", float(np.log(0.4)), 0.35),
        "protection_value": Latent("lognormal", 0.0, 0.2),
        "effort_cost": Latent("lognormal", 0.0, 0.2),
        "outside_option": Latent("normal", 0.4, 0.1),
        "exit_noise": Latent("lognormal", float(np.log(0.1)), 0.2),
        "exit_cost": Latent("lognormal", float(np.log(2.0)), 0.5),
        "burden_weight": Latent("lognormal", float(np.log(0.5)), 0.5),
        "reassurance_cost": Latent("lognormal", float(np.log(0.05)), 0.4),
        "retrench": Latent("logitnormal", float(logit(0.4)), 0.8),
        "credibility": Latent("logitnormal", float(logit(0.6)), 0.5),
        "baseline_belief": Latent("logitnormal", float(logit(0.3)), 0.5),
        "troops": Latent("lognormal", float(np.log(0.3)), 1.0),
    }


@dataclass(frozen=True)
class PrimitivePrior:
    """Declared prior over the primitives (see the module docstring).

    Attributes
    ----------
    latents
        Primitive name -> :class:`Latent`; every numeric primitive must appear.
    conditional_share
        Prior mean share of ally-years under conditional reassurance.
    world_shift
        :math:`h`, sd of the world-level shift of every latent location (and of
        the logit of the conditional share).
    """

    latents: Mapping[str, Latent] = field(default_factory=_default_latents)
    conditional_share: float = 0.5
    world_shift: float = 0.2

    def __post_init__(self) -> None:
        missing = set(PRIMITIVE_NAMES) - set(self.latents)
        extra = set(self.latents) - set(PRIMITIVE_NAMES)
        if missing or extra:
            raise TheoryError(f"primitive prior must cover exactly {', '.join(PRIMITIVE_NAMES)}; "
                              f"missing {sorted(missing)}, unknown {sorted(extra)}")
        for name, lat in self.latents.items():
            if lat.kind not in _LINKS or not np.isfinite(lat.loc) or not lat.scale >= 0:
                raise TheoryError(f"prior of primitive '{name}' is invalid: {lat}")
        if not 0.0 < self.conditional_share < 1.0:
            raise TheoryError(f"conditional_share must lie in (0, 1); got {self.conditional_share}")
        if not self.world_shift >= 0:
            raise TheoryError(f"world_shift must be >= 0; got {self.world_shift}")

    def centre(self, *, conditional: bool = False) -> Primitives:
        """Primitives at the latent locations (the prior's centre)."""
        return Primitives(conditional=conditional,
                          **{n: float(lat.transform(np.array(lat.loc)))
                             for n, lat in self.latents.items()})

    def to_dict(self) -> dict[str, object]:
        """TOML-friendly mapping (recorded with derived priors)."""
        return {"conditional_share": self.conditional_share, "world_shift": self.world_shift,
                **{n: self.latents[n].to_dict() for n in PRIMITIVE_NAMES}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PrimitivePrior:
        """Inverse of :meth:`to_dict` (e.g. the ``settings`` of a prior file)."""
        latents = {}
        for name in PRIMITIVE_NAMES:
            raw = d.get(name)
            if not isinstance(raw, Mapping):
                raise TheoryError(f"primitive prior has no table for '{name}'")
            latents[name] = Latent(kind=raw["kind"], loc=float(raw["loc"]),
                                   scale=float(raw["scale"]))
        return cls(latents=latents, conditional_share=float(d["conditional_share"]),
                   world_shift=float(d["world_shift"]))


@dataclass(frozen=True, eq=False)
class PrimitiveDraws:
    """Draws from a :class:`PrimitivePrior`, grouped in worlds.

    Attributes
    ----------
    primitives
        Primitives of shape ``(worlds, per_world)``.
    scores
        Primitive name -> latent normal scores, same shape (covariates).
    """

    primitives: Primitives
    scores: dict[str, np.ndarray]

    def covariates(self) -> dict[str, np.ndarray]:
        """Panel covariates (raw latent scores, not yet standardised)."""
        return {cov: self.scores[prim] for cov, prim in COVARIATE_OF.items()}


def draw_primitives(prior: PrimitivePrior, *, draws: int, worlds: int,
                    random_seed: int | np.random.Generator,
                    conditional: bool | None = None) -> PrimitiveDraws:
    """Draw primitives from ``prior``.

    Parameters
    ----------
    prior
        The declared prior.
    draws
        Total number of draws; must be a multiple of ``worlds``.
    worlds
        Number of worlds (populations), each with ``draws // worlds`` draws.
    random_seed
        Seed or generator; the same seed gives the same draws.
    conditional
        Fix the regime for every draw (True/False), or None to draw it.

    Returns
    -------
    PrimitiveDraws
        Arrays of shape ``(worlds, draws // worlds)``.

    Raises
    ------
    TheoryError
        When the sizes are not positive or ``draws`` is not a multiple of ``worlds``.
    """
    if worlds < 1 or draws < worlds or draws % worlds:
        raise TheoryError(f"draws ({draws}) must be a positive multiple of worlds ({worlds})")
    rng = np.random.default_rng(random_seed)
    shape = (worlds, draws // worlds)
    scores, values = {}, {}
    for name in PRIMITIVE_NAMES:
        lat = prior.latents[name]
        shift = prior.world_shift * rng.standard_normal((worlds, 1))
        score = lat.loc + shift + lat.scale * rng.standard_normal(shape)
        scores[name] = score
        values[name] = lat.transform(score)
    share = expit(logit(prior.conditional_share)
                  + prior.world_shift * rng.standard_normal((worlds, 1)))
    cond = rng.uniform(size=shape) < share
    if conditional is not None:
        cond = np.full(shape, bool(conditional))
    return PrimitiveDraws(primitives=Primitives(conditional=cond, **values), scores=scores)
