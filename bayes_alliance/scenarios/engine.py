r"""Evaluate a fitted model under factual and intervened inputs, draw by draw.

For posterior draw :math:`s`, ally-year :math:`r` and outcome :math:`k` the
linear predictor :math:`\eta^{(s)}_{k,r}` is the fitted model's own graph
(:mod:`bayes_alliance.models.joint`), evaluated on the scenario's rows by the
compiled :class:`~bayes_alliance.models.predictor.Predictor`; there is no second
implementation of the model here. A scenario changes the graph's ``pm.Data``
inputs only:

* covariate interventions change the design :math:`x, m` through
  :func:`~bayes_alliance.models.joint.make_inputs` under the training scaling,
  so they are given in natural units;
* ``reassurance.shift`` sets the ``latent_shift`` input :math:`\delta_r`: the
  standardised latent intensity :math:`\tilde\eta_R` moves by :math:`\delta_r`
  and the reassurance outcome's own predictor by :math:`\delta_r` times the
  model-implied sd of its numerator (the same shift on its log-rate scale).

Natural scales (per draw, no observation noise) are the families' summaries
(:mod:`bayes_alliance.models.families`): the *median* military spending in
percent of GDP (the mean does not exist under the Student-t on the log scale),
participation and exit probabilities (participation: the chance of joining a
US-led war were one under way that year), and the reassurance rate per
statement mentioning the ally (the log exposure is set to zero).

Each outcome is one ``(draws, rows)`` array.

A strategic fit has no linear predictor to move: :func:`run_scenario` hands
the same rows and intervened covariates to
:mod:`bayes_alliance.scenarios.structural`, which re-solves the game.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.data.default import allies_table
from bayes_alliance.errors import ScenarioError, SpecError
from bayes_alliance.models.joint import Inputs, make_inputs
from bayes_alliance.models.predictor import Predictor, predictor_for
from bayes_alliance.models.spec import ModelSpec
from bayes_alliance.models.strategic.spec import StrategicSpec
from bayes_alliance.scenarios.definition import Intervention, Scenario, load_scenario
from bayes_alliance.scenarios.drivers import scenario_drivers
from bayes_alliance.scenarios.labels import outcome_label
from bayes_alliance.scenarios.result import ScenarioResult, SweepResult, interval_stats
from bayes_alliance.scenarios.structural import structural_scenario


# ---------------------------------------------------------------------------- preparation
@dataclass
class Prepared:
    """A scenario checked against a fit: rows, factual inputs and the fit's predictor."""

    scenario: Scenario
    spec: ModelSpec
    scaling: Any
    allies: list[str]  # the fit's allies (index of u)
    years: list[int]  # the fit's years (index of year effects)
    frame: pd.DataFrame  # the scenario's ally-year rows, factual values
    factual: Inputs
    train_frame: pd.DataFrame
    predictor: Predictor
    notes: list[str] = field(default_factory=list)


def _group_table() -> dict[str, set[str]]:

    table = allies_table()
    groups: dict[str, set[str]] = {}
    for _, row in table.iterrows():
        for g in [*str(row["groups"]).split(";"), str(row["region"])]:
            if g and g != "nan":
                groups.setdefault(g.strip().lower(), set()).add(str(row["ally"]))
    return groups


def resolve_allies(tokens: tuple[str, ...], fitted: list[str]) -> tuple[list[str], set[str]]:
    """Ally codes selected by ``tokens`` among the fitted allies.

    Tokens are ally codes, groups (``nato``, ``asia``, ...; see
    ``data/facts/us_allies.csv``), intersections such as ``nato&europe``, or
    ``all``. Returns the sorted codes and the subset named explicitly.
    """
    groups = _group_table()
    fitted_set = set(fitted)
    known_codes = fitted_set | set().union(*groups.values())
    valid = (f"allies in this fit: {', '.join(fitted)}; groups: "
             f"{', '.join(sorted(groups))}, all; intersections like nato&europe")
    chosen: set[str] = set()
    explicit: set[str] = set()
    for token in tokens:
        members: set[str] | None = None
        for part in (p.strip() for p in token.split("&")):
            if part.upper() in known_codes:
                code = part.upper()
                if code not in fitted_set:
                    raise ScenarioError(f"ally '{code}' is not in the fitted panel; {valid}")
                these = {code}
                if "&" not in token:
                    explicit.add(code)
            elif part.lower() == "all":
                these = set(fitted_set)
            elif part.lower() in groups:
                these = groups[part.lower()] & fitted_set
            else:
                raise ScenarioError(f"unknown ally or group '{part}'; {valid}")
            members = these if members is None else members & these
        if not members:
            raise ScenarioError(f"'{token}' selects no ally of the fitted panel; {valid}")
        chosen |= members
    return sorted(chosen), explicit


