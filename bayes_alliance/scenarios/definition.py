r"""Scenario files: what a counterfactual changes, for whom, and from when.

A scenario is a TOML file (presets in ``models/scenarios/``)::

    name = "carter-1977-korea"
    description = "... (source: ...)"
    allies = ["ROK"]          # ally codes, groups (nato, asia, ...), "a&b" intersections, "all"
    start = 1978              # first year of the intervention
    horizon = 8               # years start .. start + horizon - 1 (omit: to the data's end)

    [interventions.us_troops]
    scale = 0.2               # or set = <thousands>, or delta = <thousands>
    phase_in = 5              # optional: reach the full change linearly over 5 years

    [interventions.retrench]
    delta = 0.5               # or set = <index value> or set = "max"

    [interventions.reassurance]
    shift = -1.0              # latent intensity, in its own sd units

    [interventions.threat]
    delta = 0.5

    [history]                 # optional: what happened, for the report's comparison
    ally = "ROK"              # the ally the facts are about
    spending = "..."          # its military spending in the episode
    exit = "..."              # its exit pursuit (e.g. nuclear hedging)
    troops = "..."            # what the patron actually did
    sources = "..."           # where the facts come from

With ``phase_in = p`` the intervened value in year :math:`t` is
:math:`x + w_t (x^\ast - x)` with :math:`w_t = \min(1, (t - \text{start} + 1)/p)`,
:math:`x` the factual value and :math:`x^\ast` the fully intervened value.
"""

from __future__ import annotations

import difflib
import numbers
import os
from dataclasses import asdict, dataclass, replace
from typing import Any

from bayes_alliance.errors import ScenarioError
from bayes_alliance.models.spec import is_finite_number
from bayes_alliance.resources import read_shipped_toml, shipped_names

#: intervention variable -> allowed operations (plus ``phase_in``)
OPERATIONS: dict[str, tuple[str, ...]] = {
    "us_troops": ("set", "scale", "delta"),
    "retrench": ("set", "delta"),
    "reassurance": ("shift",),
    "threat": ("delta",),
}
#: unit of each intervention variable, for messages and plots
UNITS: dict[str, str] = {
    "us_troops": "thousands of US personnel",
    "retrench": "retrenchment index",
    "reassurance": "sd of the latent reassurance intensity",
    "threat": "threat index",
}
_TOP_KEYS = ("schema_version", "name", "description", "allies", "start", "horizon",
             "interventions", "history")
#: keys of a scenario's optional ``[history]`` table: what happened in the episode
HISTORY_KEYS = ("ally", "spending", "exit", "troops", "sources")


@dataclass(frozen=True)
class Intervention:
    """One change of one input.

    Attributes
    ----------
    variable
        ``us_troops``, ``retrench``, ``reassurance`` or ``threat``.
    op
        ``set``, ``scale``, ``delta`` or ``shift`` (see :data:`OPERATIONS`).
    value
        Number in the variable's natural units; ``retrench.set`` also takes
        ``"max"`` (the largest retrenchment value of the training panel).
    phase_in
        Years over which the change reaches its full size (0: at once).
    """

    variable: str
    op: str
    value: float | str
    phase_in: int = 0

    @property
    def key(self) -> str:
        """``variable.op``, the form used by sweeps."""
        return f"{self.variable}.{self.op}"


