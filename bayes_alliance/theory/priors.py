r"""Theory priors: coefficient priors of the joint model implied by the game.

Derivation (:func:`derive_priors`):

1. draw primitives from the declared prior
   (:class:`~bayes_alliance.theory.population.PrimitivePrior`) in ``worlds``
   populations of ``draws / worlds`` ally-years each;
2. solve the equilibrium of every draw;
3. map each draw to the panel: covariates are the latent scores of the
   primitives they measure (``threat`` :math:`\leftarrow \log\tau`,
   ``exit_capacity`` :math:`\leftarrow o`, ``importance``
   :math:`\leftarrow \log\kappa`, ``retrench`` :math:`\leftarrow
   \text{logit}\,\rho`, ``us_troops`` :math:`\leftarrow \log T`), and outcomes
   are the equilibrium quantities on the joint model's link scales:
   :math:`\log(1 + r^*)` (``reassure``), :math:`\log(1 + b^*)` (``milex``),
   :math:`4(b^* - 1/2)` (``intervene``), :math:`\text{logit}\,q^*` (``exit``),
   see :mod:`bayes_alliance.theory.statics`;
4. within each world, standardise the covariates and the latent reassurance
   :math:`\log(1 + r)` (the term ``reassurance``), build the terms of each
   outcome as in ``models/joint.toml`` (interactions are products of
   standardised covariates) and regress the outcome on them by least squares;
5. summarise each coefficient over worlds: mean :math:`\bar\beta`, sd
   :math:`s_\beta`, and the prior scale

   .. math:: \sigma = \max\left(\sqrt{s_\beta^2 + s_0^2},\;
             |\bar\beta| / z_{0.9}\right) / \text{confidence},

   where the floor :math:`s_0` keeps the prior from being dogmatic when the
   worlds agree, the second term caps the mass on the predicted sign at
   :data:`SIGN_MASS` (the game signs effects more surely than it sizes
   them), and ``confidence`` < 1 widens the prior.

Reassurance in the ally-side equations. The ``reassure`` regression uses the
equilibrium :math:`r^*`. In ``milex``, ``intervene`` and ``exit`` the joint
model reads the reassurance coefficients as the ally's *response* to
reassurance (the counterfactual scenarios move them), but in equilibrium the
patron targets reassurance at the allies most likely to leave, so a
regression on :math:`r^*` mixes that targeting into the response (in the exit
equation it even flips the sign). The ally-side outcomes are therefore the
ally's best response to a reassurance level assigned at random: :math:`r^*`
permuted across the draws of the same world, which keeps its distribution and
breaks its link to the ally's primitives (a randomised experiment inside the
theory).

Only coefficients that a hypothesis of
:data:`~bayes_alliance.theory.hypotheses.HYPOTHESES` maps to are written as
theory priors (``source`` names the hypothesis); every other selector keeps
the weak prior of ``models/priors/weak.toml``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from scipy.stats import norm

from bayes_alliance.errors import TheoryError
from bayes_alliance.io import write_text_atomic
from bayes_alliance.resources import models_path
from bayes_alliance.theory.game import PARTICIPATION_SLOPE, best_response, solve_equilibrium
from bayes_alliance.theory.hypotheses import HYPOTHESES
from bayes_alliance.theory.population import COVARIATE_OF, PrimitivePrior, draw_primitives
from bayes_alliance.theory.statics import (
    EFFORT_FLOOR,
    REASSURANCE,
    REASSURANCE_FLOOR,
    link_values,
)

#: defaults of a derivation (the shipped models/priors/theory.toml uses them)
DEFAULT_SEED = 20180501
DEFAULT_DRAWS = 100_000
DEFAULT_WORLDS = 200
DEFAULT_CONFIDENCE = 1.0
#: floor s_0 of the prior sd
SD_FLOOR = 0.1
#: most prior mass a theory prior puts on its sign (at confidence 1)
SIGN_MASS = 0.9
#: sd of the skeptical prior: every slope, and (tighter) every slope the theory signs
SKEPTICAL_SD = 0.25
SKEPTICAL_THEORY_SD = 0.1
#: joint-model outcome -> equilibrium quantity it measures
QUANTITY_OF = {"reassure": "reassurance", "milex": "effort", "intervene": "participation",
               "exit": "exit"}
_DIGITS = 4


@dataclass(frozen=True)
class CoefficientPrior:
    """Implied distribution of one joint-model coefficient over worlds."""

    selector: str
    mean: float
    sd: float
    sigma: float
    hypothesis: str | None = None
    source: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly mapping."""
        return {"selector": self.selector, "mean": self.mean, "sd": self.sd,
                "sigma": self.sigma, "hypothesis": self.hypothesis, "source": self.source}


