r"""The outcome-family registry: everything that differs between likelihood families.

Each :class:`Family` declares, for an outcome with linear predictor :math:`\eta`
(and, for counts, the log-exposure offset :math:`o = \log e`):

* its PyMC likelihood, :meth:`Family.distribution`, used both to build the model
  and to draw new outcomes (:mod:`bayes_alliance.predict`);
* its link :math:`g` and inverse link (:class:`Link`): the natural-scale
  summary is :math:`g^{-1}(\eta + o)`;
* the transform of the observed column onto the likelihood's scale (log for the
  lognormal families) and its inverse;
* its auxiliary parameters (:class:`AuxParameter`): prior selector ``phi``,
  per-outcome PyMC variable ``phi_<outcome>``, readable name ``phi[<outcome>]``;
* the label and unit of its natural-scale summary;
* its kind (``count``, ``continuous``, ``binary``), used by auto-centring,
  predictive checks and PIT;
* its maximum-likelihood baseline with ally fixed effects (statsmodels).

Natural-scale summaries:

* counts (``negative_binomial``, ``poisson``): the rate per unit of exposure
  :math:`e^{\eta}` (the mean count is :math:`e^{\eta + o}`);
* ``lognormal_t`` and ``lognormal``: the *median* :math:`e^{\eta}` of the
  observed column. Under the Student-t likelihood on the log scale the mean
  does not exist: :math:`E[e^{\sigma T_\nu}] = \infty` for every finite
  :math:`\nu`, because the Student-t tails decay polynomially while
  :math:`e^{x}` grows exponentially. The median is therefore reported for both
  lognormal families, so that a spec can switch between them without changing
  what the summary means;
* ``bernoulli``: the probability :math:`\operatorname{logit}^{-1}\eta`.

Adding a family is one :data:`FAMILIES` entry (plus its tests in
``tests/test_families.py``); nothing else in the package branches on family names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
from scipy.special import expit, logit

KINDS = ("count", "continuous", "binary")


@dataclass(frozen=True)
class Link:
    """A link function :math:`g` with its inverse, for NumPy and PyTensor."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray], np.ndarray]
    inverse_pt: Callable[[Any], Any]


LOG = Link("log", np.log, np.exp, pt.exp)
LOGIT = Link("logit", logit, expit, pt.sigmoid)


@dataclass(frozen=True)
class AuxParameter:
    """An auxiliary (non-linear-predictor) parameter of a family.

    ``on_link_scale`` is True when the parameter lives on the linear predictor's
    scale (a log-scale sd); dispersions and degrees of freedom do not, and are
    left out of comparisons made on that scale (recovery RMSE and scatter).
    """

    name: str
    dists: tuple[str, ...]
    description: str
    on_link_scale: bool

    def variable(self, outcome: str) -> str:
        """PyMC variable name of this parameter for ``outcome`` (``phi_reassure``)."""
        return f"{self.name}_{outcome}"

    def readable(self, outcome: str) -> str:
        """Readable name (``phi[reassure]``), as in summaries and prior selectors."""
        return f"{self.name}[{outcome}]"


PHI = AuxParameter("phi", ("Gamma", "Exponential", "HalfNormal"),
                   "negative binomial dispersion (variance mu + mu^2 / phi)", False)
SIGMA = AuxParameter("sigma", ("HalfNormal", "Exponential", "Gamma"),
                     "sd of log(y) around eta", True)
NU = AuxParameter("nu", ("Gamma", "Exponential"), "Student-t degrees of freedom", False)


def _count_values(col: pd.Series) -> bool:
    return bool(((col >= 0) & (col == col.round())).all())


def _positive_values(col: pd.Series) -> bool:
    return bool((col > 0).all())


def _binary_values(col: pd.Series) -> bool:
    return bool(col.isin([0, 1]).all())


def _count_baseline(family: str) -> Callable[..., Any]:
    def fit(y: np.ndarray, X: np.ndarray, dummies: np.ndarray, groups: np.ndarray,
            offset: np.ndarray) -> Any:
        import statsmodels.api as sm

        design = np.column_stack([X, dummies])
        if family == "poisson":
            return sm.Poisson(y, design, offset=offset).fit(disp=0, maxiter=200)
        mod = sm.NegativeBinomial(y, design, offset=offset, loglike_method="nb2")
        res = mod.fit(disp=0, method="newton", maxiter=200)
        if not res.mle_retvals.get("converged", True):
            res = mod.fit(disp=0, method="bfgs", maxiter=5000)
        return res
    return fit


def _ols_baseline(y: np.ndarray, X: np.ndarray, dummies: np.ndarray, groups: np.ndarray,
                  offset: np.ndarray) -> Any:
    import statsmodels.api as sm

    return sm.OLS(y, np.column_stack([X, dummies])).fit()


def _logit_baseline(y: np.ndarray, X: np.ndarray, dummies: np.ndarray, groups: np.ndarray,
                    offset: np.ndarray) -> Any:
    from statsmodels.discrete.conditional_models import ConditionalLogit

    return ConditionalLogit(y, X, groups=groups).fit(disp=0)


