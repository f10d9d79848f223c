r"""The hypotheses a strategic fit tests directly, as contrasts of the re-solved game.

The reduced form can only regress exit on equilibrium reassurance, where
strategic selection flips the sign (``theory/priors.py``). The structural
model states the hypotheses as what the game does at the fitted primitives,
per posterior draw :math:`s`, at a *profile*: the average ally-year (every
standardised covariate at 0, the ally effect at 0, which is the average ally
as the effects sum to zero), so each linked primitive sits at
:math:`g_j^{-1}(a_j^{(s)} + \omega_j k_j)` with :math:`k_j` prior sds
:math:`\omega_j` of its link scale added where the profile says so.

* **S1, reassurance answers exit risk**: the patron's expected reassurance
  rises when the ally's outside option is one sd more attractive,
  :math:`\bar r(o + \omega_o) - \bar r(o) > 0` (the patron re-optimises).
* **S2, conditional reassurance raises effort under retrenchment pressure and
  severe threat**: with threat and retrenchment pressure one sd above the
  average, the ally's effort under conditional reassurance exceeds its effort
  under unconditional reassurance,
  :math:`\bar b_{\text{cond}} - \bar b_{\text{uncond}} > 0`, each with the
  patron's reassurance re-solved in its regime.

Each is reported by the posterior mean and 90% interval of the contrast and
:math:`P(\text{contrast} > 0 \mid y)`, the share of draws with the predicted sign.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.constants import CI_PROB
from bayes_alliance.models.strategic.spec import StrategicSpec
from bayes_alliance.models.strategic.structural import posterior_params, solve_rows
from bayes_alliance.theory.population import PrimitivePrior


@dataclass(frozen=True)
class StructuralHypothesis:
    """A signed contrast of the equilibrium between two profiles (module docstring)."""

    id: str
    statement: str
    quantity: str
    #: prior sds added to primitives' link scale, in the base and the compared profile
    base: tuple[tuple[str, float], ...]
    compared: tuple[tuple[str, float], ...]
    #: regime of the base and of the compared profile
    base_conditional: bool = False
    compared_conditional: bool = False


STRUCTURAL_HYPOTHESES: tuple[StructuralHypothesis, ...] = (
    StructuralHypothesis(
        "S1", "Reassurance answers exit risk: the patron reassures more when the ally's "
              "outside option is one sd more attractive.", "reassurance",
        base=(), compared=(("outside_option", 1.0),)),
    StructuralHypothesis(
        "S2", "Under retrenchment pressure and severe threat (both one sd above average), "
              "conditional reassurance raises the ally's effort over unconditional.", "effort",
        base=(("threat", 1.0), ("retrench", 1.0)), compared=(("threat", 1.0), ("retrench", 1.0)),
        compared_conditional=True),
)


def profile_values(spec: StrategicSpec, params: Mapping[str, Any],
                   shifts: Mapping[str, float]) -> dict[str, Any]:
    """Every primitive at the average ally-year, linked ones moved by ``shifts`` prior sds.

    Returns arrays of shape (draws, 1) for linked primitives, numbers for fixed ones.
    """
    latents = PrimitivePrior().latents
    values: dict[str, Any] = dict(spec.fixed)
    for link in spec.links:
        lat = latents[link.name]
        a = np.asarray(params[f"a_{link.name}"], float)[:, None]
        values[link.name] = lat.transform(a + lat.scale * shifts.get(link.name, 0.0))
    return values


def _solve(spec: StrategicSpec, params: Mapping[str, Any], shifts: tuple, conditional: bool,
           quantity: str) -> np.ndarray:
    values = profile_values(spec, params, dict(shifts))
    return solve_rows(spec, values, params["log_rationality"], conditional=conditional
                      )[quantity][:, 0]


def structural_hypotheses(spec: StrategicSpec, posterior: xr.Dataset,
                          hypotheses: tuple[StructuralHypothesis, ...] = STRUCTURAL_HYPOTHESES
                          ) -> pd.DataFrame:
    """Posterior of each structural hypothesis (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per hypothesis: ``id``, ``statement``, ``quantity``, ``mean``,
        ``lo``, ``hi`` (90% interval of the contrast), ``p_predicted``
        (posterior probability of the predicted, positive sign) and ``draws``.
    """
    params = posterior_params(posterior, spec)
    linked = {link.name for link in spec.links}
    rows = []
    tail = (1.0 - CI_PROB) / 2
    for h in hypotheses:
        moved = {name for name, _ in h.base + h.compared}
        if not moved <= linked:
            continue  # a primitive the spec fixes cannot be moved
        diff = (_solve(spec, params, h.compared, h.compared_conditional, h.quantity)
                - _solve(spec, params, h.base, h.base_conditional, h.quantity))
        lo, hi = np.quantile(diff, [tail, 1.0 - tail])
        rows.append({"id": h.id, "statement": h.statement, "quantity": h.quantity,
                     "mean": float(diff.mean()), "lo": float(lo), "hi": float(hi),
                     "p_predicted": float(np.mean(diff > 0)), "draws": int(diff.size)})
    return pd.DataFrame(rows, columns=["id", "statement", "quantity", "mean", "lo", "hi",
                                       "p_predicted", "draws"])