@dataclass(frozen=True)
class Scenario:
    """A counterfactual scenario (see the module docstring for the file format)."""

    name: str
    description: str
    allies: tuple[str, ...]
    start: int
    horizon: int | None
    interventions: tuple[Intervention, ...]
    source: str = "inline"
    #: ``[history]`` as (key, text) pairs in :data:`HISTORY_KEYS` order; empty if none
    history: tuple[tuple[str, str], ...] = ()

    def with_allies(self, allies: list[str] | tuple[str, ...]) -> Scenario:
        """The same scenario for other allies (codes or groups)."""
        if not allies:
            raise ScenarioError("no allies given")
        return replace(self, allies=tuple(str(a) for a in allies))

    def with_start(self, start: int) -> Scenario:
        """The same scenario starting in another year (its horizon unchanged)."""
        if not isinstance(start, numbers.Integral) or isinstance(start, bool):
            raise ScenarioError(f"start must be a year (integer), got {start!r}")
        return replace(self, start=int(start))

    def with_value(self, key: str, value: float) -> Scenario:
        """The scenario with intervention ``key`` (``variable.op``) set to ``value``.

        An existing intervention on the same variable is replaced (keeping its
        ``phase_in``); this is how sweeps build their grid.
        """
        variable, op = parse_key(key)
        old = [i for i in self.interventions if i.variable == variable]
        phase = old[0].phase_in if old else 0
        new = _intervention(variable, {op: value, "phase_in": phase}, f"sweep {key}")
        kept = tuple(i for i in self.interventions if i.variable != variable)
        return replace(self, interventions=(*kept, new))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    def to_raw(self) -> dict[str, Any]:
        """The scenario in the file format: ``parse_scenario(s.to_raw())`` gives ``s`` back."""
        raw: dict[str, Any] = {"name": self.name, "description": self.description,
                               "allies": list(self.allies), "start": self.start,
                               "interventions": {i.variable: {i.op: i.value,
                                                              "phase_in": i.phase_in}
                                                 for i in self.interventions}}
        if self.horizon is not None:
            raw["horizon"] = self.horizon
        if self.history:
            raw["history"] = dict(self.history)
        return raw


def parse_key(key: str) -> tuple[str, str]:
    """Split ``"us_troops.scale"`` into its variable and operation, checking both."""
    variable, _, op = key.partition(".")
    if variable not in OPERATIONS:
        raise ScenarioError(f"unknown intervention variable '{variable}' in '{key}'; valid: "
                            + ", ".join(OPERATIONS) + _hint(variable, OPERATIONS))
    if op not in OPERATIONS[variable]:
        raise ScenarioError(f"unknown operation '{op}' for {variable} in '{key}'; valid: "
                            + ", ".join(f"{variable}.{o}" for o in OPERATIONS[variable]))
    return variable, op


def available_scenarios() -> list[str]:
    """Names of the preset scenarios shipped in ``models/scenarios/``."""
    return shipped_names("scenarios")


