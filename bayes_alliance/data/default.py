"""The shipped default panel: where it lives and the real facts it is drawn on.

Rows of ``data/default_panel.csv`` are the real US treaty allies in their real
treaty years, 1950-2010 (``data/facts/us_allies.csv``); ``intervene`` is defined
only in the real years of US-led wars (``data/facts/us_interventions.csv``).
Covariates and outcomes are synthetic: :mod:`bayes_alliance.synthetic` draws
them with the joint model's own generative graph (it needs the model, so it
sits above it; this module only reads what is shipped).

Regenerate with ``bayes-alliance data regenerate-default --force``; a test
checks that the shipped file equals a fresh regeneration.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from bayes_alliance.resources import data_path

PANEL_FILE = "default_panel.csv"
TRUTH_FILE = "default_truth.json"
DEFAULT_NOTE = ("outcomes and covariates are SYNTHETIC: drawn from the joint model at known "
                "parameters (data/default_truth.json); allies, treaty years and intervention "
                "years are real. Regenerate: bayes-alliance data regenerate-default --force")


def allies_table() -> pd.DataFrame:
    """The curated list of US treaty allies and their treaty years."""
    return pd.read_csv(data_path("facts", "us_allies.csv"))


def intervention_years() -> set[int]:
    """Years of US-led wars in which allies could take part."""
    wars = pd.read_csv(data_path("facts", "us_interventions.csv"))
    return {y for _, w in wars.iterrows() for y in range(w.first_year, w.last_year + 1)}


def default_panel_path() -> Path:
    """Path of the shipped default panel CSV."""
    return data_path(PANEL_FILE)


def default_truth() -> dict:
    """True parameters used to generate the default panel."""
    return json.loads(data_path(TRUTH_FILE).read_text(encoding="utf-8"))
