"""Primitives of the game: names, symbols, domains, defaults, and their validation.

:class:`Primitives` holds every primitive as an array (scalars are 0-d),
broadcast to one shape, validated once at construction: a NaN, an infinite
value or a value outside the primitive's domain raises
:class:`~bayes_alliance.errors.TheoryError` naming the primitive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_alliance.errors import TheoryError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PrimitiveInfo:
    """Name, symbol, domain and meaning of one primitive."""

    name: str
    symbol: str
    lower: float
    upper: float
    lower_open: bool
    upper_open: bool
    default: float
    meaning: str

    def domain(self) -> str:
        """Readable interval, e.g. ``(0, inf)`` or ``[0, 1]``."""
        lo = "-inf" if math.isinf(self.lower) else f"{self.lower:g}"
        hi = "inf" if math.isinf(self.upper) else f"{self.upper:g}"
        return f"{'(' if self.lower_open else '['}{lo}, {hi}{')' if self.upper_open else ']'}"


_INF = math.inf
#: every numeric primitive, in a fixed order (defaults are the prior's centres)
PRIMITIVE_INFO: tuple[PrimitiveInfo, ...] = (
    PrimitiveInfo("threat", "tau", 0, _INF, True, True, 0.4, "severity of the ally's threat"),
    PrimitiveInfo("protection_value", "V", 0, _INF, True, True, 1.0, "value of protection"),
    PrimitiveInfo("effort_cost", "c", 0, _INF, True, True, 1.0, "ally's marginal cost of effort"),
    PrimitiveInfo("outside_option", "o", -_INF, _INF, True, True, 0.4,
                  "mean value of the ally's outside option, as a share of tau * V "
                  "(exit credibility)"),
    PrimitiveInfo("exit_noise", "s", 0, _INF, True, True, 0.1,
                  "scale of the ally's private logistic shock to its outside option"),
    PrimitiveInfo("exit_cost", "kappa", 0, _INF, False, True, 2.0,
                  "patron's cost of the ally's exit"),
    PrimitiveInfo("burden_weight", "lambda", 0, _INF, False, True, 0.5,
                  "patron's weight on burden-sharing"),
    PrimitiveInfo("reassurance_cost", "psi", 0, _INF, True, True, 0.05,
                  "patron's marginal cost of reassurance before retrenchment"),
    PrimitiveInfo("retrench", "rho", 0, 1, False, False, 0.4,
                  "patron's retrenchment pressure"),
    PrimitiveInfo("credibility", "theta", 0, 1, False, False, 0.6,
                  "share of protection withheld from a shirking ally per unit of rho"),
    PrimitiveInfo("baseline_belief", "p0", 0, 1, False, True, 0.3,
                  "belief in protection from the bare treaty (no reassurance)"),
    PrimitiveInfo("troops", "T", 0, _INF, False, True, 0.3,
                  "patron troops on the ally's soil (tripwire; scales credibility)"),
)
#: numeric primitive names, in order
PRIMITIVE_NAMES: tuple[str, ...] = tuple(p.name for p in PRIMITIVE_INFO)
_INFO = {p.name: p for p in PRIMITIVE_INFO}


def primitive_info(name: str) -> PrimitiveInfo:
    """Metadata of primitive ``name``; unknown names raise :class:`TheoryError`."""
    if name not in _INFO:
        raise TheoryError(f"unknown primitive '{name}'; known: {', '.join(PRIMITIVE_NAMES)}")
    return _INFO[name]


def _check(info: PrimitiveInfo, x: FloatArray) -> None:
    bad = ~np.isfinite(x)
    bad |= (x <= info.lower) if info.lower_open else (x < info.lower)
    bad |= (x >= info.upper) if info.upper_open else (x > info.upper)
    if np.any(bad):
        idx = np.flatnonzero(bad.ravel())
        first = float(x.ravel()[idx[0]])
        where = f" (first of {idx.size} bad values at flat index {idx[0]})" if x.ndim else ""
        raise TheoryError(f"primitive '{info.name}' ({info.symbol}) must be a finite number in "
                          f"{info.domain()}; got {first!r}{where}")


@dataclass(frozen=True, eq=False)
class Primitives:
    r"""Primitives of the game, as arrays broadcast to one shape.

    Every field accepts a scalar or an array; all are validated and broadcast
    together. Defaults are the centre of the declared prior
    (:class:`~bayes_alliance.theory.population.PrimitivePrior`).

    * ``threat`` :math:`\tau > 0`: severity of the ally's threat;
    * ``protection_value`` :math:`V > 0`: value of protection;
    * ``effort_cost`` :math:`c > 0`: the ally's marginal cost of effort;
    * ``outside_option`` :math:`o \in \mathbb R`: exit credibility, the outside
      option's value as a share of :math:`\tau V`;
    * ``exit_noise`` :math:`s > 0`: scale of the ally's logistic shock;
    * ``exit_cost`` :math:`\kappa \ge 0`: the patron's cost of the ally's exit;
    * ``burden_weight`` :math:`\lambda \ge 0`: the patron's weight on effort;
    * ``reassurance_cost`` :math:`\psi > 0`: unit cost of reassurance;
    * ``retrench`` :math:`\rho \in [0, 1]`: retrenchment pressure;
    * ``credibility`` :math:`\theta \in [0, 1]`: share of protection withheld
      from a shirking ally per unit of :math:`\rho`;
    * ``baseline_belief`` :math:`p_0 \in [0, 1)`: belief without reassurance;
    * ``troops`` :math:`T \ge 0`: patron troops on the ally's soil (tripwire);
    * ``conditional`` (bool): reassurance is conditional on effort.

    Raises
    ------
    TheoryError
        When a primitive is NaN, infinite or outside its domain (the message
        names the primitive), or the shapes do not broadcast.
    """

    threat: ArrayLike = 0.4
    protection_value: ArrayLike = 1.0
    effort_cost: ArrayLike = 1.0
    outside_option: ArrayLike = 0.4
    exit_noise: ArrayLike = 0.1
    exit_cost: ArrayLike = 2.0
    burden_weight: ArrayLike = 0.5
    reassurance_cost: ArrayLike = 0.05
    retrench: ArrayLike = 0.4
    credibility: ArrayLike = 0.6
    baseline_belief: ArrayLike = 0.3
    troops: ArrayLike = 0.3
    conditional: ArrayLike = False

    def __post_init__(self) -> None:
        values: dict[str, np.ndarray] = {}
        for name in PRIMITIVE_NAMES:
            raw = getattr(self, name)
            try:
                x = np.asarray(raw, dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise TheoryError(f"primitive '{name}' must be numeric; got {raw!r}") from err
            _check(_INFO[name], x)
            values[name] = x
        cond = np.asarray(self.conditional)
        if cond.dtype != np.bool_ and not np.all(np.isin(cond, (0, 1))):
            raise TheoryError(f"primitive 'conditional' must be True/False (or 0/1); got {cond!r}")
        values["conditional"] = cond.astype(bool)
        try:
            arrays = np.broadcast_arrays(*values.values())
        except ValueError as err:
            raise TheoryError(f"primitive shapes do not broadcast: "
                              f"{ {k: v.shape for k, v in values.items()} }") from err
        for name, arr in zip(values, arrays, strict=True):
            arr = np.array(arr)  # own, contiguous, writeable copy ...
            arr.setflags(write=False)  # ... then frozen like the dataclass
            object.__setattr__(self, name, arr)

    @property
    def shape(self) -> tuple[int, ...]:
        """Common shape of the primitives."""
        return np.shape(self.threat)

    def replace(self, **changes: ArrayLike) -> Primitives:
        """A copy with some primitives changed (validated again)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise TheoryError(f"unknown primitive(s) {sorted(unknown)}; "
                              f"known: {', '.join(PRIMITIVE_NAMES)}, conditional")
        return Primitives(**{**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, np.ndarray]:
        """Mapping name -> array (``conditional`` included)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __getitem__(self, index: Any) -> Primitives:
        """Primitives at ``index`` (NumPy indexing of every field)."""
        return Primitives(**{k: v[index] for k, v in self.to_dict().items()})

    @classmethod
    def from_mapping(cls, values: Mapping[str, ArrayLike]) -> Primitives:
        """Build from a mapping, naming any unknown key."""
        return cls().replace(**dict(values))
