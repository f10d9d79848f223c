r"""The strategic model's spec (``models/strategic.toml``): loading and validation.

A strategic spec says, for every numeric primitive of the game
(:data:`~bayes_alliance.theory.primitives.PRIMITIVE_NAMES`), either that it is
**fixed** (``[fixed]``: a number, which sets a scale or location the game
leaves free) or **linked** to the panel (``[primitives.<name>]``: a regression
on standardised covariates, with an optional ally random effect, on the link
scale of the primitive's declared prior,
:class:`~bayes_alliance.theory.population.PrimitivePrior`); each **outcome**
(``[[outcomes]]``) measures one equilibrium quantity of the patron's quantal
response (:data:`~bayes_alliance.theory.game.QRE_OUTCOMES`). Everything is
checked when the file is read; a problem raises
:class:`~bayes_alliance.errors.SpecError` naming the key and what is valid.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from typing import Any

from bayes_alliance.errors import SpecError, TheoryError
from bayes_alliance.models.families import FAMILIES, family
from bayes_alliance.models.names import Cell
from bayes_alliance.models.priors import Prior, PriorSet, _parse_prior
from bayes_alliance.models.spec import TRANSFORMS, is_finite_number
from bayes_alliance.resources import read_shipped_toml
from bayes_alliance.theory.game import QRE_OUTCOMES, QRE_POINTS
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES, Primitives

#: the ``kind`` that marks a spec file as strategic (other specs have no ``kind``)
KIND = "strategic"
#: outcome families the strategic model measures equilibrium quantities with
STRATEGIC_FAMILIES = ("negative_binomial", "poisson", "lognormal", "bernoulli")
#: equilibrium quantities that are probabilities: a Bernoulli outcome measures them directly
PROBABILITIES = ("exit", "participation")
#: prior selectors of a strategic spec (``[priors]``) and the distributions each may take
PRIOR_SELECTORS: dict[str, tuple[str, ...]] = {
    "slope": ("Normal",),  # covariate slopes of the primitives' regressions
    "sd_ally": ("HalfNormal", "Exponential", "Gamma"),  # sd of a primitive's ally effect
    "log_rationality": ("Normal",),  # log of the patron's rationality beta
    "measure_intercept": ("Normal",),  # alpha of a linear measurement
    "measure_slope": ("HalfNormal", "Exponential", "Gamma"),  # gamma > 0 of a linear measurement
    "sigma": ("HalfNormal", "Exponential", "Gamma"),  # sd of log spending
    "phi": ("Gamma", "Exponential", "HalfNormal"),  # negative binomial dispersion
}
_TOP_KEYS = {"schema_version", "kind", "name", "description", "covariates", "equilibrium",
             "fixed", "primitives", "outcomes", "priors"}
_LINK_KEYS = {"terms", "ally_effect"}
_OUTCOME_KEYS = {"name", "column", "family", "quantity", "exposure"}
_EQ_KEYS = {"grid_points"}


@dataclass(frozen=True)
class PrimitiveLink:
    """A primitive linked to covariates: ``g^{-1}(a + z'b + u_ally)``."""

    name: str
    terms: tuple[str, ...]
    ally_effect: bool

    @property
    def covariate_terms(self) -> tuple[str, ...]:
        """The regression's terms (what ``design.covariate_matrix`` reads)."""
        return self.terms


@dataclass(frozen=True)
class StrategicOutcome:
    """An observed outcome measuring one equilibrium quantity."""

    name: str
    column: str
    family: str
    quantity: str
    exposure: str | None = None

    @property
    def direct(self) -> bool:
        """Whether the outcome is the probability itself (a Bernoulli of exit or participation)."""
        return self.family == "bernoulli"


@dataclass(frozen=True)
class StrategicSpec:
    """A validated strategic spec (see the module docstring)."""

    name: str
    description: str
    fixed: tuple[tuple[str, float], ...]
    links: tuple[PrimitiveLink, ...]
    outcomes: tuple[StrategicOutcome, ...]
    priors: tuple[tuple[str, Prior], ...]
    transforms: tuple[tuple[str, str], ...] = ()
    grid_points: int = QRE_POINTS
    schema_version: int = 1

    @property
    def outcome_names(self) -> tuple[str, ...]:
        """Names of the outcomes, in order."""
        return tuple(o.name for o in self.outcomes)

    def outcome(self, name: str) -> StrategicOutcome:
        """The outcome called ``name`` (as :meth:`bayes_alliance.models.spec.ModelSpec.outcome`)."""
        for o in self.outcomes:
            if o.name == name:
                return o
        raise SpecError(f"spec '{self.name}' has no outcome '{name}'; "
                        f"outcomes: {', '.join(self.outcome_names)}")

    def transform(self, covariate: str) -> str:
        """Transform applied to ``covariate`` before standardising."""
        return dict(self.transforms).get(covariate, "identity")

    def covariates_used(self) -> tuple[str, ...]:
        """Covariates entering any primitive's regression, in first-use order."""
        return tuple(dict.fromkeys(p for link in self.links for t in link.terms
                                   for p in t.split(":")))

    def prior(self, selector: str) -> Prior:
        """The prior of ``selector`` (one of :data:`PRIOR_SELECTORS`)."""
        return dict(self.priors)[selector]

    def prior_set(self) -> PriorSet:
        """The spec's priors as a :class:`PriorSet` (provenance of a fit)."""
        return PriorSet(name=self.name, description=f"priors of strategic spec '{self.name}'",
                        priors=self.priors)

    def readable_cells(self) -> list[Cell]:
        """Every population-level scalar parameter with its readable name.

        ``a[threat]`` (intercept of a linked primitive), ``b[threat, threat]``
        (its slope on a term), ``sd_ally[threat]``, ``log_rationality``,
        ``alpha[milex]`` and ``gamma[milex]`` (a measurement's location and
        scale) and the families' own (``sigma[milex]``, ``phi[reassure]``).
        """
        cells = [Cell(f"a[{x.name}]", f"a_{x.name}") for x in self.links]
        cells += [Cell(f"b[{x.name}, {t}]", f"b_{x.name}", ((f"term_{x.name}", t),))
                  for x in self.links for t in x.terms]
        cells += [Cell(f"sd_ally[{x.name}]", f"sd_{x.name}") for x in self.links if x.ally_effect]
        cells.append(Cell("log_rationality", "log_rationality"))
        for o in self.outcomes:
            if not o.direct:
                cells += [Cell(f"alpha[{o.name}]", f"alpha_{o.name}"),
                          Cell(f"gamma[{o.name}]", f"gamma_{o.name}")]
            cells += [Cell(aux.readable(o.name), aux.variable(o.name))
                      for aux in family(o.family).aux]
        return cells

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable) of the spec."""
        d = asdict(self)
        d["priors"] = {k: p.to_dict() for k, p in self.priors}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StrategicSpec:
        """Inverse of :meth:`to_dict` (a saved fit's spec)."""
        d = dict(d)
        d["fixed"] = tuple((str(k), float(v)) for k, v in d["fixed"])
        d["links"] = tuple(PrimitiveLink(x["name"], tuple(x["terms"]), x["ally_effect"])
                           for x in d["links"])
        d["outcomes"] = tuple(StrategicOutcome(**o) for o in d["outcomes"])
        d["priors"] = tuple((k, _parse_prior(k, v, "saved strategic spec"))
                            for k, v in d["priors"].items())
        d["transforms"] = tuple(tuple(t) for t in d["transforms"])
        return cls(**d)

    def hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the canonical JSON of the spec."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def is_strategic(spec: Any) -> bool:
    """Whether ``spec`` (a name, path, mapping or spec object) is a strategic spec."""
    if isinstance(spec, StrategicSpec):
        return True
    if isinstance(spec, dict):
        return spec.get("kind") == KIND
    if isinstance(spec, str | os.PathLike):
        try:
            raw, _ = read_shipped_toml(spec, (), kind="spec", error=SpecError)
        except SpecError:
            return False  # the ordinary loader reports it
        return raw.get("kind") == KIND
    return False


def load_strategic_spec(spec: str | os.PathLike[str] | dict | StrategicSpec) -> StrategicSpec:
    """Load a strategic spec by shipped name (``"strategic"``), path or mapping.

    Raises
    ------
    SpecError
        For unreadable TOML or any key, type or value outside the format.
    """
    if isinstance(spec, StrategicSpec):
        return spec
    if isinstance(spec, dict):
        return parse_strategic_spec(spec, where="spec")
    raw, path = read_shipped_toml(spec, (), kind="spec", error=SpecError)
    return parse_strategic_spec(raw, where=path.name)


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise SpecError(f"{where}: [{key}] must be a table of key = value, got {value!r}")
    return value


def _unknown(keys: Any, valid: Any, where: str) -> None:
    bad = sorted(str(k) for k in set(keys) - set(valid))
    if bad:
        raise SpecError(f"{where}: unknown key(s) {', '.join(bad)}; valid: "
                        f"{', '.join(sorted(valid))}")


def _fixed(raw: dict[str, Any], where: str) -> dict[str, float]:
    out = {}
    for name, value in _table(raw, "fixed", where).items():
        if name not in PRIMITIVE_NAMES:
            raise SpecError(f"{where} [fixed]: '{name}' is not a primitive; primitives: "
                            f"{', '.join(PRIMITIVE_NAMES)}")
        if not is_finite_number(value):
            raise SpecError(f"{where} [fixed]: '{name}' must be a finite number, got {value!r}")
        try:
            Primitives().replace(**{name: float(value)})
        except TheoryError as err:
            raise SpecError(f"{where} [fixed]: {err}") from err
        out[name] = float(value)
    return out


def _links(raw: dict[str, Any], where: str) -> list[PrimitiveLink]:
    links = []
    for name, table in _table(raw, "primitives", where).items():
        here = f"{where} [primitives.{name}]"
        if name not in PRIMITIVE_NAMES:
            raise SpecError(f"{here}: '{name}' is not a primitive; primitives: "
                            f"{', '.join(PRIMITIVE_NAMES)}")
        if not isinstance(table, dict):
            raise SpecError(f"{here}: must be a table with 'terms' and 'ally_effect'")
        _unknown(table, _LINK_KEYS, here)
        terms = table.get("terms", [])
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip()
                                                  for t in terms):
            raise SpecError(f"{here}: 'terms' must be a list of covariate names or "
                            f"interactions such as \"threat:retrench\", got {terms!r}")
        norm = tuple(":".join(p.strip() for p in t.split(":")) for t in terms)
        if len(set(norm)) != len(norm):
            raise SpecError(f"{here}: a term is listed twice in {list(norm)}")
        ally = table.get("ally_effect", False)
        if not isinstance(ally, bool):
            raise SpecError(f"{here}: 'ally_effect' must be true or false, got {ally!r}")
        links.append(PrimitiveLink(name, norm, ally))
    return links