@dataclass(frozen=True)
class Family:
    """One likelihood family; see the module docstring for what each field means.

    ``likelihood(eta, log_exposure, aux)`` returns the PyMC distribution class
    and its keyword arguments, with ``aux`` mapping auxiliary-parameter names to
    tensors (or arrays broadcasting against ``eta``).
    """

    name: str
    kind: str
    description: str
    link: Link
    aux: tuple[AuxParameter, ...]
    likelihood: Callable[[Any, Any, dict[str, Any]], tuple[type, dict[str, Any]]]
    uses_exposure: bool
    log_observed: bool
    support: str
    accepts: Callable[[pd.Series], bool]
    summary: tuple[str, str]  # (label template with {column}, unit)
    baseline_name: str
    baseline: Callable[..., Any]

    def distribution(self, eta: Any, log_exposure: Any, aux: dict[str, Any]
                     ) -> tuple[type, dict[str, Any]]:
        """PyMC distribution class and keyword arguments of the likelihood."""
        return self.likelihood(eta, log_exposure, aux)

    def offset(self, eta: Any, log_exposure: Any) -> Any:
        r""":math:`\eta + o` for exposure families, :math:`\eta` otherwise."""
        return eta + log_exposure if self.uses_exposure else eta

    def natural(self, eta: np.ndarray) -> np.ndarray:
        r"""Natural-scale summary :math:`g^{-1}(\eta)` per unit of exposure (NumPy)."""
        return self.link.inverse(eta)

    def transform(self, y: np.ndarray) -> np.ndarray:
        """Observed column -> the likelihood's scale (log; integers for counts and binaries)."""
        y = np.asarray(y, float)
        if self.log_observed:
            return np.log(y)
        return y if self.kind == "continuous" else y.astype("int64")

    def inverse_transform(self, y: np.ndarray) -> np.ndarray:
        """The likelihood's scale -> the observed column's units."""
        y = np.asarray(y, float)
        return np.exp(y) if self.log_observed else y

    def label(self, column: str) -> tuple[str, str]:
        """Label and unit of the natural-scale summary of an outcome on ``column``."""
        template, unit = self.summary
        return template.format(column=column), unit


def _negbin(eta: Any, log_exposure: Any, aux: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    return pm.NegativeBinomial, {"mu": pt.exp(log_exposure + eta), "alpha": aux["phi"]}


def _poisson(eta: Any, log_exposure: Any, aux: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    return pm.Poisson, {"mu": pt.exp(log_exposure + eta)}


def _student_t(eta: Any, log_exposure: Any, aux: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    return pm.StudentT, {"nu": aux["nu"], "mu": eta, "sigma": aux["sigma"]}


def _normal(eta: Any, log_exposure: Any, aux: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    return pm.Normal, {"mu": eta, "sigma": aux["sigma"]}


def _bernoulli(eta: Any, log_exposure: Any, aux: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    return pm.Bernoulli, {"logit_p": eta}


_COUNT = {"kind": "count", "link": LOG, "uses_exposure": True, "log_observed": False,
          "support": "count (non-negative integer)", "accepts": _count_values,
          "summary": ("{column} rate", "per unit of exposure")}
_LOGNORMAL = {"kind": "continuous", "link": LOG, "uses_exposure": False, "log_observed": True,
              "support": "positive", "accepts": _positive_values,
              "summary": ("{column} (median)", "natural units"),
              "baseline_name": "OLS on log, ally FE", "baseline": _ols_baseline}

#: the registry: family name -> :class:`Family`
FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("negative_binomial", description="NegativeBinomial(exposure * exp(eta), phi)",
           aux=(PHI,), likelihood=_negbin, baseline_name="NB2 + log(exposure) offset, ally FE",
           baseline=_count_baseline("negative_binomial"), **_COUNT),
    Family("poisson", description="Poisson(exposure * exp(eta))", aux=(), likelihood=_poisson,
           baseline_name="Poisson + log(exposure) offset, ally FE",
           baseline=_count_baseline("poisson"), **_COUNT),
    Family("lognormal_t", description="log(y) ~ StudentT(nu, eta, sigma)", aux=(SIGMA, NU),
           likelihood=_student_t, **_LOGNORMAL),
    Family("lognormal", description="log(y) ~ Normal(eta, sigma)", aux=(SIGMA,),
           likelihood=_normal, **_LOGNORMAL),
    Family("bernoulli", kind="binary", description="Bernoulli(logit^-1(eta))", link=LOGIT,
           aux=(), likelihood=_bernoulli, uses_exposure=False, log_observed=False,
           support="binary", accepts=_binary_values, summary=("P({column})", "probability"),
           baseline_name="conditional logit (ally FE)", baseline=_logit_baseline),
)}


def family(name: str) -> Family:
    """The registered family ``name`` (names are validated when a spec is parsed)."""
    return FAMILIES[name]


def aux_parameters() -> dict[str, AuxParameter]:
    """Every auxiliary parameter of any family, by prior-selector name."""
    return {a.name: a for f in FAMILIES.values() for a in f.aux}


def exposure_families() -> tuple[str, ...]:
    """Names of the families that take a log-exposure offset."""
    return tuple(n for n, f in FAMILIES.items() if f.uses_exposure)
