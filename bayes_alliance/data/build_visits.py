"""High-level visits between the US and each ally (``visits_*`` columns).

The seed's second form of reassurance is "visiting allied countries". Two
public-domain lists of the US Department of State's Office of the Historian
measure it:

* ``history_state_travels.csv``: every foreign trip of the president and of
  the secretary of state, one row per trip leg (country visited);
* ``history_state_visits.csv``: visits of foreign heads of state and
  government to the United States, one row per visit.

Rule: ``visits_president`` (``visits_secretary``) is the number of trip legs
of the president (secretary of state) to the ally that started in the year;
``visits_received`` the number of visits of the ally's leaders to the US that
started in the year (state, official, working, private and multilateral
visits alike, as the Office lists them). The Office's country slugs are mapped
to COW codes by ``data/facts/historian_country_codes.csv``, by year where a
slug names two states (``germany``: West Germany to 1990, unified Germany from
1991); slugs of non-allies are not mapped. Both lists cover the whole panel
period, so a year without a listed visit is 0, never missing.

Caveat: a trip to a multilateral meeting counts for the host country (NATO
ministerials in Paris to 1966 and in Brussels from 1967, G7 summits, UN
conferences), so France and Belgium have many secretary-of-state visits that
are not bilateral reassurance; the ``remarks`` of the source say which.
"""

from __future__ import annotations

import pandas as pd

from bayes_alliance.data.build_inputs import Inputs, fact_table

__all__ = ["ROLES", "country_codes", "visit_counts"]

#: travel roles -> panel column
ROLES: dict[str, str] = {"president": "visits_president", "secretary": "visits_secretary"}


def country_codes(slugs: pd.Series, years: pd.Series) -> pd.Series:
    """COW code for each (Office of the Historian slug, year); missing when not an ally.

    Parameters
    ----------
    slugs
        Country slugs such as ``korea-south`` or ``germany``.
    years
        Calendar years of the same rows.

    Returns
    -------
    pandas.Series of Int64
        The code from ``data/facts/historian_country_codes.csv`` whose year span
        holds the year, else missing.
    """
    table = fact_table("historian_country_codes")
    rows = pd.DataFrame({"country_id": slugs.to_numpy(), "year": years.to_numpy()})
    rows["_i"] = range(len(rows))
    hit = rows.merge(table[["country_id", "ccode", "first_year", "last_year"]], on="country_id")
    hit = hit[hit["year"].between(hit["first_year"], hit["last_year"])]
    out = pd.Series(pd.NA, index=range(len(rows)), dtype="Int64")
    out.loc[hit["_i"].to_numpy()] = hit["ccode"].to_numpy()
    return pd.Series(out.to_numpy(), index=slugs.index, dtype="Int64")


def _counts(frame: pd.DataFrame, slug: str, name: str) -> pd.DataFrame:
    year = frame["start_date"].str.slice(0, 4).astype(int)
    codes = country_codes(frame[slug], year)
    keep = codes.notna()
    tally = pd.DataFrame({"ccode": codes[keep].astype(int), "year": year[keep]})
    return tally.groupby(["ccode", "year"]).size().rename(name).reset_index()


def visit_counts(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """The three visit counts for each ally-year of ``keys`` (0 when none is listed)."""
    out = keys[["ally", "ccode", "year"]].copy()
    travels = inputs.frame("history_travels")
    parts = [_counts(travels[travels["role"] == role], "country_id", col)
             for role, col in ROLES.items()]
    parts.append(_counts(inputs.frame("history_visits"), "from_id", "visits_received"))
    for part in parts:
        out = out.merge(part, on=["ccode", "year"], how="left")
    cols = [*ROLES.values(), "visits_received"]
    out[cols] = out[cols].fillna(0).astype(int)
    return out[["ally", "year", *cols]]