def load_scenario(name_or_path: str | os.PathLike[str] | Scenario | dict[str, Any]
                  ) -> Scenario:
    """Load a preset by name (``"carter-1977-korea"``), a scenario TOML file or a dict.

    A dict has the keys of the TOML file (``name``, ``allies``, ``start``,
    ``interventions``, ...; see the module docstring).

    Raises
    ------
    ScenarioError
        For an unknown preset, unreadable TOML, unknown keys or values outside
        their domain, or another type; the message lists what is valid.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    if isinstance(name_or_path, dict):
        return parse_scenario(name_or_path, where="scenario dict")
    if not isinstance(name_or_path, str | os.PathLike):
        raise ScenarioError("a scenario is a preset name (e.g. 'carter-1977-korea'), a TOML "
                            "path, a dict with the TOML keys, or a Scenario; got "
                            f"{type(name_or_path).__name__}")
    raw, path = read_shipped_toml(name_or_path, ("scenarios",), kind="preset scenario",
                                  error=ScenarioError)
    return parse_scenario(raw, where=path.name)


def parse_scenario(raw: dict[str, Any], *, where: str = "scenario") -> Scenario:
    """Validate a scenario given as a dict (the parsed TOML).

    Raises
    ------
    ScenarioError
        For any key, type or value outside the format, naming the key.
    """
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a scenario is a table of keys ({', '.join(_TOP_KEYS)}), "
                            f"got {type(raw).__name__}")
    unknown = sorted(str(k) for k in set(raw) - set(_TOP_KEYS))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: "
                            f"{', '.join(_TOP_KEYS)}" + _hint(unknown[0], _TOP_KEYS))
    for key in ("name", "allies", "start", "interventions"):
        if key not in raw:
            raise ScenarioError(f"{where}: missing required key '{key}'")
    version = raw.get("schema_version", 1)
    if type(version) is not int or version != 1:
        raise ScenarioError(f"{where}: schema_version {version!r} is not supported (use 1)")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{where}: 'name' must be a non-empty string")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f"{where}: 'description' must be a string")
    allies = raw["allies"]
    if isinstance(allies, str):
        allies = [allies]
    if (not isinstance(allies, list) or not allies
            or not all(isinstance(a, str) and a.strip() for a in allies)):
        raise ScenarioError(f"{where}: 'allies' must be a non-empty list of ally codes or "
                            "groups, e.g. [\"ROK\"] or [\"nato&europe\"]")
    start = raw["start"]
    if not isinstance(start, int) or isinstance(start, bool):
        raise ScenarioError(f"{where}: 'start' must be a year (integer), got {start!r}")
    horizon = raw.get("horizon")
    if horizon is not None and (not isinstance(horizon, int) or isinstance(horizon, bool)
                                or horizon < 1):
        raise ScenarioError(f"{where}: 'horizon' must be a positive number of years, "
                            f"got {horizon!r}")
    block = raw["interventions"]
    if not isinstance(block, dict) or not block:
        raise ScenarioError(f"{where}: [interventions] must name at least one of "
                            + ", ".join(OPERATIONS))
    interventions = []
    for variable, spec in block.items():
        if variable not in OPERATIONS:
            raise ScenarioError(f"{where}: unknown intervention '{variable}'; valid: "
                                + ", ".join(OPERATIONS) + _hint(variable, OPERATIONS))
        if not isinstance(spec, dict):
            raise ScenarioError(f"{where}: [interventions.{variable}] must be a table, e.g. "
                                f"{variable} = {{ {OPERATIONS[variable][0]} = 1.0 }}")
        interventions.append(_intervention(variable, spec, where))
    return Scenario(name=name.strip(), description=description.strip(),
                    allies=tuple(a.strip() for a in allies), start=start, horizon=horizon,
                    interventions=tuple(interventions), source=where,
                    history=_history(raw.get("history"), where))


def _history(block: Any, where: str) -> tuple[tuple[str, str], ...]:
    """Validate the optional ``[history]`` table: non-empty strings, ``ally`` required."""
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise ScenarioError(f"{where}: [history] must be a table of texts, e.g. "
                            "history = { ally = \"ROK\", spending = \"...\" }")
    unknown = sorted(str(k) for k in set(block) - set(HISTORY_KEYS))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)} in [history]; "
                            f"valid: {', '.join(HISTORY_KEYS)}" + _hint(unknown[0], HISTORY_KEYS))
    if "ally" not in block:
        raise ScenarioError(f"{where}: [history] needs 'ally', the ally code the facts are "
                            "about (e.g. ally = \"ROK\")")
    for key, text in block.items():
        if not isinstance(text, str) or not text.strip():
            raise ScenarioError(f"{where}: history.{key} must be a non-empty string, "
                                f"got {text!r}")
    return tuple((k, " ".join(block[k].split())) for k in HISTORY_KEYS if k in block)


def _intervention(variable: str, spec: dict[str, Any], where: str) -> Intervention:
    valid = (*OPERATIONS[variable], "phase_in")
    unknown = sorted(str(k) for k in set(spec) - set(valid))
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)} in "
                            f"[interventions.{variable}]; valid: {', '.join(valid)}"
                            + _hint(unknown[0], valid))
    ops = [k for k in spec if k != "phase_in"]
    if len(ops) != 1:
        raise ScenarioError(f"{where}: [interventions.{variable}] needs exactly one of "
                            f"{', '.join(OPERATIONS[variable])}, got "
                            f"{', '.join(ops) if ops else 'none'}")
    op = ops[0]
    value = spec[op]
    phase = spec.get("phase_in", 0)
    if not isinstance(phase, int) or isinstance(phase, bool) or phase < 0:
        raise ScenarioError(f"{where}: {variable}.phase_in must be a whole number of years "
                            f">= 0, got {phase!r}")
    if variable == "retrench" and op == "set" and value == "max":
        return Intervention(variable, op, "max", phase)
    if not is_finite_number(value):
        extra = " or \"max\"" if (variable, op) == ("retrench", "set") else ""
        raise ScenarioError(f"{where}: {variable}.{op} must be a finite number{extra} "
                            f"({UNITS[variable]}), got {value!r}")
    value = float(value)
    if variable == "us_troops" and op in ("set", "scale") and value < 0:
        what = "troop level" if op == "set" else "scale factor"
        raise ScenarioError(f"{where}: us_troops.{op} = {value:g} is negative; the {what} "
                            "must be >= 0 (thousands of personnel / a factor, e.g. 0.5)")
    return Intervention(variable, op, value, phase)


def _hint(word: str, valid: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(v) for v in valid], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
