r"""The strategic model: the reassurance game's equilibrium as the likelihood.

Primitives
----------
Each linked primitive :math:`j` of ally :math:`i` in year :math:`t` is a
regression on the link scale of its declared prior
(:class:`~bayes_alliance.theory.population.PrimitivePrior`: log for positive
primitives, logit for shares, identity for the outside option):

.. math:: x_{j,it} = g_j^{-1}\big(a_j + \omega_j\,(z_{j,it}^\top b_j + \sigma_j\,
          \tilde u_{j,i})\big), \qquad
          \tilde u_{j,\cdot} \sim \text{ZeroSumNormal}(1),

with :math:`z` the panel's standardised covariates
(:class:`~bayes_alliance.models.design.Scaling`), :math:`\mu_j, \omega_j` the
centre and spread of primitive :math:`j`'s declared prior, the intercept prior
:math:`a_j \sim \mathcal N(\mu_j, \omega_j)`, and slopes :math:`b_j` and ally
sds :math:`\sigma_j` in units of :math:`\omega_j` (so one prior, ``slope`` and
``sd_ally``, fits every primitive whatever its scale). Ally effects (where
the spec asks for them) are non-centred and sum to zero over allies, so that
:math:`a_j` is the average ally's primitive. The other primitives are fixed by the spec.

Equilibrium
-----------
The patron's logit quantal response with rationality
:math:`\beta = e^{\log\beta}` gives each row's expected reassurance
:math:`\bar r`, effort :math:`\bar b`, exit probability :math:`\bar q` and
participation probability :math:`\bar\jmath`
(:func:`~bayes_alliance.models.strategic.equilibrium.equilibrium_graph`).

Measurement
-----------
A count or spending outcome measures its quantity :math:`\bar x` up to a
location and a positive scale (the units of statements and of percent of GDP
are not the game's): :math:`\eta = \alpha_k + \gamma_k \bar x`,
:math:`\gamma_k > 0`, then the outcome's family
(:mod:`~bayes_alliance.models.families`: negative binomial with the exposure
offset, log-normal for spending). A Bernoulli outcome *is* the game's
probability (exit pursuit, war participation): :math:`\eta = \text{logit}\,\bar x`,
no free measurement parameter.

Identification (what pins what down)
------------------------------------
* Scale and location the game leaves free are fixed in the spec: the ally's
  problem depends on :math:`\tau V` and :math:`c` only through
  :math:`m = \tau V / c` and :math:`\tau V` (with :math:`W/\tau V`), so
  :math:`V = c = 1` measure the threat in units of the ally's cost of effort;
  the patron's payoff is identified only up to scale against :math:`\beta`,
  so :math:`\lambda` is fixed (:math:`\beta` is in units of :math:`\lambda`);
  :math:`\theta` enters only under conditional reassurance and is fixed while
  the regime is unconditional.
* Exit pursuit pins the outside option :math:`o` (its level: the exit rate; its
  covariate slope and ally effects: who pursues exit) and, with the spread of
  exit rates, the noise :math:`s`.
* Spending pins effort :math:`\bar b = \min\{1, \tau(1 - p)\}` up to
  :math:`(\alpha_M, \gamma_M)`: its variation with the threat covariate
  identifies the threat link, and its variation with reassurance and troops
  the belief :math:`p(r)` (:math:`p_0`, :math:`T`).
* Reassurance counts pin :math:`\bar r` up to :math:`(\alpha_R, \gamma_R)`: how
  reassurance moves with importance, retrenchment and exit risk identifies the
  patron's primitives (:math:`\kappa`, :math:`\rho`, :math:`\psi`) relative to
  :math:`\beta`. Strategic selection is in the structure: the patron raises
  :math:`r` where :math:`\bar q` is high, so no sign flip of a regression of
  exit on reassurance can arise.
* The measurement scales :math:`\gamma_k` and the primitives' slopes trade off
  only through the game's nonlinearity; their priors keep them apart, and the
  recovery test checks the parameters the outcomes pin down.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from bayes_alliance.constants import ALLY
from bayes_alliance.data.load import load_panel
from bayes_alliance.data.panel import Panel
from bayes_alliance.errors import SpecError
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import observed_rows, observed_values
from bayes_alliance.models.priors import Prior, ResolvedPriors
from bayes_alliance.models.strategic.equilibrium import equilibrium_graph
from bayes_alliance.models.strategic.spec import (
    StrategicOutcome,
    StrategicSpec,
    load_strategic_spec,
)
from bayes_alliance.models.strategic.structural import ally_index, primitive_design
from bayes_alliance.theory.population import PrimitivePrior
from bayes_alliance.theory.primitives import PRIMITIVE_NAMES

#: inverse link of each kind of declared primitive prior, for PyTensor
PT_LINKS = {"normal": lambda v: v, "lognormal": pt.exp, "logitnormal": pt.sigmoid}


def _prior(name: str, prior: Prior, **kwargs: Any) -> Any:
    return getattr(pm, prior.dist)(name, **dict(prior.params), **kwargs)


@dataclass(frozen=True)
class StrategicGraph:
    """The PyMC model, the primitives per row and the expected equilibrium outcomes."""

    model: pm.Model
    primitives: dict[str, pt.TensorVariable]
    equilibrium: dict[str, pt.TensorVariable]


class StrategicModel:
    """The strategic model on a panel (use :meth:`from_spec`).

    It offers what :func:`~bayes_alliance.fit.fit_model` needs of a model
    (``pymc_model``, ``spec``, ``panel``, ``priors``, ``scaling``);
    ``model.fit(...)`` is that function, bound by :mod:`bayes_alliance.fit`.
    """

    #: bound by :mod:`bayes_alliance.fit`; see :func:`bayes_alliance.fit.fit_model`
    fit: Callable[..., Any]

    def __init__(self, spec: StrategicSpec, panel: Panel, scaling: Scaling) -> None:
        self.spec = spec
        self.panel = panel
        self.scaling = scaling
        self.priors = ResolvedPriors(prior_set=spec.prior_set())

    @classmethod
    def from_spec(cls, spec: str | os.PathLike[str] | dict | StrategicSpec = "strategic",
                  panel: str | os.PathLike[str] | pd.DataFrame | Panel = "default", *,
                  require_outcomes: bool = True) -> StrategicModel:
        """Load and check a strategic spec against a panel.

        Raises
        ------
        SpecError
            When an outcome's column (or exposure) is missing from the panel
            or has no observed value (with ``require_outcomes``), or a
            covariate is missing, incomplete or constant.
        """
        model_spec = load_strategic_spec(spec)
        validated = load_panel(panel)
        frame = validated.frame
        if require_outcomes:
            for o in model_spec.outcomes:
                for col in (o.column, o.exposure):
                    if col is not None and col not in frame:
                        raise SpecError(f"strategic outcome '{o.name}': column '{col}' is not "
                                        f"in the panel")
                if frame[o.column].notna().sum() == 0:
                    raise SpecError(f"strategic outcome '{o.name}': column '{o.column}' has "
                                    "no observed values; drop the outcome from the spec")
        return cls(model_spec, validated, Scaling.from_frame(model_spec, frame))

    @property
    def outcome_names(self) -> tuple[str, ...]:
        """Names of the outcomes."""
        return self.spec.outcome_names

    @cached_property
    def graph(self) -> StrategicGraph:
        """The PyMC model (built on first access)."""
        return build_strategic_graph(self.spec, self.panel, self.scaling)

    @property
    def pymc_model(self) -> pm.Model:
        """The PyMC model."""
        return self.graph.model

    def population_parameters(self) -> list[str]:
        """Free parameters that are not per-ally arrays."""
        return [v.name for v in self.pymc_model.free_RVs if not v.name.startswith("z_")]


def _measurement(o: StrategicOutcome, x: Any, spec: StrategicSpec) -> Any:
    """The outcome's linear predictor from its equilibrium quantity ``x``."""
    if o.direct:
        return pt.log(x) - pt.log1p(-x)
    alpha = _prior(f"alpha_{o.name}", spec.prior("measure_intercept"))
    gamma = _prior(f"gamma_{o.name}", spec.prior("measure_slope"))
    return alpha + gamma * x


