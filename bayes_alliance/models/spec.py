"""Declarative model specs (``models/*.toml``): loading and validation.

A spec names the outcomes (column, likelihood family, terms), how covariates
are transformed, the ally and year effects and the default prior set. Terms are
panel columns, interactions ``a:b`` and the latent reassurance intensity
``reassurance`` (optionally interacted, e.g. ``reassurance:retrench``). The named
covariates (:data:`~bayes_alliance.data.panel.COVARIATES`) keep their meaning;
any other numeric column of the panel may enter a term too, with the identity
transform unless ``[covariates]`` names another. Keys and families are checked
against closed registries when the spec is read, columns against the panel
(:func:`check_terms_against_panel`); anything unknown raises
:class:`~bayes_alliance.errors.SpecError` listing what is valid. The top-level
key ``all_covariates = true`` puts every covariate in every equation
(:mod:`bayes_alliance.models.coverage`): no exclusion restriction is left;
``latent_innovations = "term"`` or ``"year"`` gives the latent intensity
ally-by-period innovations (:mod:`bayes_alliance.models.time_structure`);
``latent_entry = "within"`` lets only the latent intensity's movement within an
ally enter the other equations (:mod:`bayes_alliance.models.joint`).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.data.panel import ALL_COVARIATES, Panel
from bayes_alliance.errors import SpecError
from bayes_alliance.models.coverage import all_covariate_terms, with_terms
from bayes_alliance.models.families import FAMILIES, exposure_families, family
from bayes_alliance.resources import read_shipped_toml, shipped_names

TRANSFORMS = ("identity", "log", "log1p")
#: parameters of ``misclassification = true``: the statement classifier's recall and
#: false-positive rate (prior families and variable names)
MISCLASSIFICATION_PARAMETERS = ("recall", "false_positive")
YEAR_EFFECT_KINDS = ("none", "iid", "period")
#: ``latent_innovations``: none, or one innovation of the latent intensity per ally and
#: US presidential term (4-year blocks from the 1949 inauguration) or per ally and year
#: (:mod:`bayes_alliance.models.time_structure`)
INNOVATION_KINDS = ("none", "term", "year")
#: ``latent_entry``: how the latent intensity enters the other equations: all of it
#: ("total") or its deviation from the ally's mean ("within"; bayes_alliance.models.joint)
LATENT_ENTRIES = ("total", "within")
LATENT = "reassurance"

_TOP_KEYS = {"schema_version", "name", "description", "priors", "covariates", "ally_effects",
             "year_effects", "outcomes", "latent_outcome", "all_covariates", "indicators",
             "misclassification", "latent_innovations", "latent_entry"}
_OUTCOME_KEYS = {"name", "column", "family", "exposure", "terms", "optional", "ar1",
                 "group_effects"}
_INDICATOR_KEYS = {"name", "column", "family", "exposure", "anchor"}
_ALLY_KEYS = {"correlated", "lkj_eta", "centered"}
#: ``centered = "auto"`` centres the ally effects when, for every count or
#: continuous outcome, the median ally has at least this many observed rows.
#: Measured: at 18 rows per ally (SBC panels) the centred form diverged in 198 of
#: 200 fits while the non-centred one was calibrated; on the default panel (60
#: rows per ally) the non-centred form left the ally sd of ``milex`` with ESS 15
#: in 600 draws and the centred one gave 750; on the real panel (5 reassurance
#: rows per ally) the centred form had BFMI 0.19 and R-hat 1.19, the non-centred
#: one neither problem.
AUTO_CENTER_MIN_ROWS = 30
_YEAR_KEYS = {"kind", "breaks"}


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome equation."""

    name: str
    column: str
    family: str
    terms: tuple[str, ...]
    exposure: str | None = None
    optional: bool = False
    ar1: bool = False  # AR(1) error (continuous families; bayes_alliance.models.time_structure)
    group_effects: str | None = None  # label column whose levels get random intercepts

    @property
    def covariate_terms(self) -> tuple[str, ...]:
        """Terms built from panel covariates only."""
        return tuple(t for t in self.terms if LATENT not in t.split(":"))

    @property
    def latent_terms(self) -> tuple[str, ...]:
        """Terms that involve the latent reassurance intensity."""
        return tuple(t for t in self.terms if LATENT in t.split(":"))


