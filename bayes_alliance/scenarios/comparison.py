r"""Reduced form and structural answers to one scenario, beside what happened.

For a scenario whose TOML carries a ``[history]`` table (the Korea presets),
each fit in the report (reduced-form joint and strategic alike) is asked the
same question, and one table shows, per fit, the predicted change of the
historical ally's military spending and exit pursuit with what happened.
The change is the scenario's effect averaged over the ally's scenario years,
:math:`\Delta^{(s)} = \frac{1}{T}\sum_t (y^{cf,(s)}_t - y^{f,(s)}_t)`, reported
by its posterior mean and 90% interval (the ``ally = <code>, year = all`` row of
:attr:`~bayes_alliance.scenarios.result.ScenarioResult.summary`). A
reduced-form fit moves its inputs with its coefficients held fixed; a
strategic fit re-solves the game, so the patron's reassurance answers too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from bayes_alliance.constants import CI_PROB
from bayes_alliance.models.strategic.spec import is_strategic

#: history key -> the panel column of the outcome it describes
COMPARED: dict[str, str] = {"spending": "milex_gdp", "exit": "exit_pursuit"}
#: years before a scenario's start that the panel-record line averages over
RECORD_YEARS = 3


def panel_record(frame: pd.DataFrame, ally: str, start: int, end: int, column: str, *,
                 synthetic: bool = False) -> str:
    """The panel's observed mean of ``column`` for ``ally`` before ``start`` and in the window.

    Empty when the panel has no observed value in either span; says so when
    the panel's outcomes are synthetic (then it is no record of history).
    """
    rows = frame[frame["ally"].astype(str) == ally]
    before = rows.loc[rows["year"].between(start - RECORD_YEARS, start - 1), column].dropna()
    during = rows.loc[rows["year"].between(start, end), column].dropna()
    if before.empty or during.empty:
        return ""
    what = "Synthetic panel (not history)" if synthetic else "Panel record"
    return (f"{what}: mean {before.mean():#.3g} in {start - RECORD_YEARS}-{start - 1}, "
            f"{during.mean():#.3g} in {start}-{end}.")


def comparison_table(results: Mapping[str, Any], runs: Mapping[str, Any]) -> pd.DataFrame:
    """Per fit and compared outcome: predicted change of the historical ally, and history.

    Parameters
    ----------
    results
        Run name -> scenario result of the same scenario (one with a history).
    runs
        Run name -> the :class:`~bayes_alliance.results.FitResult` (joint or
        strategic); its spec names the outcomes and its panel gives the record
        that follows the history's text (flagged when the panel is synthetic).

    Returns
    -------
    pandas.DataFrame
        Index ``fit``, ``outcome`` (``spending``, ``exit``); columns ``model``
        (reduced form or structural), ``measure`` (the outcome's label and
        unit), ``predicted change`` (mean [90% interval]), ``P(increase)``
        and ``what happened``. A fit without the outcome gets a row saying so.
    """
    scenario = next(iter(results.values())).scenario
    history = dict(scenario.history)
    ally = history["ally"]
    rows = []
    for run, res in results.items():
        spec, panel = runs[run].spec, runs[run].panel
        model = "structural" if is_strategic(spec) else "reduced form"
        s = res.summary
        for key, column in COMPARED.items():
            outcome = next((o.name for o in spec.outcomes if o.column == column),
                           None)
            happened = history.get(key, "")
            if outcome is not None:
                years = res.rows.loc[res.rows["ally"].astype(str) == ally, "year"]
                record = (panel_record(panel.frame, ally, scenario.start, int(years.max()),
                                       column, synthetic=panel.synthetic)
                          if not years.empty else "")
                happened = f"{happened} {record}".strip()
            row = {"fit": run, "outcome": key, "model": model, "measure": "",
                   "predicted change": "",
                   "P(increase)": float("nan"), "what happened": happened}
            hit = s[(s["outcome"] == outcome) & (s["ally"].astype(str) == ally)
                    & (s["year"].astype(str) == "all")] if outcome is not None else s.iloc[:0]
            if hit.empty:
                row["predicted change"] = (f"not modelled ({column} is not an outcome)"
                                           if outcome is None else f"no {ally} rows")
            else:
                h = hit.iloc[0]
                row["measure"] = f"{h['label']} ({h['unit']})"
                row["predicted change"] = (f"{h['effect_mean']:#.3g} [{h['effect_lo']:#.3g}, "
                                           f"{h['effect_hi']:#.3g}]")
                row["P(increase)"] = float(h["p_increase"])
            rows.append(row)
    return pd.DataFrame(rows).set_index(["fit", "outcome"])


def caption(scenario: Any) -> str:
    """The table's caption: what the change is, what happened to the intervention, sources."""
    history = dict(scenario.history)
    text = (f"Scenario '{scenario.name}', {history['ally']}: predicted change = counterfactual "
            f"minus factual averaged over its scenario years (posterior mean [{CI_PROB:.0%} "
            "interval]); reduced form: inputs moved, coefficients fixed; structural: the game "
            "re-solved.")
    if "troops" in history:
        text += f" What the patron did: {history['troops']}"
    if "sources" in history:
        text += f" Sources: {history['sources']}"
    return text
