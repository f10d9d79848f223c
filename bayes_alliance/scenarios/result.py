"""Scenario and sweep results: draws, tidy summaries, figures, atomic saving.

Summaries per ally-year and aggregated: for a set of ally-years the aggregate
of a draw is the unweighted mean over those ally-years, so the aggregate
effect's interval reflects posterior uncertainty about the average effect.
``effect_lo``/``effect_hi`` bound the central 90% interval over draws and
``p_increase`` is the share of draws with a positive effect.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.constants import CI_PROB
from bayes_alliance.errors import ScenarioError
from bayes_alliance.io import check_output_file, write_with
from bayes_alliance.scenarios.definition import Scenario
from bayes_alliance.scenarios.drivers import drivers_note
from bayes_alliance.scenarios.labels import outcome_label
from bayes_alliance.scenarios.plots import effects_figure, sweep_figure, trajectory_figure

_Q = ((1 - CI_PROB) / 2, 1 - (1 - CI_PROB) / 2)
#: at most this many allies get a panel in the trajectory figures (largest effects first)
MAX_ALLY_PANELS = 12


def interval_stats(effect: np.ndarray) -> dict[str, float]:
    """Mean, 90% interval and P(> 0) of a vector of effect draws."""
    lo, hi = np.quantile(effect, _Q)
    return {"effect_mean": float(effect.mean()), "effect_lo": float(lo),
            "effect_hi": float(hi), "p_increase": float((effect > 0).mean())}


def _stats(f: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    """Column-wise summaries of (draws, cells) arrays of factual and counterfactual values."""
    e = c - f
    qf = np.quantile(f, _Q, axis=0)
    qc = np.quantile(c, _Q, axis=0)
    qe = np.quantile(e, _Q, axis=0)
    return {"factual_mean": f.mean(0), "factual_lo": qf[0], "factual_hi": qf[1],
            "counterfactual_mean": c.mean(0), "counterfactual_lo": qc[0],
            "counterfactual_hi": qc[1], "effect_mean": e.mean(0), "effect_lo": qe[0],
            "effect_hi": qe[1], "p_increase": (e > 0).mean(0)}


def _averaging(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels of ``keys`` and the (rows, levels) matrix averaging rows within each level."""
    levels, pos = np.unique(keys, return_inverse=True)
    g = np.zeros((len(keys), len(levels)))
    g[np.arange(len(keys)), pos] = 1.0
    return levels, g / g.sum(axis=0, keepdims=True)


