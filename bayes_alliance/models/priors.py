"""Prior sets (``models/priors/*.toml``): loading and resolving selectors.

A prior set maps *selectors* to priors::

    "beta"                      = { dist = "Normal", mu = 0.0, sigma = 1.0 }
    "beta[milex]"               = { dist = "Normal", mu = 0.0, sigma = 0.5 }
    "beta[milex, threat]"       = { dist = "Normal", mu = 0.2, sigma = 0.1, source = "H7" }

The most specific selector wins. Parameter families are closed
(:data:`PARAMETERS`: the linear-predictor and ally/year-effect parameters, the
time-structure parameters of :mod:`bayes_alliance.models.time_structure`
(``period[outcome, period]``, ``rho[outcome]`` - a Normal truncated to
:math:`(-1, 1)` -, ``sd_group[outcome]``, ``sd_innovation[latent outcome]``) plus
the auxiliary parameters of the outcome families, ``phi``, ``sigma``, ``nu``,
each indexed by outcome: ``phi`` or ``phi[reassure]``); an unknown family is an
error listing the valid ones.
A family may have a package default (:data:`DEFAULT_PRIORS`), used for a cell
that no selector of the set matches; a set may still name the family to
override it. Defaults exist for families added after the shipped sets: a set
keeps its contents, and so its hash and the fits keyed on it
(:mod:`bayes_alliance.replication`), while it gains a family that its specs do
not use. The resolved prior, with its source, is recorded with every fit.
Cells that name an outcome or term the current spec does not have are kept in
:attr:`ResolvedPriors.unused` (prior sets are shared between specs) and
recorded with the fit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pymc as pm

from bayes_alliance.errors import SpecError
from bayes_alliance.models.families import aux_parameters
from bayes_alliance.models.families import family as outcome_family
from bayes_alliance.models.spec import MISCLASSIFICATION_PARAMETERS, ModelSpec, is_finite_number
from bayes_alliance.resources import read_shipped_toml, shipped_names

#: parameter family -> allowed distributions
PARAMETERS: dict[str, tuple[str, ...]] = {
    "intercept": ("Normal",),
    "beta": ("Normal",),
    "sd_ally": ("HalfNormal", "Exponential", "Gamma"),
    "sd_year": ("HalfNormal", "Exponential", "Gamma"),
    "period": ("Normal",),
    "rho": ("Normal",),
    "sd_group": ("HalfNormal", "Exponential", "Gamma"),
    "sd_innovation": ("HalfNormal", "Exponential", "Gamma"),
    # measurement model (bayes_alliance.models.measurement): free loadings, and the
    # anchor indicator's loading, positive by construction
    "loading": ("Normal",),
    "anchor_loading": ("Gamma", "HalfNormal", "Exponential"),
    # the statement classifier's recall and false-positive rate (misclassification = true)
    "recall": ("Beta",),
    "false_positive": ("Beta",),
    **{name: aux.dists for name, aux in aux_parameters().items()},
}
DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "HalfNormal": ("sigma",),
    "Exponential": ("lam",),
    "Gamma": ("alpha", "beta"),
    "Beta": ("alpha", "beta"),
}
#: prior families named after one outcome before the family registry; runs saved
#: with them still resolve, prior files must use the new names
_RENAMED = {"phi_reassure": "phi", "sigma_milex": "sigma", "nu_milex": "nu"}
_PRIOR_SET_KEYS = ("name", "description", "settings", "priors")
_SELECTOR = re.compile(r"^\s*(?P<family>[a-z_]+)\s*(\[(?P<index>[^\]]*)\])?\s*$")


@dataclass(frozen=True)
class Prior:
    """A distribution name and its parameters."""

    dist: str
    params: tuple[tuple[str, float], ...]
    source: str = ""

    def param(self, name: str) -> float:
        """Value of parameter ``name``."""
        return dict(self.params)[name]

    def to_dict(self) -> dict[str, Any]:
        """TOML/JSON-friendly mapping."""
        d: dict[str, Any] = {"dist": self.dist, **dict(self.params)}
        if self.source:
            d["source"] = self.source
        return d


#: package defaults of families that a prior set need not name (module docstring).
#: sd_innovation: the latent innovations' sd (bayes_alliance.models.time_structure), on the
#: statements' log-rate scale like sd_ally[reassure] (HalfNormal(1) in the weak set): a
#: priori an ally's term-to-term moves of the latent intensity are smaller than the
#: differences between allies, yet up to about one log unit remains plausible.
DEFAULT_PRIORS: dict[str, Prior] = {
    "sd_innovation": Prior("HalfNormal", (("sigma", 0.5),),
                           source="package default (bayes_alliance.models.priors)"),
}


@dataclass(frozen=True)
class PriorSet:
    """A named set of selector -> prior."""

    name: str
    description: str
    priors: tuple[tuple[str, Prior], ...]
    settings: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping for provenance."""
        return {"name": self.name, "description": self.description,
                "settings": dict(self.settings),
                "priors": {k: p.to_dict() for k, p in self.priors}}