def select_rows(result: Any, scenario: str | Scenario | dict[str, Any], *,
                allies: list[str] | None = None, start: int | None = None
                ) -> tuple[Scenario, pd.DataFrame, list[str]]:
    """The scenario (with ``allies`` and ``start`` applied), its ally-year rows and notes.

    Raises
    ------
    ScenarioError
        Unknown allies or groups, a start year outside the data, a horizon past
        the data, or an intervention on a variable the model does not use.
    """
    scen = load_scenario(scenario)
    if allies:
        scen = scen.with_allies(allies)
    if start is not None:
        scen = scen.with_start(start)
    spec = result.spec
    train = result.panel.frame.reset_index(drop=True)
    fit_allies = sorted(train["ally"].astype(str).unique().tolist())
    fit_years = sorted(int(y) for y in train["year"].unique())
    used = set(spec.covariates_used())
    for iv in scen.interventions:
        if iv.variable == "reassurance":
            if getattr(spec, "latent_outcome", None) is None:
                raise ScenarioError(f"scenario '{scen.name}': reassurance.shift needs a model "
                                    f"with the latent reassurance intensity; spec "
                                    f"'{spec.name}' has none (outcomes: "
                                    f"{', '.join(spec.outcome_names)})")
        elif iv.variable not in used:
            raise ScenarioError(f"scenario '{scen.name}': the model (spec '{spec.name}') does "
                                f"not use '{iv.variable}', so intervening on it would change "
                                f"nothing; covariates it uses: {', '.join(sorted(used))}")
    codes, explicit = resolve_allies(scen.allies, fit_allies)
    first, last = fit_years[0], fit_years[-1]
    if not first <= scen.start <= last:
        raise ScenarioError(f"scenario '{scen.name}': start year {scen.start} is outside the "
                            f"data, which cover {first}-{last}; pass another start year in "
                            f"that range (CLI: --start YEAR, Python: start=YEAR)")
    end = last if scen.horizon is None else scen.start + scen.horizon - 1
    if end > last:
        raise ScenarioError(f"scenario '{scen.name}': horizon {scen.horizon} runs to {end}, "
                            f"past the data's last year {last}; covariate paths beyond the "
                            f"data are not available: use horizon <= {last - scen.start + 1}")
    rows = train[train["ally"].isin(codes) & train["year"].between(scen.start, end)]
    present = set(rows["ally"])
    notes = []
    absent_named = sorted(explicit - present)
    if absent_named:
        spans = {a: (int(train.loc[train.ally == a, "year"].min()),
                     int(train.loc[train.ally == a, "year"].max())) for a in absent_named}
        raise ScenarioError(f"scenario '{scen.name}': no data for "
                            + ", ".join(f"{a} (years {s[0]}-{s[1]})" for a, s in spans.items())
                            + f" in {scen.start}-{end}")
    dropped = sorted(set(codes) - present)
    if dropped:
        notes.append(f"no rows in {scen.start}-{end} for {', '.join(dropped)} (outside their "
                     "treaty years); left out")
    if rows.empty:
        raise ScenarioError(f"scenario '{scen.name}': no ally-years in {scen.start}-{end} for "
                            f"{', '.join(codes)}")
    return scen, rows.sort_values(["ally", "year"]).reset_index(drop=True), notes