def _outcome(o: Any, here: str) -> StrategicOutcome:
    if not isinstance(o, dict):
        raise SpecError(f"{here}: must be a table with name, column, family and quantity")
    _unknown(o, _OUTCOME_KEYS, here)
    for key in ("name", "column", "family", "quantity"):
        if not isinstance(o.get(key), str) or not o[key].strip():
            raise SpecError(f"{here}: '{key}' must be a non-empty string, got {o.get(key)!r}")
    if o["family"] not in STRATEGIC_FAMILIES:
        raise SpecError(f"{here}: family '{o['family']}' is not available to the strategic "
                        f"model; valid: {', '.join(STRATEGIC_FAMILIES)}")
    if o["quantity"] not in QRE_OUTCOMES:
        raise SpecError(f"{here}: quantity '{o['quantity']}' is not an equilibrium outcome; "
                        f"valid: {', '.join(QRE_OUTCOMES)}")
    if o["family"] == "bernoulli" and o["quantity"] not in PROBABILITIES:
        raise SpecError(f"{here}: a bernoulli outcome measures a probability directly; "
                        f"quantity must be one of {', '.join(PROBABILITIES)}")
    exposure = o.get("exposure")
    if exposure is not None and not (isinstance(exposure, str) and exposure.strip()):
        raise SpecError(f"{here}: 'exposure' must be a column name, got {exposure!r}")
    if exposure is not None and not FAMILIES[o["family"]].uses_exposure:
        raise SpecError(f"{here}: 'exposure' only applies to count families")
    return StrategicOutcome(o["name"], o["column"], o["family"], o["quantity"], exposure)