@dataclass
class ResolvedPriors:
    """Priors for one spec: family -> per-cell arrays of parameters."""

    prior_set: PriorSet
    cells: dict[str, dict[tuple[str, ...], Prior]] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)

    def arrays(
        self, family: str, index: list[tuple[str, ...]]
    ) -> tuple[str, dict[str, np.ndarray]]:
        """Distribution name and stacked parameter arrays for the cells ``index``."""
        priors = [self.cells[family][i] for i in index]
        dists = {p.dist for p in priors}
        if len(dists) > 1:
            raise SpecError(f"prior set '{self.prior_set.name}': cells of '{family}' mix "
                            f"distributions {sorted(dists)}; one variable takes one family")
        dist = dists.pop()
        return dist, {k: np.array([p.param(k) for p in priors]) for k in DIST_PARAMS[dist]}


def prior_variable(name: str, resolved: ResolvedPriors, family: str,
                   index: list[tuple[str, ...]], dims: str | tuple[str, ...] | None = None, *,
                   dist_only: bool = False) -> Any:
    """The PyMC variable ``name`` with the resolved priors of cells ``index`` of ``family``.

    ``dims=None`` gives a scalar (one cell); ``dist_only`` an unnamed ``.dist``
    of one element per cell (e.g. the sd distribution of an LKJ prior).
    """
    dist, params = resolved.arrays(family, index)
    cls = getattr(pm, dist)
    if dist_only:
        return cls.dist(**params, shape=len(index))
    if dims is None:  # one cell: a scalar parameter
        return cls(name, **{k: float(v[0]) for k, v in params.items()})
    return cls(name, **params, dims=dims)


def available_prior_sets() -> list[str]:
    """Names of the prior sets shipped in ``models/priors/``."""
    return shipped_names("priors")


def _parse_prior(selector: str, value: Any, where: str) -> Prior:
    if not isinstance(value, dict) or "dist" not in value:
        raise SpecError(f"{where}: prior '{selector}' must be a table with 'dist', e.g. "
                        "{ dist = \"Normal\", mu = 0.0, sigma = 1.0 }")
    dist = value["dist"]
    if not isinstance(dist, str) or dist not in DIST_PARAMS:
        raise SpecError(f"{where}: prior '{selector}' has unknown dist {dist!r}; "
                        f"valid: {', '.join(DIST_PARAMS)}")
    expected = set(DIST_PARAMS[dist])
    given = {str(k) for k in value if k not in ("dist", "source")}
    if given != expected:
        raise SpecError(f"{where}: prior '{selector}' ({dist}) needs parameters "
                        f"{sorted(expected)}, got {sorted(given)}")
    params = []
    for k in DIST_PARAMS[dist]:
        v = value[k]
        if not is_finite_number(v):
            raise SpecError(f"{where}: prior '{selector}': {k} must be a finite number, got {v!r}")
        if k != "mu" and v <= 0:
            raise SpecError(f"{where}: prior '{selector}': {k} must be > 0, got {v}")
        params.append((k, float(v)))
    source = value.get("source", "")
    if not isinstance(source, str):
        raise SpecError(f"{where}: prior '{selector}': source must be a string, got {source!r}")
    return Prior(dist=dist, params=tuple(params), source=source)


def load_prior_set(priors: str | os.PathLike[str] | PriorSet | dict[str, Any]) -> PriorSet:
    """Load a prior set by shipped name (weak, theory, skeptical), path or dict.

    A dict has the keys of the TOML file (``name``, ``description``,
    ``settings``, ``priors``); :meth:`PriorSet.to_dict` gives one.

    Raises
    ------
    SpecError
        For an unknown name, unreadable TOML or any malformed key, selector or prior.
    """
    if isinstance(priors, PriorSet):
        return priors
    if isinstance(priors, dict):
        return parse_prior_set(priors, where="prior set", default_name="inline")
    raw, path = read_shipped_toml(priors, ("priors",), kind="prior set", error=SpecError)
    return parse_prior_set(raw, where=path.name, default_name=path.stem)