def prepare(result: Any, scenario: str | Scenario, *, allies: list[str] | None = None,
            start: int | None = None) -> Prepared:
    """Check ``scenario`` against the fit and build the factual inputs of its rows.

    Raises
    ------
    ScenarioError
        As :func:`select_rows`.
    """
    scen, frame, notes = select_rows(result, scenario, allies=allies, start=start)
    spec: ModelSpec = result.spec
    train = result.panel.frame.reset_index(drop=True)
    fit_allies = sorted(train["ally"].astype(str).unique().tolist())
    fit_years = sorted(int(y) for y in train["year"].unique())
    factual = _inputs(spec, result.scaling, frame, fit_allies, fit_years, train)
    return Prepared(scen, spec, result.scaling, fit_allies, fit_years, frame, factual, train,
                    predictor_for(result), notes)


def _inputs(spec: ModelSpec, scaling: Any, frame: pd.DataFrame, allies: list[str],
            years: list[int], train: pd.DataFrame) -> Inputs:
    """Design of ``frame`` with zero log exposure (counts as rates per unit of exposure)."""
    try:
        inputs = make_inputs(spec, scaling, frame, allies, years, train)
    except SpecError as err:
        raise ScenarioError(f"the intervened covariates leave the model's domain: {err}") from err
    return replace(inputs, log_exposure=np.zeros(len(frame)))


def phase_weights(years: np.ndarray, start: int, phase_in: int) -> np.ndarray:
    r"""Share of the full change in each year: :math:`\min(1, (t - start + 1)/p)`."""
    if phase_in <= 1:
        return np.ones(len(years))
    return np.clip((np.asarray(years, float) - start + 1) / phase_in, 0.0, 1.0)


def intervened_frame(scenario: Scenario, frame: pd.DataFrame, train_frame: pd.DataFrame,
                     interventions: tuple[Intervention, ...] | None = None
                     ) -> tuple[pd.DataFrame, np.ndarray]:
    """The scenario's rows with intervened covariates, and the latent shift per row.

    Raises
    ------
    ScenarioError
        When an intervention drives US troops below zero.
    """
    ivs = scenario.interventions if interventions is None else interventions
    frame = frame.copy()
    years = frame["year"].to_numpy()
    shift = np.zeros(len(frame))
    for iv in ivs:
        w = phase_weights(years, scenario.start, iv.phase_in)
        if iv.variable == "reassurance":
            shift = shift + w * float(iv.value)
            continue
        x = frame[iv.variable].to_numpy(float)
        if iv.op == "set":
            value = (float(train_frame[iv.variable].max()) if iv.value == "max"
                     else float(iv.value))
            target = np.full_like(x, value)
        elif iv.op == "scale":
            target = x * float(iv.value)
        else:  # delta
            target = x + float(iv.value)
        new = x + w * (target - x)
        if iv.variable == "us_troops" and np.any(new < 0):
            bad = frame.loc[new < 0, ["ally", "year"]].astype(str).agg(" ".join, axis=1)
            raise ScenarioError(f"scenario '{scenario.name}': us_troops.{iv.op} = "
                                f"{iv.value} gives negative troop levels in "
                                f"{', '.join(bad.head(5))}; troops must be >= 0 (use "
                                "us_troops.set = 0 for a full withdrawal)")
        frame[iv.variable] = new
    return frame, shift


def intervened(prep: Prepared, interventions: tuple[Intervention, ...] | None = None
               ) -> Inputs:
    """Counterfactual inputs of the scenario's rows (with the latent shift per row).

    Raises
    ------
    ScenarioError
        As :func:`intervened_frame`.
    """
    frame, shift = intervened_frame(prep.scenario, prep.frame, prep.train_frame, interventions)
    return replace(_inputs(prep.spec, prep.scaling, frame, prep.allies, prep.years,
                           prep.train_frame),
                   latent_shift=shift)


# ---------------------------------------------------------------------------- evaluation
def linear_predictors(prep: Prepared, draws: dict[str, np.ndarray], inputs: Inputs
                      ) -> dict[str, np.ndarray]:
    r"""Linear predictor :math:`\eta` of each outcome, shape ``(draws, rows)``."""
    return prep.predictor(draws, inputs, kind="eta")


def evaluate(prep: Prepared, draws: dict[str, np.ndarray], inputs: Inputs
             ) -> dict[str, np.ndarray]:
    """Each outcome on its natural scale, shape ``(draws, rows)``."""
    return prep.predictor(draws, inputs, kind="natural")


