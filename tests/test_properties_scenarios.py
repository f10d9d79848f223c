"""Property-based tests of scenario definitions (``scenarios/definition.py``).

Random mutations of the shipped presets either parse to a scenario that
round-trips through :meth:`Scenario.to_raw` or raise :class:`ScenarioError`;
no other exception may escape. Valid random scenarios round-trip exactly.
"""

from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayes_alliance.errors import ScenarioError
from bayes_alliance.resources import models_path
from bayes_alliance.scenarios.definition import (
    OPERATIONS,
    Scenario,
    available_scenarios,
    load_scenario,
    parse_scenario,
)
from tests.property_strategies import JUNK, PROPS, mutated

PRESETS: list[dict[str, Any]] = []
for _name in available_scenarios():
    with open(models_path("scenarios", f"{_name}.toml"), "rb") as fh:
        PRESETS.append(tomllib.load(fh))


def check_round_trip(scenario: Scenario) -> None:
    raw = json.loads(json.dumps(scenario.to_raw()))  # file format, JSON-serialisable
    back = parse_scenario(raw, where="again")
    assert back == replace(scenario, source="again")
    assert back.to_dict() == {**scenario.to_dict(), "source": "again"}


def load_or_scenario_error(raw: Any) -> Scenario | None:
    """Parse ``raw``; None when it raised ScenarioError (any other exception fails)."""
    try:
        return load_scenario(raw) if isinstance(raw, dict) else parse_scenario(raw)
    except ScenarioError as err:
        assert str(err)
        return None


@PROPS
@given(st.sampled_from(PRESETS).flatmap(mutated))
def test_mutated_scenario_parses_or_raises_scenario_error(raw: Any) -> None:
    scenario = load_or_scenario_error(raw)
    if scenario is not None:
        check_round_trip(scenario)


@PROPS
@given(preset=st.sampled_from(PRESETS), key=st.sampled_from(["name", "allies", "start",
                                                              "interventions"]))
def test_missing_required_key_raises_naming_it(preset: dict[str, Any], key: str) -> None:
    raw = copy.deepcopy(preset)
    del raw[key]
    with pytest.raises(ScenarioError, match=f"missing required key '{key}'"):
        load_scenario(raw)


@PROPS
@given(preset=st.sampled_from(PRESETS),
       variable=st.sampled_from(sorted(OPERATIONS)) | st.text(max_size=10),
       value=JUNK)
def test_random_intervention_raises_only_scenario_error(preset: dict[str, Any], variable: str,
                                                        value: Any) -> None:
    raw = copy.deepcopy(preset)
    raw["interventions"] = {**raw["interventions"], variable: value}
    scenario = load_or_scenario_error(raw)
    if scenario is not None:
        assert variable in OPERATIONS and isinstance(value, dict)
        check_round_trip(scenario)


@PROPS
@given(variable=st.sampled_from(sorted(OPERATIONS)), data=st.data())
def test_huge_or_non_finite_values_raise_naming_the_operation(variable: str, data) -> None:
    op = data.draw(st.sampled_from(OPERATIONS[variable]))
    value = data.draw(st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**400,
                                       True, "1.0", [1.0]]))
    with pytest.raises(ScenarioError, match=rf"{variable}\.{op} must be a finite number"):
        load_scenario({"name": "x", "allies": ["all"], "start": 1970,
                       "interventions": {variable: {op: value}}})


#: typed fields of a scenario -> a predicate for the values they accept
TYPED_FIELDS: dict[tuple, Any] = {
    ("name",): lambda v: isinstance(v, str) and v.strip(),
    ("description",): lambda v: isinstance(v, str),
    ("allies",): lambda v: (isinstance(v, str) and v.strip()) or (
        isinstance(v, list) and v and all(isinstance(a, str) and a.strip() for a in v)),
    ("start",): lambda v: isinstance(v, int) and not isinstance(v, bool),
    ("horizon",): lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)
                                          and v >= 1),
    ("schema_version",): lambda v: type(v) is int and v == 1,
    ("interventions",): lambda v: False,  # any JUNK replacing the presets' block is invalid
    ("interventions", "us_troops"): lambda v: False,
    ("interventions", "us_troops", "phase_in"): lambda v: (
        isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    ("interventions", "us_troops", "scale"): lambda v: (
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < float("inf")),
}


@PROPS
@given(path=st.sampled_from(sorted(TYPED_FIELDS, key=str)), data=st.data())
def test_wrongly_typed_field_raises_naming_it(path: tuple, data) -> None:
    value = data.draw(JUNK.filter(lambda v: not TYPED_FIELDS[path](v)))
    raw = copy.deepcopy(PRESETS[available_scenarios().index("carter-1977-korea")])
    table = raw
    for step in path[:-1]:
        table = table[step]
    table[path[-1]] = value
    named = "intervention" if path == ("interventions",) else str(path[-1])
    with pytest.raises(ScenarioError, match=named):
        load_scenario(raw)


@st.composite
def interventions(draw: st.DrawFn) -> dict[str, Any]:
    block = {}
    for variable in draw(st.lists(st.sampled_from(sorted(OPERATIONS)), min_size=1,
                                  unique=True)):
        op = draw(st.sampled_from(OPERATIONS[variable]))
        if (variable, op) == ("retrench", "set") and draw(st.booleans()):
            value: Any = "max"
        elif variable == "us_troops" and op in ("set", "scale"):
            value = draw(st.floats(0, 1e3) | st.integers(0, 500))
        else:
            value = draw(st.floats(-1e3, 1e3) | st.integers(-500, 500))
        block[variable] = {op: value}
        if draw(st.booleans()):
            block[variable]["phase_in"] = draw(st.integers(0, 20))
    return block


@st.composite
def valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": draw(st.text(min_size=1, max_size=12).filter(str.strip)),
        "allies": draw(st.lists(st.text(min_size=1, max_size=8).filter(str.strip),
                                min_size=1, max_size=4)),
        "start": draw(st.integers(1900, 2100)),
        "interventions": draw(interventions())}
    if draw(st.booleans()):
        raw["description"] = draw(st.text(max_size=30))
    if draw(st.booleans()):
        raw["horizon"] = draw(st.integers(1, 50))
    if draw(st.booleans()):
        raw["schema_version"] = 1
    return raw


@PROPS
@given(valid_scenarios())
def test_valid_scenarios_round_trip(raw: dict[str, Any]) -> None:
    scenario = load_scenario(raw)
    assert scenario.allies == tuple(a.strip() for a in raw["allies"])
    assert {i.variable for i in scenario.interventions} == set(raw["interventions"])
    for i in scenario.interventions:
        given_value = raw["interventions"][i.variable][i.op]
        assert i.value == (given_value if given_value == "max" else float(given_value))
        assert i.phase_in == raw["interventions"][i.variable].get("phase_in", 0)
    check_round_trip(scenario)


@pytest.mark.parametrize("name", available_scenarios())
def test_shipped_presets_round_trip(name: str) -> None:
    check_round_trip(load_scenario(name))
