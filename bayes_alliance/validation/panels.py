"""Covariate skeletons for validation runs (SBC, parameter recovery).

A skeleton is a slice of the default panel's *covariates*
(:func:`~bayes_alliance.synthetic.simulate_covariates`): real allies and
years, simulated covariates, placeholder outcomes. The model's own generative
graph then draws the outcomes onto it. Allies are taken in a fixed order
(:data:`ALLY_ORDER`) so that a size always names the same allies: the first
ten have treaty years covering 1950-1979 and include the nuclear hedgers
(JPN, ROK, TAW, AUL, GFR), so the exit outcome varies in small panels too.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from bayes_alliance.errors import ValidationRunError
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.synthetic import SEED, simulate_covariates

#: fixed order in which allies enter a skeleton of ``n`` allies
ALLY_ORDER: tuple[str, ...] = (
    "ROK", "JPN", "TAW", "AUL", "GFR", "UKG", "FRN", "ITA", "TUR", "PHI",
    "THI", "CAN", "NTH", "BEL", "NOR", "DEN", "GRC", "POR", "NEW", "PAK",
    "BRA", "ARG", "MEX", "COL", "CHL", "PER", "VEN", "SPN", "LUX", "ICE",
)


def skeleton(n_allies: int, first_year: int | None = None, n_years: int | None = None,
             seed: int | None = None) -> pd.DataFrame:
    """A covariate-only panel of the first ``n_allies`` allies of :data:`ALLY_ORDER`.

    Parameters
    ----------
    n_allies
        Number of allies (1 to ``len(ALLY_ORDER)``).
    first_year, n_years
        Keep the years ``first_year .. first_year + n_years - 1`` (both or
        neither); ``None`` keeps every treaty year of each ally.
    seed
        Seed of :func:`~bayes_alliance.synthetic.simulate_covariates`
        (default: the default panel's seed).

    Returns
    -------
    pandas.DataFrame
        Rows sorted by ally and year, index reset.

    Raises
    ------
    ValidationRunError
        For a size outside the range or a window some ally does not cover.
    """
    if not 1 <= n_allies <= len(ALLY_ORDER):
        raise ValidationRunError(f"n_allies must be 1..{len(ALLY_ORDER)}, got {n_allies}")
    if (first_year is None) != (n_years is None):
        raise ValidationRunError("give both first_year and n_years, or neither")
    cov = simulate_covariates(SEED if seed is None else seed)
    allies = list(ALLY_ORDER[:n_allies])
    frame = cov[cov["ally"].isin(allies)]
    if first_year is not None and n_years is not None:
        if n_years < 2:
            raise ValidationRunError(f"n_years must be >= 2, got {n_years}")
        last = first_year + n_years - 1
        frame = frame[frame["year"].between(first_year, last)]
        counts = frame.groupby("ally").size().reindex(allies, fill_value=0)
        short = counts[counts < n_years]
        if not short.empty:
            raise ValidationRunError(
                f"allies {', '.join(short.index)} are not allies in every year "
                f"{first_year}-{last}; pick another window or fewer allies")
    return frame.sort_values(["ally", "year"]).reset_index(drop=True)


@functools.lru_cache(maxsize=8)
def generating_model(spec: Any, priors: str, n_allies: int, first_year: int | None = None,
                     n_years: int | None = None, seed: int | None = None) -> AllianceModel:
    """The model that draws outcomes onto :func:`skeleton` (cached per process).

    ``spec`` is a shipped name, a path or a :class:`~bayes_alliance.models.spec.ModelSpec`;
    the other arguments are those of :func:`skeleton`. Validation workers call
    this once per simulation, so the model is built once per structure.
    """
    frame = skeleton(n_allies, first_year, n_years, seed=seed)
    return AllianceModel.from_spec(spec, frame, priors=priors, require_outcomes=False)