def posterior_draws(result: Any, prep: Prepared) -> dict[str, np.ndarray]:
    """The fit's posterior draws of the predictor's parameters, flattened over chains."""
    try:
        return prep.predictor.draws_from(result.idata["posterior"])
    except SpecError as err:
        raise ScenarioError(str(err)) from err


def run_scenario(result: Any, scenario: str | Scenario | dict[str, Any], *,
                 allies: list[str] | None = None, start: int | None = None,
                 identification: dict[str, str] | None = None) -> Any:
    """Evaluate ``scenario`` on a fitted model.

    Parameters
    ----------
    result
        A :class:`~bayes_alliance.results.FitResult`.
    scenario
        Preset name, TOML path, dict with the TOML keys, or :class:`Scenario`.
    allies
        Ally codes or groups replacing the scenario's own.
    start
        First year of the intervention, replacing the scenario's own.
    identification
        Optional readable coefficient name -> label of an identification check
        (:func:`~bayes_alliance.scenarios.drivers.scenario_drivers`).

    Returns
    -------
    ScenarioResult
        Factual and counterfactual draws per ally-year, their difference,
        the tidy summary, the coefficients the effects rest on (``drivers``)
        and figures. On a strategic fit a
        :class:`~bayes_alliance.scenarios.structural.StructuralScenarioResult`:
        the game re-solved under the intervention (no drivers: every
        primitive's link acts through the equilibrium).
    """
    if isinstance(result.spec, StrategicSpec):
        scen, frame, notes = select_rows(result, scenario, allies=allies, start=start)
        cf_frame, _ = intervened_frame(scen, frame, result.panel.frame)
        return structural_scenario(result, scen, frame, cf_frame, notes)
    prep = prepare(result, scenario, allies=allies, start=start)
    draws = posterior_draws(result, prep)
    factual = evaluate(prep, draws, prep.factual)
    counterfactual = evaluate(prep, draws, intervened(prep))
    ivs = prep.scenario.interventions
    drivers = scenario_drivers(prep.spec, result.idata["posterior"],
                               {iv.variable for iv in ivs if iv.variable != "reassurance"},
                               any(iv.variable == "reassurance" for iv in ivs), identification)
    return ScenarioResult(prep, factual, counterfactual, drivers)


def sweep(result: Any, scenario: str | Scenario | dict[str, Any], key: str,
          values: list[float], *, allies: list[str] | None = None,
          start: int | None = None) -> Any:
    """Dose-response: the scenario's average effect for each value of one intervention.

    Parameters
    ----------
    key
        ``variable.op``, e.g. ``"us_troops.scale"``; it replaces any intervention
        on that variable in the scenario (the others stay).
    values
        The grid, e.g. ``[0, 0.25, 0.5, 0.75, 1]``.

    Returns
    -------
    SweepResult
        ``.table`` (one row per value and outcome: mean over the scenario's
        ally-years, per draw, then summarised), ``.figure`` and ``.save``.
    """
    if not values:
        raise ScenarioError("a sweep needs at least one value")
    if isinstance(result.spec, StrategicSpec):
        raise ScenarioError("a sweep is not available on a strategic fit yet; run the "
                            "scenario once per value (run_scenario with with_value)")
    base = load_scenario(scenario)
    if allies:
        base = base.with_allies(allies)
    if start is not None:
        base = base.with_start(start)
    grid = [base.with_value(key, float(v)) for v in values]  # validates every value first
    prep = prepare(result, grid[0])
    draws = posterior_draws(result, prep)
    factual = evaluate(prep, draws, prep.factual)
    rows = []
    for value, scen in zip(values, grid, strict=True):
        prep.scenario = scen
        cf = evaluate(prep, draws, intervened(prep))
        for o in prep.spec.outcomes:
            label, unit = outcome_label(o)
            f_mean = factual[o.name].mean(axis=1)
            c_mean = cf[o.name].mean(axis=1)
            rows.append({"key": key, "value": float(value), "outcome": o.name, "label": label,
                         "unit": unit, "factual_mean": float(f_mean.mean()),
                         "counterfactual_mean": float(c_mean.mean()),
                         **interval_stats(c_mean - f_mean)})
    prep.scenario = base
    return SweepResult(base, key, [float(v) for v in values], pd.DataFrame(rows), prep.notes)