@dataclass(frozen=True)
class TheoryPriors:
    """Result of :func:`derive_priors`.

    Attributes
    ----------
    coefficients
        Every coefficient the regression estimates, theory-mapped or not.
    settings
        Seed, sizes, confidence, floors, mapping constants, package version
        and the primitive prior: everything needed to reproduce.
    base
        Weak selector -> prior mapping copied into the file.
    """

    coefficients: tuple[CoefficientPrior, ...]
    settings: dict[str, object]
    base: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def mapped(self) -> tuple[CoefficientPrior, ...]:
        """Coefficients that a hypothesis maps to (written as theory priors)."""
        return tuple(c for c in self.coefficients if c.hypothesis is not None)

    def to_toml(self) -> str:
        """The prior file's text (deterministic: same inputs, same bytes)."""
        return _render(self)


def joint_terms(path: str | os.PathLike[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Outcome -> terms of the joint model spec (default ``models/joint.toml``)."""
    path = models_path("joint.toml") if path is None else Path(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise TheoryError(f"cannot read the joint model spec {path}: {err}") from err
    return {str(o["name"]): tuple(o.get("terms", ())) for o in raw.get("outcomes", [])}


def load_weak(path: str | os.PathLike[str] | None = None) -> dict[str, dict[str, object]]:
    """Selector -> prior table of the weak prior set (default ``models/priors/weak.toml``)."""
    path = models_path("priors", "weak.toml") if path is None else Path(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise TheoryError(f"cannot read the weak prior set {path}: {err}") from err
    return dict(raw["priors"])


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=1, keepdims=True)
    if np.any(sd == 0):
        raise TheoryError("a covariate is constant within a world; use more draws per world")
    return (x - x.mean(axis=1, keepdims=True)) / sd


def _term_column(term: str, z: Mapping[str, np.ndarray]) -> np.ndarray | None:
    parts = term.split(":")
    if any(p not in z for p in parts):
        return None
    return np.prod([z[p] for p in parts], axis=0)


def _ols(y: np.ndarray, cols: Sequence[np.ndarray]) -> np.ndarray:
    """Least squares per world: y (worlds, n), cols of (worlds, n) -> (worlds, k) slopes."""
    x = np.stack([np.ones_like(y), *cols], axis=-1)
    xtx = np.einsum("wni,wnj->wij", x, x)
    xty = np.einsum("wni,wn->wi", x, y)
    return np.linalg.solve(xtx, xty[..., None])[..., 0][:, 1:]


def _regress(terms: Mapping[str, Sequence[str]], outcomes: Mapping[str, np.ndarray],
             z: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], list[str]]:
    coefs: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    for outcome, outcome_terms in terms.items():
        if outcome not in outcomes:
            skipped.extend(f"beta[{outcome}, {t}]" for t in outcome_terms)
            continue
        cols, names = [], []
        for t in outcome_terms:
            col = _term_column(t, z)
            if col is None:
                skipped.append(f"beta[{outcome}, {t}]")
            else:
                cols.append(col)
                names.append(f"beta[{outcome}, {t}]")
        if cols:
            b = _ols(outcomes[outcome], cols)
            coefs.update({n: b[:, i] for i, n in enumerate(names)})
    return coefs, skipped


def _package_version() -> str:
    try:
        return version("bayes-alliance")
    except PackageNotFoundError:  # pragma: no cover - bare source tree
        return "0.0.0+unknown"


def derive_priors(*, seed: int = DEFAULT_SEED, draws: int = DEFAULT_DRAWS,
                  worlds: int = DEFAULT_WORLDS, confidence: float = DEFAULT_CONFIDENCE,
                  prior: PrimitivePrior | None = None,
                  terms: Mapping[str, Sequence[str]] | None = None,
                  weak: Mapping[str, Mapping[str, object]] | None = None) -> TheoryPriors:
    """Derive coefficient priors of the joint model from the game.

    Parameters
    ----------
    seed
        Seed of the primitive draws; the same settings give the same file, byte for byte.
    draws
        Total draws (a multiple of ``worlds``).
    worlds
        Populations the draws are split into; the spread of a coefficient over
        worlds is its implied sd.
    confidence
        Divides the prior sd: 1 keeps it, smaller values widen it (> 0).
    prior
        Prior over the primitives (default :class:`PrimitivePrior` ()).
    terms
        Outcome -> terms; default those of ``models/joint.toml``.
    weak
        Selector -> prior copied for everything the theory does not speak to;
        default ``models/priors/weak.toml``.

    Returns
    -------
    TheoryPriors
        Every implied coefficient; :meth:`TheoryPriors.to_toml` renders the file.

    Raises
    ------
    TheoryError
        On a non-positive ``confidence`` or sizes that do not fit.
    """
    if not (np.isfinite(confidence) and confidence > 0):
        raise TheoryError(f"confidence must be a finite number > 0; got {confidence!r}")
    if worlds < 2 or draws // max(worlds, 1) < 20:
        raise TheoryError(f"need at least 2 worlds of at least 20 draws; got draws={draws}, "
                          f"worlds={worlds}")
    prior = PrimitivePrior() if prior is None else prior
    terms = joint_terms() if terms is None else terms
    weak = load_weak() if weak is None else weak
    draw_seed, assign_seed = np.random.SeedSequence(seed).spawn(2)
    sample = draw_primitives(prior, draws=draws, worlds=worlds,
                             random_seed=np.random.default_rng(draw_seed))
    eq = solve_equilibrium(sample.primitives)
    assigned = np.random.default_rng(assign_seed).permuted(eq.reassurance, axis=1)
    resp = best_response(sample.primitives, assigned)
    link = link_values(assigned, resp["effort"], resp["exit"])
    outcomes = {o: link[q] for o, q in QUANTITY_OF.items()}
    outcomes["reassure"] = np.log(REASSURANCE_FLOOR + eq.reassurance)
    z = {c: _standardise(v) for c, v in sample.covariates().items()}
    z[REASSURANCE] = _standardise(link["reassurance"])
    coefs, skipped = _regress(terms, outcomes, z)
    by_coef = {h.coefficient: h for h in HYPOTHESES if h.coefficient}
    z_sign = float(norm.ppf(SIGN_MASS))
    rows = []
    for sel, b in coefs.items():
        mean, sd = float(b.mean()), float(b.std(ddof=1))
        sigma = float(max(np.hypot(sd, SD_FLOOR), abs(mean) / z_sign) / confidence)
        h = by_coef.get(sel)
        source = f"{h.id}: {h.statement}" if h else ""
        rows.append(CoefficientPrior(sel, mean, sd, sigma, h.id if h else None, source))
    settings: dict[str, object] = {
        "seed": seed, "draws": draws, "worlds": worlds, "confidence": float(confidence),
        "sd_floor": SD_FLOOR, "sign_mass": SIGN_MASS, "reassurance_floor": REASSURANCE_FLOOR,
        "effort_floor": EFFORT_FLOOR, "participation_slope": PARTICIPATION_SLOPE,
        "ally_side_reassurance": "equilibrium r* permuted within world",
        "covariates": dict(COVARIATE_OF), "terms_not_in_game": skipped,
        "package_version": _package_version(), "primitive_prior": prior.to_dict(),
    }
    return TheoryPriors(coefficients=tuple(rows), settings=settings,
                        base={k: dict(v) for k, v in weak.items()})


def _value(v: object, digits: int | None = None) -> str:
    """TOML literal of ``v``; floats rounded to ``digits`` (None: exact round trip)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr((v if digits is None else round(v, digits)) + 0.0)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x, digits)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x, digits) for x in v) + "]"
    raise TheoryError(f"cannot write {v!r} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").isalnum() else _value(k)


