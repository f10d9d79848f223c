r"""Panels simulated from the game itself (NumPy), for recovery and calibration checks.

The generator shares the strategic model's design (standardised covariates,
:func:`~bayes_alliance.models.strategic.model.primitive_design`), priors and
measurement families, but solves the game with the NumPy solver
(:func:`~bayes_alliance.theory.game.solve_quantal_response`), not with the
PyTensor graph that is fitted: a recovery check then also tests that the
fitted graph is the game. On a skeleton panel (its allies, years,
covariates, exposure and which outcome cells are observed) each parameter
not given is drawn from its prior; then, per row,

.. math:: x_{j,it} = g_j^{-1}(a_j + \omega_j (z_{j,it}^\top b_j + \sigma_j \tilde u_{j,i})),
          \quad (\bar r, \bar b, \bar q, \bar\jmath)_{it} = \text{QRE}(x_{\cdot,it}; \beta),

and each observed cell is drawn from its outcome's family at
:math:`\eta = \alpha_k + \gamma_k \bar x` (or :math:`\text{logit}\,\bar x`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from bayes_alliance.errors import SpecError
from bayes_alliance.models.families import family
from bayes_alliance.models.joint import observed_rows
from bayes_alliance.models.strategic.model import StrategicModel
from bayes_alliance.models.strategic.spec import StrategicSpec
from bayes_alliance.models.strategic.structural import (
    ally_index,
    primitive_design,
    row_primitives,
    solve_rows,
)
from bayes_alliance.theory.population import PrimitivePrior


class _Draws:
    """Parameter values: given ones first, the rest drawn from their priors."""

    def __init__(self, spec: StrategicSpec, given: dict[str, Any], rng: np.random.Generator):
        self.spec, self.given, self.rng, self.used = spec, dict(given), rng, {}

    def __call__(self, name: str, dist: Any) -> np.ndarray:
        value = (np.asarray(self.given.pop(name), float) if name in self.given
                 else np.asarray(pm.draw(dist, random_seed=self.rng), float))
        self.used[name] = value
        return value

    def prior(self, name: str, selector: str, size: int | None = None) -> np.ndarray:
        p = self.spec.prior(selector)
        return self(name, getattr(pm, p.dist).dist(**dict(p.params), size=size))


def simulate_strategic(model: StrategicModel, params: dict[str, Any] | None = None, *,
                       seed: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Draw every outcome of ``model``'s spec on its panel from the game.

    Parameters
    ----------
    model
        A strategic model on the skeleton panel (built with
        ``require_outcomes=False`` when the skeleton has no outcomes; the
        observed cells of each outcome column are the ones simulated, all rows
        when the column is absent).
    params
        Values by model variable name (``a_threat``, ``b_threat`` (one per
        term), ``sd_threat``, ``z_threat`` (one per ally, summing to zero),
        ``log_rationality``, ``alpha_milex``, ``gamma_milex``, ``sigma_milex``,
        ``phi_reassure`` ...); the others are drawn from their priors.
    seed
        Random seed.

    Returns
    -------
    frame
        The panel with each outcome column simulated on its observed rows.
    truth
        Every parameter value used.

    Raises
    ------
    SpecError
        When ``params`` names a variable the model does not have.
    """
    spec, frame = model.spec, model.panel.frame.copy()
    rng = np.random.default_rng(seed)
    draws = _Draws(spec, params or {}, rng)
    n_ally = len(model.panel.allies)
    latents = PrimitivePrior().latents
    for link in spec.links:  # in this order, so a seed gives the same panel
        if link.terms:
            draws.prior(f"b_{link.name}", "slope", len(link.terms))
        if link.ally_effect:
            draws.prior(f"sd_{link.name}", "sd_ally")
            draws(f"z_{link.name}", pm.ZeroSumNormal.dist(sigma=1.0, shape=n_ally))
        lat = latents[link.name]
        draws(f"a_{link.name}", pm.Normal.dist(lat.loc, lat.scale))
    values = row_primitives(spec, primitive_design(spec, model.scaling, frame),
                            ally_index(list(model.panel.allies), frame), draws.used)
    eq = solve_rows(spec, values, draws.prior("log_rationality", "log_rationality"))
    for o in spec.outcomes:
        rows = observed_rows(o, frame) if o.column in frame else np.arange(len(frame))
        x = eq[o.quantity][rows]
        if o.direct:
            eta = np.log(x) - np.log1p(-x)
        else:
            eta = (draws.prior(f"alpha_{o.name}", "measure_intercept")
                   + draws.prior(f"gamma_{o.name}", "measure_slope") * x)
        fam = family(o.family)
        aux = {a.name: draws.prior(a.variable(o.name), a.name) for a in fam.aux}
        log_exposure = np.log(frame[o.exposure].to_numpy(float)[rows]) if o.exposure else 0.0
        dist, kwargs = fam.distribution(eta, log_exposure, aux)
        y = np.asarray(pm.draw(dist.dist(**kwargs), random_seed=rng), float)
        col = np.full(len(frame), np.nan)
        col[rows] = fam.inverse_transform(y)
        frame[o.column] = col
    if draws.given:
        raise SpecError(f"cannot set {', '.join(sorted(draws.given))}: not parameters of the "
                        f"strategic model; parameters: {', '.join(sorted(draws.used))}")
    return frame, draws.used
