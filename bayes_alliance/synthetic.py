"""Synthetic panels: real allies and years, simulated covariates, outcomes from the model.

The covariates are simulated by :func:`simulate_covariates` (plausible shapes: a
Cold-War threat profile, US troop levels of the right order for the large hosts,
a retrenchment index peaking in the Mansfield/post-Vietnam years and after the
Cold War); the outcomes are then drawn by the joint model's own generative graph
(:meth:`~bayes_alliance.models.model.AllianceModel.simulate`) at the known
parameters :data:`TRUE_PARAMS`. :func:`write_default_panel` writes the shipped
default panel (``data/default_panel.csv``) and its truth file this way.

This module uses the model, so it sits above it (with validation; the layers are in
the README's development section); reading the shipped panel stays in
:mod:`bayes_alliance.data.default`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_alliance.constants import FIRST_YEAR, LAST_YEAR
from bayes_alliance.data.default import (
    PANEL_FILE,
    TRUTH_FILE,
    allies_table,
    default_panel_path,
    intervention_years,
)
from bayes_alliance.io import write_text_atomic
from bayes_alliance.models.model import AllianceModel

SEED = 19500625  # the day the Korean War began

#: true parameter values of the joint model used to draw the default panel; the signs
#: follow the formal model's hypotheses (bayes-alliance theory hypotheses)
TRUE_PARAMS: dict[str, object] = {
    "intercept": [-1.5, 0.8, -1.0, -3.0],
    "beta_reassure": [0.35, 0.30, -0.15, -0.15, 0.10],
    "beta_milex": [0.20, 0.05, -0.10, -0.05, 0.06, -0.12, 0.05],
    "beta_intervene": [0.30, 0.40, -0.20, -0.20],
    "beta_exit": [0.80, -0.25, -0.40, -0.50],
    "sd_ally": [0.5, 0.5, 0.8, 0.8],
    "corr_ally": [[1.0, -0.3, 0.2, 0.3],
                  [-0.3, 1.0, 0.3, 0.1],
                  [0.2, 0.3, 1.0, 0.0],
                  [0.3, 0.1, 0.0, 1.0]],
    "phi_reassure": 8.0,
    "sigma_milex": 0.15,
    "nu_milex": 6.0,
}

#: (first, last) years of serious nuclear hedging by allies (data/facts/nuclear_programmes.csv),
#: used to shape the simulated exit-capacity covariate only
_HEDGING = {"FRN": (1950, 1960), "UKG": (1950, 1952), "GFR": (1957, 1969), "ITA": (1957, 1958),
            "JPN": (1964, 1976), "ROK": (1970, 1982), "TAW": (1967, 1979), "AUL": (1956, 1973),
            "PAK": (1972, 1972), "SPN": (1982, 1987)}
#: rough order of magnitude of US troops (thousands) in the large hosts
_TROOPS = {"GFR": 230.0, "GMY": 70.0, "JPN": 45.0, "ROK": 45.0, "UKG": 25.0, "ITA": 12.0,
           "PHI": 12.0, "TAW": 6.0, "TUR": 6.0, "SPN": 6.0, "ICE": 3.0, "NTH": 2.5,
           "BEL": 2.0, "GRC": 3.0, "POR": 1.5, "PAN": 9.0, "CUB": 2.0, "THI": 5.0}
_REGION_THREAT = {"europe": 0.6, "asia": 0.9, "americas": -0.6}


def retrench_index(years: np.ndarray) -> np.ndarray:
    """Year-level retrenchment pressure used for the default panel (synthetic index).

    Peaks in the Mansfield and post-Vietnam years (1966-1975), after the Cold War
    (1990-1995) and during the Iraq overstretch (2004-2008).
    """
    y = np.asarray(years, float)
    bump = lambda c, w, h: h * np.exp(-0.5 * ((y - c) / w) ** 2)  # noqa: E731
    return bump(1971, 3.5, 1.5) + bump(1992, 2.5, 1.0) + bump(2006, 2.0, 0.7) - 0.4


def simulate_covariates(seed: int = SEED) -> pd.DataFrame:
    """Real ally-years with simulated covariates and outcome placeholders."""
    rng = np.random.default_rng(seed)
    allies = allies_table()
    war_years = intervention_years()
    rows = []
    for _, a in allies.iterrows():
        first, last = max(a.first_year, FIRST_YEAR), min(a.last_year, LAST_YEAR)
        years = np.arange(first, last + 1)
        n = len(years)
        size = rng.normal(0.0, 1.0)  # ally's economic/military weight
        threat_base = _REGION_THREAT[a.region] + rng.normal(0.0, 0.4)
        cold_war = np.where(years <= 1990, 1.0, 0.35)
        ar = np.zeros(n)
        for t in range(1, n):
            ar[t] = 0.8 * ar[t - 1] + rng.normal(0.0, 0.25)
        threat = threat_base * cold_war + ar
        hedge = np.zeros(n)
        if a.ally in _HEDGING:
            h0, h1 = _HEDGING[a.ally]
            hedge = ((years >= h0) & (years <= h1)).astype(float)
        exit_capacity = 0.4 * size + 1.2 * hedge + rng.normal(0.0, 0.3, n)
        growth = np.exp(0.03 * (years - 1950))
        gdp = np.exp(3.5 + 1.0 * size) * growth
        importance = 0.8 * size + 0.3 * (a.region != "americas") + rng.normal(0.0, 0.2, n)
        troops_level = _TROOPS.get(a.ally, float(np.exp(rng.normal(-3.0, 1.2))))
        troops = troops_level * np.exp(rng.normal(0.0, 0.15, n))
        if a.ally == "ROK":
            troops[years >= 1971] *= 0.65  # 7th Infantry Division withdrawn
        if a.ally in ("GMY", "UKG", "ITA", "NTH", "BEL"):
            troops[years >= 1993] *= 0.5  # post-Cold War drawdown in Europe
        if a.ally == "PHI":
            troops[years >= 1992] *= 0.02  # the bases close
        exposure = 1 + rng.poisson(np.exp(1.6 + 0.5 * importance + 0.3 * threat))
        for t, year in enumerate(years):
            rows.append({
                "ally": a.ally, "ccode": int(a.ccode), "year": int(year),
                "reassure": 0.0, "exposure": float(exposure[t]), "milex_gdp": 1.0,
                "intervene": 0.0 if year in war_years else np.nan, "exit_pursuit": 0.0,
                "threat": threat[t], "exit_capacity": exit_capacity[t],
                "importance": importance[t], "retrench": float(retrench_index([year])[0]),
                "us_troops": troops[t], "gdp": gdp[t],
            })
    return pd.DataFrame(rows)


def generate_default_panel(seed: int = SEED) -> tuple[pd.DataFrame, dict]:
    """Simulate the default panel with the joint model's generative graph.

    Returns
    -------
    frame
        The panel (rounded for storage).
    truth
        Every parameter value used (population level and drawn ally effects).
    """
    skeleton = simulate_covariates(seed)
    model = AllianceModel.from_spec("joint", skeleton, priors="weak", require_outcomes=False)
    frame, truth = model.simulate(TRUE_PARAMS, seed=seed + 1)
    frame = frame.round({c: 6 for c in ("milex_gdp", "threat", "exit_capacity", "importance",
                                        "retrench", "us_troops", "gdp")})
    keep = ("intercept", "beta_reassure", "beta_milex", "beta_intervene", "beta_exit",
            "sd_ally", "corr_ally", "phi_reassure", "sigma_milex", "nu_milex", "u_ally")
    truth_out = {"seed": seed, "spec": "joint", "outcomes": list(model.outcome_names),
                 "allies": model.panel.allies,
                 **{k: np.round(np.asarray(truth[k], float), 10).tolist() for k in keep}}
    return frame, truth_out


def write_default_panel(out_dir: Path | None = None, *, force: bool = False) -> tuple[Path, Path]:
    """Regenerate and write the default panel and its truth file atomically."""
    out_dir = Path(out_dir) if out_dir is not None else default_panel_path().parent
    frame, truth = generate_default_panel()
    panel_path = write_text_atomic(out_dir / PANEL_FILE, frame.to_csv(index=False), force=force)
    truth_path = write_text_atomic(out_dir / TRUTH_FILE, json.dumps(truth, indent=1) + "\n",
                                   force=force)
    return panel_path, truth_path