def parse_prior_set(raw: dict[str, Any], *, where: str, default_name: str) -> PriorSet:
    """Validate a raw TOML mapping of a prior set and build a :class:`PriorSet`."""
    unknown = sorted(str(k) for k in set(raw) - set(_PRIOR_SET_KEYS))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: "
                        f"{', '.join(_PRIOR_SET_KEYS)}")
    if "priors" not in raw or not isinstance(raw["priors"], dict):
        raise SpecError(f"{where}: a prior set needs a [priors] table of selector = prior")
    for key in ("name", "description"):
        if not isinstance(raw.get(key, ""), str):
            raise SpecError(f"{where}: '{key}' must be a string, got {raw[key]!r}")
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise SpecError(f"{where}: [settings] must be a table, got {settings!r}")
    entries = []
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    for selector, value in raw["priors"].items():
        m = _SELECTOR.match(selector) if isinstance(selector, str) else None
        if not m:
            raise SpecError(f"{where}: cannot read selector {selector!r}; write e.g. "
                            "'beta', 'beta[milex]' or 'beta[milex, threat]'")
        if m["family"] not in PARAMETERS:
            hint = (f" ('{m['family']}' is now '{_RENAMED[m['family']]}', which applies to "
                    f"every outcome of its family; select one with "
                    f"'{_RENAMED[m['family']]}[outcome]')" if m["family"] in _RENAMED else "")
            raise SpecError(f"{where}: unknown parameter '{m['family']}' in '{selector}'"
                            f"{hint}; valid: {', '.join(PARAMETERS)}")
        if _key(selector) in seen:
            raise SpecError(f"{where}: selectors '{seen[_key(selector)]}' and '{selector}' "
                            "select the same cells; keep one")
        seen[_key(selector)] = selector
        prior = _parse_prior(selector, value, where)
        if prior.dist not in PARAMETERS[m["family"]]:
            raise SpecError(f"{where}: '{selector}' cannot take a {prior.dist} prior; "
                            f"valid: {', '.join(PARAMETERS[m['family']])}")
        entries.append((selector, prior))
    name = raw.get("name", default_name)
    return PriorSet(name=name or default_name, description=raw.get("description", ""),
                    priors=tuple(entries), settings=tuple(settings.items()))


def _key(selector: str) -> tuple[str, tuple[str, ...]]:
    m = _SELECTOR.match(selector)
    assert m is not None  # checked at load time
    index = tuple(p.strip() for p in (m["index"] or "").split(",") if p.strip())
    return _RENAMED.get(m["family"], m["family"]), index


def parameter_cells(spec: ModelSpec) -> dict[str, list[tuple[str, ...]]]:
    """Every cell of every parameter family in ``spec`` (index tuples)."""
    names = spec.outcome_names
    cells: dict[str, list[tuple[str, ...]]] = {
        "intercept": [(o,) for o in names],
        "beta": [(o.name, t) for o in spec.outcomes for t in o.terms],
        "sd_ally": [(o,) for o in names],
    }
    if spec.year_effects == "iid":
        cells["sd_year"] = [(o,) for o in names]
    if spec.year_effects == "period":
        cells["period"] = [(o, p) for o in names for p in spec.period_labels[1:]]
    if any(o.ar1 for o in spec.outcomes):
        cells["rho"] = [(o.name,) for o in spec.outcomes if o.ar1]
    if any(o.group_effects for o in spec.outcomes):
        cells["sd_group"] = [(o.name,) for o in spec.outcomes if o.group_effects]
    if spec.has_innovations:
        cells["sd_innovation"] = [(spec.latent_outcome,)]
    for o in (*spec.outcomes, *spec.indicators):
        for aux in outcome_family(o.family).aux:
            cells.setdefault(aux.name, []).append((o.name,))
    if spec.indicators:
        cells["intercept"] += [(i.name,) for i in spec.indicators]
        cells["loading"] = [(i.name,) for i in spec.indicators if not i.anchor]
        cells["anchor_loading"] = [(i.name,) for i in spec.indicators if i.anchor]
    if spec.misclassification:
        cells.update({p: [(spec.latent_outcome,)] for p in MISCLASSIFICATION_PARAMETERS})
    return cells


def resolve_priors(spec: ModelSpec, priors: str | os.PathLike[str] | PriorSet) -> ResolvedPriors:
    """Assign a prior to every parameter cell of ``spec``.

    The most specific matching selector wins (``beta[o, t]`` over ``beta[o]``
    over ``beta``).

    Raises
    ------
    SpecError
        When a cell has no matching selector.
    """
    prior_set = load_prior_set(priors)
    by_key = {_key(sel): (sel, p) for sel, p in prior_set.priors}
    cells = parameter_cells(spec)
    resolved = ResolvedPriors(prior_set=prior_set)
    used: set[str] = set()
    for family, index_list in cells.items():
        resolved.cells[family] = {}
        for index in index_list:
            for k in range(len(index), -1, -1):
                hit = by_key.get((family, index[:k]))
                if hit is not None:
                    resolved.cells[family][index] = hit[1]
                    used.add(hit[0])
                    break
            else:
                if family in DEFAULT_PRIORS:
                    resolved.cells[family][index] = DEFAULT_PRIORS[family]
                    continue
                raise SpecError(
                    f"prior set '{prior_set.name}' has no prior for {family}"
                    f"[{', '.join(index)}]; add a selector '{family}' or "
                    f"'{family}[{', '.join(index)}]'")
    resolved.unused = sorted(sel for sel, _ in prior_set.priors if sel not in used)
    return resolved