@dataclass(frozen=True)
class IndicatorSpec:
    r"""One further indicator of the latent reassurance intensity (measurement model).

    Its linear predictor is :math:`\alpha_j + \lambda_j \tilde\eta_R`; an
    ``anchor`` indicator's loading is positive by construction
    (:mod:`bayes_alliance.models.measurement`).
    """

    name: str
    column: str
    family: str
    exposure: str | None = None
    anchor: bool = False

    @property
    def loading_family(self) -> str:
        """Prior family (and variable prefix) of the loading: ``anchor_loading`` or ``loading``."""
        return "anchor_loading" if self.anchor else "loading"


@dataclass(frozen=True)
class ModelSpec:
    """A validated model spec."""

    name: str
    description: str
    outcomes: tuple[OutcomeSpec, ...]
    priors: str = "weak"
    transforms: tuple[tuple[str, str], ...] = ()
    correlated: bool = True
    lkj_eta: float = 2.0
    centered: bool | str = "auto"
    year_effects: str = "none"
    latent_outcome: str | None = "reassure"
    year_breaks: tuple[int, ...] = ()  # first years of the 2nd, 3rd, ... period ("period")
    schema_version: int = 1
    indicators: tuple[IndicatorSpec, ...] = ()
    misclassification: bool = False
    latent_innovations: str = "none"  # one of INNOVATION_KINDS
    latent_entry: str = "total"  # one of LATENT_ENTRIES

    @property
    def outcome_names(self) -> tuple[str, ...]:
        """Names of the outcome equations, in order."""
        return tuple(o.name for o in self.outcomes)

    def outcome(self, name: str) -> OutcomeSpec:
        """The outcome equation called ``name``."""
        for o in self.outcomes:
            if o.name == name:
                return o
        raise SpecError(f"spec '{self.name}' has no outcome '{name}'; "
                        f"outcomes: {', '.join(self.outcome_names)}")

    @property
    def period_labels(self) -> tuple[str, ...]:
        """Labels of the periods that ``year_breaks`` cut: ``("-1989", "1990-")`` for [1990]."""
        if not self.year_breaks:
            return ()
        starts = (None, *self.year_breaks)
        ends = (*(b - 1 for b in self.year_breaks), None)
        return tuple(f"{s or ''}-{e or ''}" if s != e else str(s)
                     for s, e in zip(starts, ends, strict=True))

    def transform(self, covariate: str) -> str:
        """Transform applied to ``covariate`` before standardising."""
        return dict(self.transforms).get(covariate, "identity")

    def covariates_used(self) -> tuple[str, ...]:
        """Columns entering any term: named covariates in panel order, then others in order."""
        used = dict.fromkeys(part for o in self.outcomes for t in o.terms
                             for part in t.split(":") if part != LATENT)
        named = (c for c in ALL_COVARIATES if c in used)
        return (*named, *(c for c in used if c not in ALL_COVARIATES))

    @property
    def has_innovations(self) -> bool:
        """Whether the latent intensity has innovations (``latent_innovations`` not "none")."""
        return self.latent_innovations != "none"

    @property
    def within_entry(self) -> bool:
        """Whether only the latent's within-ally movement enters the other equations."""
        return self.latent_entry == "within"

    def within_entry_problem(self) -> str | None:
        r"""Why this spec's within entry is not identified, or None (also without one).

        Without innovations, the latent's within-ally movement is
        :math:`(x_{R,it} - \bar x_{R,i})^\top\beta_R`; an equation that has every one
        of the latent's covariates as its own terms (and its ally effect) fits that
        movement by itself, so its reassurance coefficient would rest on the prior
        alone. Checked when a spec is read and when a model is built (a spec
        derived in code, e.g. with every covariate added, is checked too).
        """
        if not self.within_entry or self.has_innovations or self.latent_outcome is None:
            return None
        own = set(self.outcome(self.latent_outcome).covariate_terms)
        for o in self.outcomes:
            if o.latent_terms and own <= set(o.covariate_terms):
                return (f"with latent_entry = \"within\", outcome '{o.name}' has every "
                        f"covariate of the latent outcome ({', '.join(sorted(own))}) as its own "
                        f"terms, so the latent's within-ally movement is a function of them "
                        f"and its '{LATENT}' coefficient is not identified; drop one of them "
                        f"from '{o.name}' (an exclusion restriction), add latent_innovations, "
                        "or use latent_entry = \"total\"")
        return None

    @property
    def anchors(self) -> tuple[IndicatorSpec, ...]:
        """The indicators whose loadings are positive by construction (none without indicators)."""
        return tuple(i for i in self.indicators if i.anchor)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-serialisable) of the spec.

        The time-structure fields (``year_breaks``, ``ar1``, ``group_effects``),
        the measurement fields (``indicators``, ``misclassification``),
        ``latent_innovations`` and ``latent_entry`` are left out at their defaults, so a
        spec without
        them keeps the dict and the :meth:`hash` it had before they existed.
        """
        d = asdict(self)
        if not d["year_breaks"]:
            del d["year_breaks"]
        for o in d["outcomes"]:
            for key, default in (("ar1", False), ("group_effects", None)):
                if o[key] == default:
                    del o[key]
        if not self.indicators:
            del d["indicators"]
        if not self.misclassification:
            del d["misclassification"]
        if not self.has_innovations:
            del d["latent_innovations"]
        if not self.within_entry:
            del d["latent_entry"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["outcomes"] = tuple(OutcomeSpec(**{**o, "terms": tuple(o["terms"])})
                              for o in d["outcomes"])
        d["transforms"] = tuple(tuple(t) for t in d["transforms"])
        d["year_breaks"] = tuple(d.get("year_breaks", ()))
        d["indicators"] = tuple(IndicatorSpec(**i) for i in d.get("indicators", ()))
        return cls(**d)

    def hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the canonical JSON of the spec."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def centering_for(self, panel: Panel) -> ModelSpec:
        r"""Resolve ``centered = "auto"`` for ``panel`` (other values pass through).

        Hierarchical centring (ally intercepts :math:`a_i \sim \mathrm{MVN}(\alpha,
        \Sigma)`) mixes well when each ally's rows pin its effect down, the non-centred
        form (:math:`u_i = L z_i`) when they do not. ``"auto"`` centres when
        :math:`\min_k \operatorname{median}_i n_{ik} \ge` :data:`AUTO_CENTER_MIN_ROWS`,
        with :math:`n_{ik}` the observed rows of ally :math:`i` in outcome :math:`k`,
        over the count and continuous outcomes (a binary row says little about an
        ally's effect, so outcomes of a ``binary`` family are not counted).
        """
        if self.centered != "auto":
            return self
        frame = panel.frame
        informative = [o.column for o in self.outcomes if family(o.family).kind != "binary"]
        if not informative or not all(c in frame for c in informative):
            rows = float(frame.groupby("ally", observed=True).size().median())
        else:
            observed = frame[informative].notna().groupby(frame["ally"], observed=True).sum()
            rows = float(observed.median().min())
        return replace(self, centered=bool(rows >= AUTO_CENTER_MIN_ROWS))

    def with_added_terms(self, added: Mapping[str, Sequence[str]]) -> ModelSpec:
        """The spec with ``{outcome: terms}`` added as covariate terms (before latent terms)."""
        return _replace_outcomes(self, tuple(
            replace(o, terms=with_terms(o.terms, added.get(o.name, ()), LATENT))
            for o in self.outcomes))

    def with_all_covariates(self) -> ModelSpec:
        """The spec with every covariate in every equation (key ``all_covariates = true``).

        See :func:`bayes_alliance.models.coverage.all_covariate_terms`.
        """
        terms = all_covariate_terms({o.name: o.terms for o in self.outcomes},
                                    self.latent_outcome, LATENT)
        return _replace_outcomes(self, tuple(replace(o, terms=terms[o.name])
                                             for o in self.outcomes))

    def restricted_to(self, panel: Panel) -> ModelSpec:
        """Drop optional outcomes whose column has no data in ``panel``."""
        kept = tuple(o for o in self.outcomes if not o.optional or panel.has(o.column))
        return _replace_outcomes(self, kept)


def _replace_outcomes(spec: ModelSpec, outcomes: tuple[OutcomeSpec, ...]) -> ModelSpec:
    return replace(spec, outcomes=outcomes)


def _unknown(kind: str, keys: set[str] | list[str], valid: set[str] | tuple[str, ...],
             where: str) -> None:
    bad = sorted(str(k) for k in set(keys) - set(valid))
    if bad:
        hints = []
        for b in bad:
            close = difflib.get_close_matches(b, list(valid), n=1)
            hints.append(f"'{b}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise SpecError(f"{where}: unknown {kind} {', '.join(hints)}; "
                        f"valid: {', '.join(sorted(valid))}")


def available_specs() -> list[str]:
    """Names of the specs shipped in ``models/``."""
    return shipped_names()


def load_spec(spec: str | os.PathLike[str] | ModelSpec | dict) -> ModelSpec:
    """Load a spec by shipped name (``"joint"``), path, dict, or pass one through.

    Raises
    ------
    SpecError
        For unreadable TOML, unknown keys, families, transforms, or terms.
    """
    if isinstance(spec, ModelSpec):
        return spec
    if isinstance(spec, dict):
        return parse_spec(spec, where="spec")
    raw, path = read_shipped_toml(spec, (), kind="spec", error=SpecError)
    return parse_spec(raw, where=str(path.name))


def _centering(value: Any, where: str) -> bool | str:
    if value == "auto" or isinstance(value, bool):
        return value
    raise SpecError(f"{where} [ally_effects]: centered must be true, false or \"auto\", "
                    f"got {value!r}")


def _term_parts(term: str) -> list[str]:
    return [p.strip() for p in term.split(":")]


def is_finite_number(value: Any) -> bool:
    """Whether ``value`` is an int or float (not a bool) with a finite float value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False


def _typed(value: Any, types: Any, what: str, where: str, example: str) -> Any:
    """``value`` if it is an instance of ``types`` (never a bool for numbers), else SpecError."""
    if not isinstance(value, types) or (isinstance(value, bool) and types is not bool):
        raise SpecError(f"{where}: {what} must be {example}, got {value!r}")
    return value


def _text(value: Any, what: str, where: str) -> str:
    _typed(value, str, what, where, "a string")
    if not value.strip():
        raise SpecError(f"{where}: {what} must be a non-empty string, got {value!r}")
    return value


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    return _typed(raw.get(key, {}), dict, f"[{key}]", where, "a table of key = value")


def _parse_outcome(o: Any, here: str) -> OutcomeSpec:
    _typed(o, dict, "an outcome", here, "a table with name, column, family and terms")
    _unknown("key", set(o), _OUTCOME_KEYS, here)
    for key in ("name", "column", "family", "terms"):
        if key not in o:
            raise SpecError(f"{here}: missing required key '{key}'")
    name = _text(o["name"], "'name'", here)
    column = _text(o["column"], "'column'", here)
    fam, exposure = _family_and_exposure(o, here)
    terms = _typed(o["terms"], list, "'terms'", here,
                   "a list of term strings, e.g. [\"threat\", \"threat:retrench\"]")
    parsed: list[str] = []
    for term in terms:
        _typed(term, str, "each of 'terms'", here, "a string such as 'threat:retrench'")
        if not all(_term_parts(term)):
            raise SpecError(f"{here}: term '{term}' has an empty part; write a column "
                            "name or an interaction such as 'threat:retrench'")
        norm = ":".join(_term_parts(term))
        if norm in parsed:
            raise SpecError(f"{here}: term '{norm}' is listed twice in 'terms'")
        parsed.append(norm)
    optional = _typed(o.get("optional", False), bool, "'optional'", here, "true or false")
    ar1 = _typed(o.get("ar1", False), bool, "'ar1'", here, "true or false")
    if ar1 and FAMILIES[fam].kind != "continuous":
        continuous = [n for n, f in FAMILIES.items() if f.kind == "continuous"]
        raise SpecError(f"{here}: 'ar1' (an AR(1) error) needs a continuous family "
                        f"({', '.join(continuous)}), not '{fam}'; drop 'ar1' or change the "
                        "family")
    groups = o.get("group_effects")
    if groups is not None:
        _text(groups, "'group_effects' (a label column of the panel, e.g. \"war\")", here)
    return OutcomeSpec(name=name, column=column, family=fam, terms=tuple(parsed),
                       exposure=exposure, optional=optional, ar1=ar1, group_effects=groups)


def _family_and_exposure(o: dict[str, Any], here: str) -> tuple[str, str | None]:
    fam = _text(o["family"], "'family'", here)
    if fam not in FAMILIES:
        _unknown("family", {fam}, tuple(FAMILIES), here)
    exposure = o.get("exposure")
    if exposure is not None:
        _text(exposure, "'exposure'", here)
        if not FAMILIES[fam].uses_exposure:
            raise SpecError(f"{here}: 'exposure' only applies to the families "
                            f"{', '.join(exposure_families())}")
    return fam, exposure


def _parse_indicators(raw: Any, where: str, outcome_names: list[str],
                      latent: str | None) -> tuple[IndicatorSpec, ...]:
    """The ``[[indicators]]`` tables: at least one anchor, names unique and not outcomes."""
    rows = _typed(raw, list, "'indicators'", where, "an array of [[indicators]] tables")
    if not rows:
        return ()
    if latent is None:
        raise SpecError(f"{where}: [[indicators]] measure the latent reassurance intensity, "
                        "but 'latent_outcome' is not an outcome of the spec; add it or drop "
                        "the indicators")
    out = []
    for i, row in enumerate(rows):
        here = f"{where} [[indicators]] #{i + 1}"
        _typed(row, dict, "an indicator", here, "a table with name, column and family")
        _unknown("key", set(row), _INDICATOR_KEYS, here)
        for key in ("name", "column", "family"):
            if key not in row:
                raise SpecError(f"{here}: missing required key '{key}'")
        fam, exposure = _family_and_exposure(row, here)
        out.append(IndicatorSpec(
            name=_text(row["name"], "'name'", here), column=_text(row["column"], "'column'", here),
            family=fam, exposure=exposure,
            anchor=_typed(row.get("anchor", False), bool, "'anchor'", here, "true or false")))
    names = [i.name for i in out]
    clash = sorted(set(names) & set(outcome_names))
    if len(set(names)) != len(names) or clash:
        raise SpecError(f"{where}: [[indicators]] names must be unique and differ from the "
                        f"outcome names; got {names} (outcomes: {', '.join(outcome_names)})")
    if not any(i.anchor for i in out):
        raise SpecError(f"{where}: at least one of the [[indicators]] must set 'anchor = true' "
                        "(its loading is positive, which fixes the sign of the latent "
                        "intensity); set it on the indicator that measures reassurance most "
                        "surely")
    return tuple(out)


def parse_spec(raw: dict[str, Any], *, where: str) -> ModelSpec:
    """Validate a raw TOML mapping and build a :class:`ModelSpec`.

    Raises
    ------
    SpecError
        For any key, type or value outside the spec format, naming the key.
    """
    _typed(raw, dict, "a spec", where, "a table (dict) of spec keys")
    _unknown("key", set(raw), _TOP_KEYS, where)
    for key in ("name", "outcomes"):
        if key not in raw:
            raise SpecError(f"{where}: missing required key '{key}'")
    version = raw.get("schema_version", 1)
    if type(version) is not int or version != 1:
        raise SpecError(f"{where}: schema_version {version!r} is not supported (use 1)")
    transforms = _table(raw, "covariates", where)
    for cov, tr in transforms.items():
        _text(cov, "each key of [covariates]", where)
        if tr not in TRANSFORMS:
            raise SpecError(f"{where} [covariates]: transform {tr!r} of '{cov}' is unknown; "
                            f"valid: {', '.join(TRANSFORMS)}")
    ally = _table(raw, "ally_effects", where)
    _unknown("key", set(ally), _ALLY_KEYS, f"{where} [ally_effects]")
    correlated = _typed(ally.get("correlated", True), bool, "correlated",
                        f"{where} [ally_effects]", "true or false")
    lkj_eta = ally.get("lkj_eta", 2.0)
    if not (is_finite_number(lkj_eta) and lkj_eta > 0):
        raise SpecError(f"{where} [ally_effects]: lkj_eta must be a finite number > 0, "
                        f"got {lkj_eta!r}")
    year = _table(raw, "year_effects", where)
    _unknown("key", set(year), _YEAR_KEYS, f"{where} [year_effects]")
    kind = year.get("kind", "none")
    if kind not in YEAR_EFFECT_KINDS:
        raise SpecError(f"{where} [year_effects]: kind {kind!r} is unknown; "
                        f"valid: {', '.join(YEAR_EFFECT_KINDS)}")
    breaks = _breaks(year, kind, f"{where} [year_effects]")
    rows = _typed(raw["outcomes"], list, "'outcomes'", where,
                  "a non-empty array of [[outcomes]] tables")
    if not rows:
        raise SpecError(f"{where}: 'outcomes' is empty; add at least one [[outcomes]] table")
    outcomes = [_parse_outcome(o, f"{where} [[outcomes]] #{i + 1}") for i, o in enumerate(rows)]
    names = [o.name for o in outcomes]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}: outcome names must be unique, got {names}")
    latent = _text(raw.get("latent_outcome", "reassure"), "'latent_outcome'", where)
    uses_latent = any(o.latent_terms for o in outcomes)
    if uses_latent:
        if latent not in names:
            raise SpecError(f"{where}: terms use '{LATENT}' but the latent outcome '{latent}' is "
                            f"not an outcome; outcomes: {', '.join(names)}")
        lat = outcomes[names.index(latent)]
        if lat.latent_terms:
            raise SpecError(f"{where}: the latent outcome '{latent}' cannot use '{LATENT}' terms")
    every = _typed(raw.get("all_covariates", False), bool, "'all_covariates'", where,
                   "true or false")
    misclassification = _typed(raw.get("misclassification", False), bool, "'misclassification'",
                               where, "true or false")
    if misclassification and (latent not in names
                              or outcomes[names.index(latent)].exposure is None):
        raise SpecError(f"{where}: 'misclassification = true' models the classifier's errors in "
                        f"the latent outcome's counts per sentence; the latent outcome "
                        f"'{latent}' must be an outcome with an 'exposure'")
    spec = ModelSpec(
        name=_text(raw["name"], "'name'", where),
        description=_typed(raw.get("description", ""), str, "'description'", where,
                           "a string").strip(),
        outcomes=tuple(outcomes), priors=_text(raw.get("priors", "weak"), "'priors'", where),
        transforms=tuple(sorted(transforms.items())),
        correlated=correlated, lkj_eta=float(lkj_eta),
        centered=_centering(ally.get("centered", "auto"), where),
        year_effects=kind, latent_outcome=latent if latent in names else None,
        year_breaks=breaks,
        indicators=_parse_indicators(raw.get("indicators", []), where, names,
                                     latent if latent in names else None),
        misclassification=misclassification,
        latent_innovations=_innovations(raw.get("latent_innovations", "none"), where,
                                        latent if latent in names else None),
        latent_entry=_entry(raw.get("latent_entry", "total"), where, uses_latent),
    )
    spec = spec.with_all_covariates() if every else spec
    problem = spec.within_entry_problem()
    if problem:
        raise SpecError(f"{where}: {problem}")
    return spec


