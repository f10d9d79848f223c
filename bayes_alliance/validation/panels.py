"""Covariate skeletons for validation runs (SBC, parameter recovery).

Two kinds of skeleton; the model's own generative graph then draws the
outcomes (and indicators) onto either, on the rows where each is observed.

* Synthetic (:func:`skeleton`): a slice of the default panel's *covariates*
  (:func:`~bayes_alliance.synthetic.simulate_covariates`): real allies and
  years, simulated covariates, placeholder outcomes. Allies are taken in a
  fixed order (:data:`ALLY_ORDER`) so that a size always names the same
  allies: the first ten have treaty years covering 1950-1979 and include the
  nuclear hedgers (JPN, ROK, TAW, AUL, GFR), so the exit outcome varies in
  small panels too.
* Real design (:func:`real_skeleton`): named allies and a window of years of
  the shipped real panel (``load_panel("real")``) with its covariates,
  exposure and alliance years (an ally whose treaty ends inside the window
  keeps only its treaty years) and the *missingness pattern* of every outcome
  and indicator column of the spec (e.g. joint exercises unobserved before
  1980, interventions observed only in war years, statements only where the
  corpus has sentences). The observed values themselves are replaced by a
  placeholder, so no real outcome enters a simulation.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from bayes_alliance.data.load import load_panel
from bayes_alliance.errors import ValidationRunError
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.spec import ModelSpec, load_spec
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


#: value written into every observed cell of an outcome or indicator column of a real
#: skeleton: valid for every family (a success, a count of one, a positive amount)
PLACEHOLDER = 1.0


def observed_columns(spec: ModelSpec) -> list[str]:
    """Columns of ``spec``'s outcomes and indicators (what a simulation draws)."""
    return list(dict.fromkeys([*(o.column for o in spec.outcomes),
                               *(i.column for i in spec.indicators)]))


def real_skeleton(spec: str | ModelSpec, allies: tuple[str, ...], first_year: int,
                  n_years: int) -> pd.DataFrame:
    """The real panel's design on ``allies`` x ``first_year .. first_year + n_years - 1``.

    Parameters
    ----------
    spec
        The spec whose outcome and indicator columns are masked (shipped name,
        path or :class:`~bayes_alliance.models.spec.ModelSpec`).
    allies
        Ally codes of the real panel (e.g. ``("ROK", "JPN", "FRN")``).
    first_year, n_years
        The window; an ally keeps the years of the window in which it is an
        ally (at least two).

    Returns
    -------
    pandas.DataFrame
        The real panel's rows, sorted by ally and year, index reset: covariates
        and exposure as in the real panel, every observed cell of an outcome or
        indicator column set to :data:`PLACEHOLDER`, every missing cell left
        missing.

    Raises
    ------
    ValidationRunError
        For no or repeated allies, an ally the real panel lacks, fewer than two
        years, an ally with fewer than two treaty years in the window, or a
        required outcome or indicator with no observed row in it.
    """
    if not allies or len(set(allies)) != len(allies):
        raise ValidationRunError(f"give distinct ally codes for a real skeleton, got "
                                 f"{', '.join(allies) or 'none'}")
    if n_years < 2:
        raise ValidationRunError(f"n_years must be >= 2, got {n_years}")
    frame = load_panel("real").frame
    unknown = sorted(set(allies) - set(frame["ally"]))
    if unknown:
        raise ValidationRunError(f"allies {', '.join(unknown)} are not in the real panel; "
                                 "use its ally codes (e.g. ROK, JPN, UKG)")
    last = first_year + n_years - 1
    frame = frame[frame["ally"].isin(allies) & frame["year"].between(first_year, last)]
    counts = frame.groupby("ally").size().reindex(list(allies), fill_value=0)
    short = counts[counts < 2]
    if not short.empty:
        raise ValidationRunError(f"allies {', '.join(short.index)} have fewer than two treaty "
                                 f"years in {first_year}-{last}; pick another window or ally")
    frame = frame.sort_values(["ally", "year"]).reset_index(drop=True)
    model_spec = load_spec(spec)
    required = [*(o.column for o in model_spec.outcomes if not o.optional),
                *(i.column for i in model_spec.indicators)]
    empty = [c for c in required if c in frame and frame[c].isna().all()]
    if empty:
        raise ValidationRunError(f"columns {', '.join(empty)} have no observed rows for these "
                                 f"allies in {first_year}-{last}; widen the window (e.g. "
                                 "interventions are observed only in war years, joint exercises "
                                 "from 1980)")
    for column in observed_columns(model_spec):
        if column in frame:
            frame[column] = frame[column].where(frame[column].isna(), PLACEHOLDER)
    return frame


def skeleton_frame(spec: str | ModelSpec, n_allies: int, first_year: int | None = None,
                   n_years: int | None = None, seed: int | None = None,
                   real_allies: tuple[str, ...] | None = None) -> pd.DataFrame:
    """:func:`real_skeleton` when ``real_allies`` is given, else :func:`skeleton`.

    Arguments as in :func:`generating_model`.
    """
    if real_allies is None:
        return skeleton(n_allies, first_year, n_years, seed=seed)
    if first_year is None or n_years is None:
        raise ValidationRunError("a real skeleton needs first_year and n_years")
    return real_skeleton(spec, real_allies, first_year, n_years)


def describe_skeleton(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, Any]:
    """Rows, allies, years and observed rows of each outcome and indicator column."""
    observed = {c: int(frame[c].notna().sum()) for c in observed_columns(spec) if c in frame}
    return {"rows": len(frame), "allies": sorted(frame["ally"].unique().tolist()),
            "years": [int(frame["year"].min()), int(frame["year"].max())],
            "rows_per_ally": {str(k): int(v) for k, v in frame.groupby("ally").size().items()},
            "observed_rows": observed}


@functools.lru_cache(maxsize=8)
def generating_model(spec: Any, priors: str, n_allies: int, first_year: int | None = None,
                     n_years: int | None = None, seed: int | None = None,
                     real_allies: tuple[str, ...] | None = None) -> AllianceModel:
    """The model that draws outcomes onto a skeleton (cached per process).

    ``spec`` is a shipped name, a path or a :class:`~bayes_alliance.models.spec.ModelSpec`.
    With ``real_allies`` the skeleton is :func:`real_skeleton` (``real_allies``,
    ``first_year``, ``n_years``; ``n_allies`` and ``seed`` are not used),
    otherwise :func:`skeleton` with the other arguments. Validation workers
    call this once per simulation, so the model is built once per structure.
    """
    frame = skeleton_frame(spec, n_allies, first_year, n_years, seed=seed,
                           real_allies=real_allies)
    return AllianceModel.from_spec(spec, frame, priors=priors, require_outcomes=False)