def _render(tp: TheoryPriors) -> str:
    lines = [
        "# Theory priors derived from the formal bargaining model (bayes_alliance.theory).",
        "# Generated; do not edit. Regenerate with:",
        "#   bayes-alliance theory priors --out models/priors/theory.toml --force",
        'name = "theory"',
        'description = "Slopes signed by the game\'s hypotheses get Normal priors implied by its '
        'equilibrium; everything else is weak."',
        "", "[settings]",
    ]
    nested = {k: v for k, v in tp.settings.items() if isinstance(v, Mapping)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in tp.settings.items() if k not in nested]
    for name, table in nested.items():
        lines += ["", f"[settings.{name}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    lines += ["", "[settings.implied]",
              "# every coefficient the regression estimates: mean and sd over worlds"]
    lines += [f"{_value(c.selector)} = {_value({'mean': c.mean, 'sd': c.sd}, _DIGITS)}"
              for c in tp.coefficients]
    lines += ["", "[priors]"]
    lines += [f"{_value(sel)} = {_value(p)}" for sel, p in tp.base.items()]
    for c in tp.mapped:
        lines.append(f"{_value(c.selector)} = " + _value(
            {"dist": "Normal", "mu": c.mean, "sigma": c.sigma, "source": c.source}, _DIGITS))
    return "\n".join(lines) + "\n"