def _innovations(value: Any, where: str, latent: str | None) -> str:
    """``latent_innovations``: one of :data:`INNOVATION_KINDS`; any but none needs the latent."""
    if value not in INNOVATION_KINDS:
        raise SpecError(f"{where}: latent_innovations {value!r} is unknown; valid: "
                        f"{', '.join(INNOVATION_KINDS)}")
    if value != "none" and latent is None:
        raise SpecError(f"{where}: latent_innovations = {value!r} gives the latent reassurance "
                        "intensity ally-by-period innovations, but 'latent_outcome' is not an "
                        "outcome of the spec; add it or drop latent_innovations")
    return value


def _entry(value: Any, where: str, uses_latent: bool) -> str:
    """``latent_entry``: one of :data:`LATENT_ENTRIES`; "within" needs a latent term."""
    if value not in LATENT_ENTRIES:
        raise SpecError(f"{where}: latent_entry {value!r} is unknown; valid: "
                        f"{', '.join(LATENT_ENTRIES)}")
    if value == "within" and not uses_latent:
        raise SpecError(f"{where}: latent_entry = \"within\" says how the latent intensity "
                        f"enters other equations, but no outcome has a '{LATENT}' term; add one "
                        "or drop latent_entry")
    return value


def _breaks(year: dict[str, Any], kind: str, where: str) -> tuple[int, ...]:
    """The ``breaks`` of ``kind = "period"``: increasing years, each the first of a period."""
    if kind != "period":
        if "breaks" in year:
            raise SpecError(f"{where}: 'breaks' only applies to kind = \"period\", "
                            f"not {kind!r}; drop it or set kind = \"period\"")
        return ()
    example = "a non-empty list of increasing years, e.g. breaks = [1990]"
    breaks = _typed(year.get("breaks"), list, "'breaks'", where, example)
    if not breaks or not all(type(b) is int for b in breaks):
        raise SpecError(f"{where}: 'breaks' must be {example}, got {breaks!r}")
    if any(b >= c for b, c in zip(breaks, breaks[1:], strict=False)):
        raise SpecError(f"{where}: 'breaks' must be strictly increasing, got {breaks!r}")
    return tuple(breaks)


