"""Joint military exercises of each ally with the US (``exercises_us``, 1980-2010).

Source: the Multinational Military Exercises data (D'Orazio and Galambos 2021),
long format, one row per exercise, participating state and year
(``mme_exercises_long.csv``). Rule: ``exercises_us`` is the number of distinct
exercises (``MMEID``) in which both the US (Gleditsch-Ward code 2) and the ally
took part in the year. Gleditsch-Ward codes equal the COW codes of every US
ally but unified Germany (GW 260 after 1990, COW 255), which
:func:`~bayes_alliance.data.build_inputs.unify_germany` maps. The data cover
1980-2010 only: outside those years the column is missing, never 0, and inside
them a year without a listed joint exercise is 0.
"""

from __future__ import annotations

import pandas as pd

from bayes_alliance.data.build_inputs import Inputs, unify_germany

__all__ = ["FIRST_YEAR", "LAST_YEAR", "US_GWCODE", "exercise_counts"]

#: coverage of the exercise data
FIRST_YEAR, LAST_YEAR = 1980, 2010
US_GWCODE = 2


def exercise_counts(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``exercises_us`` for each ally-year of ``keys`` (missing outside 1980-2010)."""
    mme = inputs.frame("mme_exercises").dropna(subset=["gwcode"])
    mme = mme.astype({"gwcode": int, "year": int})
    with_us = mme.loc[mme["gwcode"] == US_GWCODE, ["MMEID", "year"]].drop_duplicates()
    partners = mme[mme["gwcode"] != US_GWCODE].merge(with_us, on=["MMEID", "year"])
    partners = unify_germany(partners, code="gwcode").rename(columns={"gwcode": "ccode"})
    tally = (partners.drop_duplicates(["MMEID", "ccode", "year"])
             .groupby(["ccode", "year"]).size().rename("exercises_us").reset_index())
    out = keys[["ally", "ccode", "year"]].merge(tally, on=["ccode", "year"], how="left")
    covered = out["year"].between(FIRST_YEAR, LAST_YEAR)
    counts = out["exercises_us"].fillna(0).where(covered)
    out["exercises_us"] = pd.array(counts.round(), dtype="Int64")
    return out[["ally", "year", "exercises_us"]]