def skeptical_toml(weak: Mapping[str, Mapping[str, object]] | None = None) -> str:
    """Text of ``models/priors/skeptical.toml``: the weak set with slopes shrunk to zero.

    Every slope gets Normal(0, :data:`SKEPTICAL_SD`); each coefficient that a
    hypothesis signs gets the tighter Normal(0, :data:`SKEPTICAL_THEORY_SD`),
    a mirror image of the theory set centred on "no effect".
    """
    weak = load_weak() if weak is None else weak
    lines = [
        "# Skeptical priors: every slope centred on zero and tight (bayes_alliance.theory).",
        "# Generated by bayes_alliance.theory.priors.skeptical_toml(); do not edit.",
        'name = "skeptical"',
        f'description = "Slopes Normal(0, {SKEPTICAL_SD}); slopes the theory signs '
        f'Normal(0, {SKEPTICAL_THEORY_SD}); the rest as in weak."',
        "", "[priors]",
    ]
    for sel, p in weak.items():
        if sel == "beta":
            p = {"dist": "Normal", "mu": 0.0, "sigma": SKEPTICAL_SD}
        lines.append(f"{_value(sel)} = {_value(dict(p))}")
    for h in HYPOTHESES:
        if h.coefficient:
            lines.append(f"{_value(h.coefficient)} = " + _value(
                {"dist": "Normal", "mu": 0.0, "sigma": SKEPTICAL_THEORY_SD,
                 "source": f"skeptical of {h.id}: no effect"}))
    return "\n".join(lines) + "\n"


def write_priors(path: str | os.PathLike[str] | None = None, *, force: bool = False,
                 priors: TheoryPriors | None = None, **settings: object) -> Path:
    """Derive (unless ``priors`` is given) and write the theory prior file atomically.

    Parameters
    ----------
    path
        Target; default the shipped ``models/priors/theory.toml``.
    force
        Replace an existing file (otherwise ``FileExistsError``).
    priors
        Already derived priors to write.
    **settings
        Keyword arguments of :func:`derive_priors` when ``priors`` is None.

    Returns
    -------
    Path
        The written file.
    """
    tp = derive_priors(**settings) if priors is None else priors  # type: ignore[arg-type]
    target = models_path("priors", "theory.toml") if path is None else Path(path)
    return write_text_atomic(target, tp.to_toml(), force=force)