def check_terms_against_panel(spec: ModelSpec, panel: Panel) -> None:
    """Check that every column a term uses is a numeric, complete column of the panel.

    Raises
    ------
    SpecError
        Naming the column, and the numeric columns that could be used instead.
    """
    frame = panel.frame
    outcome_columns = {o.column for o in spec.outcomes}
    numeric = [c for c in frame.columns if c not in ("ally", "ccode", *outcome_columns)
               and pd.api.types.is_numeric_dtype(frame[c])]
    for cov in spec.covariates_used():
        if cov in outcome_columns:
            raise SpecError(f"term column '{cov}' is an outcome of spec '{spec.name}'; an "
                            "outcome cannot be a predictor")
        if cov not in frame:
            close = difflib.get_close_matches(cov, numeric, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SpecError(f"term column '{cov}' is not in the panel{hint}; numeric columns: "
                            f"{', '.join(numeric)}")
        if cov not in numeric:
            raise SpecError(f"term column '{cov}' is not numeric (dtype {frame[cov].dtype}); "
                            f"a predictor must be a numeric column: {', '.join(numeric)}")
        missing = frame[cov].isna().to_numpy()
        if missing.any():
            rows = ", ".join(str(i) for i in np.flatnonzero(missing)[:5])
            raise SpecError(f"term column '{cov}' has {int(missing.sum())} missing value(s) "
                            f"(row index {rows}); fill them or drop those rows")


def check_spec_against_panel(spec: ModelSpec, panel: Panel) -> None:
    """Check that every outcome column exists and fits its family.

    Raises
    ------
    SpecError
        Naming the outcome, the column and what would fit.
    """
    frame = panel.frame
    equations = [("outcome", o) for o in spec.outcomes]
    equations += [("indicator", i) for i in spec.indicators]
    for kind, o in equations:
        if o.column not in frame:
            outcome_cols = [c for c in frame.columns if c not in ("ally", "ccode", "year")]
            raise SpecError(f"{kind} '{o.name}': column '{o.column}' is not in the panel; "
                            f"columns: {', '.join(outcome_cols)}")
        col = frame[o.column].dropna()
        if col.empty:
            fix = "mark the outcome `optional = true` or " if kind == "outcome" else ""
            raise SpecError(f"{kind} '{o.name}': column '{o.column}' has no observed values; "
                            f"{fix}drop it from the spec")
        fam = family(o.family)
        if not fam.accepts(col):
            fitting = [n for n, f in FAMILIES.items() if f.accepts(col)] or ["none"]
            raise SpecError(f"{kind} '{o.name}': family '{o.family}' needs {fam.support} "
                            f"values but column '{o.column}' has others; families that fit "
                            f"it: {', '.join(fitting)}")
        if o.exposure is not None and o.exposure not in frame:
            raise SpecError(f"{kind} '{o.name}': exposure column '{o.exposure}' is not in the "
                            "panel")
        if kind == "outcome" and o.group_effects is not None:
            _check_groups(o, frame)


def _check_groups(o: OutcomeSpec, frame: pd.DataFrame) -> None:
    """``group_effects`` names a panel column with >= 2 levels on the outcome's rows."""
    if o.group_effects not in frame:
        raise SpecError(f"outcome '{o.name}': group_effects column '{o.group_effects}' is not "
                        "in the panel; the real panel's 'war' column labels the US-led war "
                        "of each intervention year")
    levels = frame.loc[frame[o.column].notna(), o.group_effects].dropna().unique()
    if len(levels) < 2:
        raise SpecError(f"outcome '{o.name}': group_effects column '{o.group_effects}' has "
                        f"{len(levels)} level(s) where '{o.column}' is observed; random "
                        "intercepts need at least 2 groups: drop group_effects")