def build_strategic_graph(spec: StrategicSpec, panel: Panel, scaling: Scaling) -> StrategicGraph:
    """Build the PyMC model of the strategic spec on ``panel`` (module docstring)."""
    frame = panel.frame
    allies = panel.allies
    design = primitive_design(spec, scaling, frame)
    rows = {o.name: observed_rows(o, frame) for o in spec.outcomes}
    coords: dict[str, list] = {ALLY: allies, "obs": list(range(len(frame)))}
    for link in spec.links:
        coords[f"term_{link.name}"] = list(link.terms)
    for o in spec.outcomes:
        coords[f"obs_{o.name}"] = rows[o.name].tolist()
    latents = PrimitivePrior().latents
    fixed = dict(spec.fixed)
    with pm.Model(coords=coords) as model:
        ally_idx = pm.Data("ally_idx", ally_index(list(allies), frame), dims="obs")
        values: dict[str, Any] = {}
        for link in spec.links:
            lat = latents[link.name]
            shift = pt.zeros(len(frame))
            if link.terms:
                X = pm.Data(f"X_{link.name}", design[link.name],
                            dims=("obs", f"term_{link.name}"))
                b = _prior(f"b_{link.name}", spec.prior("slope"), dims=f"term_{link.name}")
                shift = shift + X @ b
            if link.ally_effect:
                sd = _prior(f"sd_{link.name}", spec.prior("sd_ally"))
                z = pm.ZeroSumNormal(f"z_{link.name}", sigma=1.0, dims=ALLY)
                shift = shift + (sd * z)[ally_idx]
            a = pm.Normal(f"a_{link.name}", mu=lat.loc, sigma=lat.scale)
            values[link.name] = PT_LINKS[lat.kind](a + lat.scale * shift)
        values.update({n: fixed[n] for n in PRIMITIVE_NAMES if n in fixed})
        log_beta = _prior("log_rationality", spec.prior("log_rationality"))
        eq = equilibrium_graph(values, pt.exp(log_beta), points=spec.grid_points)
        for o in spec.outcomes:
            idx = rows[o.name]
            eta = _measurement(o, eq[o.quantity][idx], spec)
            fam = family(o.family)
            aux = {a.name: _prior(a.variable(o.name), spec.prior(a.name)) for a in fam.aux}
            log_exposure = (np.log(frame[o.exposure].to_numpy(float)[idx]) if o.exposure
                            else np.zeros(len(idx)))
            dist, kwargs = fam.distribution(eta, log_exposure, aux)
            dist(o.name, **kwargs, observed=observed_values(o, frame, idx),
                 dims=f"obs_{o.name}")
    return StrategicGraph(model, values, eq)