class ScenarioResult:
    """Factual and counterfactual evaluations of a scenario on a fit.

    Attributes
    ----------
    name, description
        From the scenario.
    scenario
        The :class:`~bayes_alliance.scenarios.definition.Scenario` evaluated.
    rows
        The scenario's ally-years (columns ``ally``, ``year`` and the factual
        covariates).
    factual, counterfactual
        Outcome -> ``(draws, rows)`` arrays on the natural scale (float64).
    drivers
        The fitted coefficients the effects act through, with their posterior
        summaries and identification labels
        (:func:`~bayes_alliance.scenarios.drivers.scenario_drivers`).
    notes
        Remarks such as allies left out for lack of rows, and what the effects
        rest on.
    """

    def __init__(self, prep: Any, factual: dict[str, np.ndarray],
                 counterfactual: dict[str, np.ndarray],
                 drivers: pd.DataFrame | None = None) -> None:

        self.scenario: Scenario = prep.scenario
        self.name = prep.scenario.name
        self.description = prep.scenario.description
        self.rows: pd.DataFrame = prep.frame
        self.factual = factual
        self.counterfactual = counterfactual
        self.notes: list[str] = list(prep.notes)
        self.drivers = drivers if drivers is not None else pd.DataFrame()
        note = drivers_note(self.drivers)
        if note:
            self.notes.append(note)
        self.outcomes = list(prep.spec.outcome_names)
        if "intervene" in self.outcomes:
            self.notes.append(participation_note(self.rows["year"]))
        self.labels = {o.name: outcome_label(o) for o in prep.spec.outcomes}
        self.summary: pd.DataFrame = self._summary()

    @property
    def n_draws(self) -> int:
        """Number of posterior draws used."""
        return int(next(iter(self.factual.values())).shape[0])

    # ------------------------------------------------------------------ tables
    def _summary(self) -> pd.DataFrame:
        allies = self.rows["ally"].to_numpy().astype(str)
        years = self.rows["year"].to_numpy().astype(int)
        ally_levels, g_ally = _averaging(allies)
        year_levels, g_year = _averaging(years)
        g_all = np.full((len(allies), 1), 1.0 / len(allies))
        n_ally = np.bincount(np.unique(allies, return_inverse=True)[1])
        n_year = np.bincount(np.unique(years, return_inverse=True)[1])
        parts = []
        for o in self.outcomes:
            f, c = self.factual[o], self.counterfactual[o]
            label, unit = self.labels[o]
            blocks = [
                (allies, years.astype(object), np.ones(len(allies), int), f, c),
                (ally_levels, np.full(len(ally_levels), "all", object), n_ally,
                 f @ g_ally, c @ g_ally),
                (np.full(len(year_levels), "all"), year_levels.astype(object), n_year,
                 f @ g_year, c @ g_year),
                (np.array(["all"]), np.array(["all"], object), np.array([len(allies)]),
                 f @ g_all, c @ g_all),
            ]
            for a, y, n, fb, cb in blocks:
                table = pd.DataFrame({"outcome": o, "label": label, "unit": unit,
                                      "ally": a, "year": y, "n_ally_years": n})
                for k, v in _stats(fb, cb).items():
                    table[k] = v
                parts.append(table)
        return pd.concat(parts, ignore_index=True)

    def aggregate(self) -> pd.DataFrame:
        """The summary rows over all of the scenario's ally-years (one per outcome)."""
        s = self.summary
        return s[(s["ally"] == "all") & (s["year"] == "all")].reset_index(drop=True)

    @cached_property
    def draws(self) -> xr.Dataset:
        """Draws as an xarray Dataset with dims ``(draw, ally, year)`` (float32).

        Variables ``<outcome>_factual``, ``<outcome>_counterfactual`` and
        ``<outcome>_effect``; ally-years outside the treaty years are NaN.
        ``draw`` runs over chains and draws of the fit, flattened.
        """
        allies = sorted(self.rows["ally"].astype(str).unique())
        years = sorted(int(y) for y in self.rows["year"].unique())
        ai = self.rows["ally"].map({a: i for i, a in enumerate(allies)}).to_numpy()
        yi = self.rows["year"].map({y: i for i, y in enumerate(years)}).to_numpy()
        s = self.n_draws
        data = {}
        for o in self.outcomes:
            label, unit = self.labels[o]
            for kind, values in (("factual", self.factual[o]),
                                 ("counterfactual", self.counterfactual[o]),
                                 ("effect", self.counterfactual[o] - self.factual[o])):
                grid = np.full((s, len(allies), len(years)), np.nan, dtype=np.float32)
                grid[:, ai, yi] = values
                data[f"{o}_{kind}"] = xr.DataArray(
                    grid, dims=("draw", "ally", "year"),
                    attrs={"long_name": f"{label} ({kind})", "units": unit})
        return xr.Dataset(data, coords={"draw": np.arange(s), "ally": allies, "year": years},
                          attrs={"scenario": self.name})

    # ------------------------------------------------------------------ figures
    @cached_property
    def figures(self) -> dict[str, Any]:
        """Name -> matplotlib Figure: ``effects`` and ``trajectory_<outcome>``."""
        figs = {"effects": effects_figure(self)}
        for o in self.outcomes:
            figs[f"trajectory_{o}"] = trajectory_figure(self, o, MAX_ALLY_PANELS)
        return figs

    # ------------------------------------------------------------------ output
    def to_json(self) -> dict[str, Any]:
        """JSON-friendly headline numbers: the scenario, aggregates and per-ally effects."""
        s = self.summary
        per_ally = s[(s["ally"] != "all") & (s["year"] == "all")]
        return {
            "scenario": self.scenario.to_dict(),
            "n_draws": self.n_draws,
            "allies": sorted(self.rows["ally"].unique().tolist()),
            "years": [int(self.rows["year"].min()), int(self.rows["year"].max())],
            "n_ally_years": len(self.rows),
            "interval": CI_PROB,
            "milex_note": "military spending is the median exp(eta) in % of GDP: the mean "
                          "of a log-Student-t does not exist",
            "aggregate": _records(self.aggregate()),
            "per_ally": _records(per_ally),
            "drivers": _records(self.drivers),
            "notes": self.notes,
        }

    def save(self, out_dir: str | Path, *, force: bool = False,
             inputs: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Path]:
        """Write ``summary.csv``, ``drivers.csv``, ``scenario.json``, ``figures/*.png`` atomically.

        Raises
        ------
        ScenarioError
            When one of these files exists and ``force`` is False, or is one of
            ``inputs`` (other files in ``out_dir`` are left alone).
        """
        return _save(Path(out_dir), force, {
            "summary.csv": lambda p: self.summary.to_csv(p, index=False),
            "drivers.csv": lambda p: self.drivers.to_csv(p, index=False),
            "scenario.json": lambda p: p.write_text(_dumps(self.to_json()), encoding="utf-8"),
            **{f"figures/{k}.png": _png(fig) for k, fig in self.figures.items()},
        }, inputs)


