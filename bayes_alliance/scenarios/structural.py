r"""Structural counterfactuals: a scenario on a strategic fit re-solves the game.

A reduced-form fit holds every coefficient fixed and moves its inputs. A
strategic fit moves the game's primitives: for posterior draw :math:`s` the
intervened covariates of each ally-year (the same scenario TOML as for a
reduced-form fit, :func:`~bayes_alliance.scenarios.engine.intervened_frame`)
give new primitives through the fitted links (a US troop cut lowers the
tripwire :math:`T`, a rise in retrenchment pressure raises :math:`\rho`), and
the patron's quantal response and the ally's best response are solved again
(:func:`~bayes_alliance.models.strategic.structural.equilibrium_draws`), so
reassurance, effort, exit and participation all move, each as the game says.
Outcomes are reported on their natural scale like a reduced-form scenario
(:func:`~bayes_alliance.models.strategic.structural.natural_outcomes`), and
the equilibrium quantities themselves (:math:`\bar r, \bar b, \bar q,
\bar\jmath`) in :attr:`StructuralScenarioResult.equilibrium`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.errors import ScenarioError, SpecError
from bayes_alliance.models.strategic.spec import StrategicSpec
from bayes_alliance.models.strategic.structural import (
    equilibrium_draws,
    natural_outcomes,
    posterior_params,
)
from bayes_alliance.scenarios.definition import Scenario
from bayes_alliance.scenarios.result import ScenarioResult, _records, interval_stats
from bayes_alliance.theory.game import QRE_OUTCOMES

#: at most this many posterior draws (evenly thinned) are re-solved
MAX_STRUCTURAL_DRAWS = 1000


@dataclass
class StructuralPrepared:
    """What :class:`~bayes_alliance.scenarios.result.ScenarioResult` reads of a scenario."""

    scenario: Scenario
    spec: StrategicSpec
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


class StructuralScenarioResult(ScenarioResult):
    """A scenario on a strategic fit: outcomes plus the re-solved equilibrium.

    Attributes
    ----------
    equilibrium
        ``{"factual": ..., "counterfactual": ...}``, each equilibrium quantity
        (:data:`~bayes_alliance.theory.game.QRE_OUTCOMES`) and each primitive
        (``primitive_<name>``) per draw and row, shape ``(draws, rows)``.
    """

    def __init__(self, prep: StructuralPrepared, factual: dict[str, np.ndarray],
                 counterfactual: dict[str, np.ndarray],
                 equilibrium: dict[str, dict[str, np.ndarray]]) -> None:
        super().__init__(prep, factual, counterfactual)
        self.equilibrium = equilibrium

    def equilibrium_summary(self) -> pd.DataFrame:
        """Each equilibrium quantity over the scenario's ally-years: factual mean and effect."""
        f, c = self.equilibrium["factual"], self.equilibrium["counterfactual"]
        rows = []
        for q in QRE_OUTCOMES:
            effect = (c[q] - f[q]).mean(axis=1)
            rows.append({"quantity": q, "factual_mean": float(f[q].mean()),
                         "counterfactual_mean": float(c[q].mean()), **interval_stats(effect)})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        """As a reduced-form scenario's, plus ``equilibrium`` (:meth:`equilibrium_summary`)."""
        return {**super().to_json(), "model": "structural",
                "equilibrium": _records(self.equilibrium_summary())}


def _thin(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = len(params["log_rationality"])
    keep = np.unique(np.linspace(0, n - 1, min(n, MAX_STRUCTURAL_DRAWS)).round().astype(int))
    return {k: v[keep] for k, v in params.items()}


def structural_scenario(result: Any, scenario: Scenario, frame: pd.DataFrame,
                        counterfactual_frame: pd.DataFrame, notes: list[str]
                        ) -> StructuralScenarioResult:
    """Solve the game on the factual and the intervened rows for each posterior draw.

    Raises
    ------
    ScenarioError
        When the fit's posterior does not match its strategic spec.
    """
    spec: StrategicSpec = result.spec
    try:
        params = _thin(posterior_params(result.idata["posterior"], spec))
    except SpecError as err:
        raise ScenarioError(str(err)) from err
    allies = list(result.panel.allies)
    eq_f = equilibrium_draws(spec, result.scaling, allies, frame, params)
    eq_c = equilibrium_draws(spec, result.scaling, allies, counterfactual_frame, params)
    prep = StructuralPrepared(scenario, spec, frame, [
        *notes, f"structural: the game re-solved for {len(params['log_rationality'])} "
                "posterior draws under the intervened primitives"])
    return StructuralScenarioResult(prep, natural_outcomes(spec, eq_f, params),
                                    natural_outcomes(spec, eq_c, params),
                                    {"factual": eq_f, "counterfactual": eq_c})