def _priors(raw: dict[str, Any], where: str) -> tuple[tuple[str, Prior], ...]:
    table = _table(raw, "priors", where)
    _unknown(table, PRIOR_SELECTORS, f"{where} [priors]")
    missing = sorted(set(PRIOR_SELECTORS) - set(table))
    if missing:
        raise SpecError(f"{where} [priors]: missing prior(s) {', '.join(missing)}")
    out = []
    for selector, allowed in PRIOR_SELECTORS.items():
        prior = _parse_prior(selector, table[selector], f"{where} [priors]")
        if prior.dist not in allowed:
            raise SpecError(f"{where} [priors]: '{selector}' cannot take a {prior.dist} prior; "
                            f"valid: {', '.join(allowed)}")
        out.append((selector, prior))
    return tuple(out)


def parse_strategic_spec(raw: dict[str, Any], *, where: str) -> StrategicSpec:
    """Validate a raw TOML mapping and build a :class:`StrategicSpec`.

    Raises
    ------
    SpecError
        For any key, type or value outside the format, naming the key; when a
        primitive is neither fixed nor linked, or both.
    """
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a spec must be a table of keys")
    _unknown(raw, _TOP_KEYS, where)
    if raw.get("kind") != KIND:
        raise SpecError(f"{where}: kind must be \"{KIND}\", got {raw.get('kind')!r}")
    if raw.get("schema_version", 1) != 1:
        raise SpecError(f"{where}: schema_version {raw['schema_version']!r} is not supported "
                        "(use 1)")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: 'name' must be a non-empty string, got {name!r}")
    transforms = _table(raw, "covariates", where)
    for cov, tr in transforms.items():
        if tr not in TRANSFORMS:
            raise SpecError(f"{where} [covariates]: transform {tr!r} of '{cov}' is unknown; "
                            f"valid: {', '.join(TRANSFORMS)}")
    eq = _table(raw, "equilibrium", where)
    _unknown(eq, _EQ_KEYS, f"{where} [equilibrium]")
    points = eq.get("grid_points", QRE_POINTS)
    if isinstance(points, bool) or not isinstance(points, int) or points < 3:
        raise SpecError(f"{where} [equilibrium]: grid_points must be an integer >= 3, "
                        f"got {points!r}")
    fixed, links = _fixed(raw, where), _links(raw, where)
    both = sorted(set(fixed) & {link.name for link in links})
    if both:
        raise SpecError(f"{where}: primitive '{both[0]}' is both [fixed] and linked in "
                        f"[primitives]; keep one")
    free = [n for n in PRIMITIVE_NAMES if n not in fixed and n not in {x.name for x in links}]
    if free:
        raise SpecError(f"{where}: primitive(s) {', '.join(free)} are neither [fixed] nor "
                        "linked in [primitives]; give each a value or a regression")
    rows = raw.get("outcomes")
    if not isinstance(rows, list) or not rows:
        raise SpecError(f"{where}: 'outcomes' must be a non-empty array of [[outcomes]] tables")
    outcomes = tuple(_outcome(o, f"{where} [[outcomes]] #{i + 1}") for i, o in enumerate(rows))
    names = [o.name for o in outcomes]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: outcome names must be unique, got {names}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"{where}: 'description' must be a string")
    return StrategicSpec(
        name=name, description=description.strip(), fixed=tuple(fixed.items()),
        links=tuple(sorted(links, key=lambda x: PRIMITIVE_NAMES.index(x.name))),
        outcomes=outcomes, priors=_priors(raw, where),
        transforms=tuple(sorted(transforms.items())), grid_points=points)