class SweepResult:
    """A dose-response grid: the average effect for each value of one intervention."""

    def __init__(self, scenario: Scenario, key: str, values: list[float], table: pd.DataFrame,
                 notes: list[str]) -> None:
        self.scenario = scenario
        self.name = scenario.name
        self.key = key
        self.values = values
        self.table = table
        self.notes = notes

    @cached_property
    def figure(self) -> Any:
        """The dose-response curves, one panel per outcome."""
        return sweep_figure(self)

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly form of the grid."""
        return {"scenario": self.scenario.to_dict(), "key": self.key, "values": self.values,
                "interval": CI_PROB, "table": _records(self.table), "notes": self.notes}

    def save(self, out_dir: str | Path, *, force: bool = False,
             inputs: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Path]:
        """Write ``sweep.csv``, ``sweep.json`` and ``figures/sweep.png`` atomically.

        Same rules as :meth:`ScenarioResult.save`.
        """
        return _save(Path(out_dir), force, {
            "sweep.csv": lambda p: self.table.to_csv(p, index=False),
            "sweep.json": lambda p: p.write_text(_dumps(self.to_json()), encoding="utf-8"),
            "figures/sweep.png": _png(self.figure),
        }, inputs)


def participation_note(years: pd.Series) -> str:
    """What the war-participation probability means, in particular in years without a war."""
    from bayes_alliance.data.build_outcomes import intervention_years

    wars = intervention_years()
    peace = sorted({int(y) for y in years} - wars)
    text = ("war participation probability: the chance that the ally would join a US-led war "
            "if one were under way that year, given its covariates")
    if not peace:
        return text + "; every year of this scenario had a US-led war"
    shown = ", ".join(map(str, peace[:8])) + (" ..." if len(peace) > 8 else "")
    return (text + f". {len(peace)} of its years had no US-led war ({shown}); there the "
            "number is hypothetical (what the ally would do were a war to start), not a "
            "forecast that it fights")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()})
    return out


def _dumps(payload: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        return str(obj)

    return json.dumps(payload, indent=1, default=default) + "\n"


def _png(fig: Any) -> Any:
    return lambda p: fig.savefig(p, format="png", dpi=110)


def check_outputs(out_dir: Path, names: Iterable[str], *, force: bool,
                  inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Check that the files ``names`` may be written into ``out_dir``.

    ``force`` replaces only these files; other files in the folder and the
    inputs are never touched (:func:`bayes_alliance.io.check_output_file`).

    Raises
    ------
    ScenarioError
        When a file exists without ``force``, is a folder, or is an input.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ScenarioError(f"--out {out_dir} is a file; give a folder for the scenario files")
    inputs = list(inputs)
    for name in names:
        try:
            check_output_file(out_dir / name, force=force, inputs=inputs)
        except FileExistsError as err:
            raise ScenarioError(str(err)) from None


def _save(out_dir: Path, force: bool, writers: dict[str, Any],
          inputs: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Path]:

    check_outputs(out_dir, writers, force=force, inputs=inputs)
    written = {}
    for name, writer in writers.items():
        written[name] = write_with(out_dir / name, writer, force=True)
    return written
