"""Counterfactual withdrawal scenarios (the presets' episodes: docs/episodes.md).

Load a scenario (:func:`load_scenario`: a preset from ``models/scenarios/`` or a
TOML file), evaluate it on a fit (:func:`run_scenario`) or sweep one of its
interventions over a grid (:func:`sweep`). :mod:`bayes_alliance.scenarios.engine`
sets the fitted model's inputs and evaluates its own graph
(:mod:`bayes_alliance.models.predictor`); on a strategic fit
:mod:`bayes_alliance.scenarios.structural` re-solves the game instead;
:mod:`bayes_alliance.scenarios.bench` times it.
"""

from __future__ import annotations

from bayes_alliance.scenarios.definition import (
    OPERATIONS,
    Intervention,
    Scenario,
    available_scenarios,
    load_scenario,
    parse_scenario,
)
from bayes_alliance.scenarios.engine import run_scenario, sweep
from bayes_alliance.scenarios.result import ScenarioResult, SweepResult

__all__ = [
    "OPERATIONS",
    "Intervention",
    "Scenario",
    "ScenarioResult",
    "SweepResult",
    "available_scenarios",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
    "sweep",
]
