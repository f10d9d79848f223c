"""Who is a US ally when: the ally-year skeleton of the real panel.

Rule (documented in ``data/codebook.md``):

1. *who*: the curated treaty list ``data/facts/us_allies.csv`` (formal defence
   treaties: NATO, ANZUS, Rio, SEATO and the bilateral treaties) says which
   states are US treaty allies at all;
2. *when*: ATOP v5.1 says in which years: a row exists when ATOP codes a US
   defence pledge to the state that year (``ccode1 == 2``, ``atop_defense == 1``);
3. the state is a member of the COW state system that year (drops West
   Germany's 1954, before its sovereignty in 1955);
4. 1990, when ATOP lists both West Germany and unified Germany, belongs to
   West Germany (the state for most of the year); unified Germany starts 1991;
5. *left the alignment*: years in which the ally's government was aligned with
   the Soviet bloc against the US are dropped (``data/facts/alignment_breaks.csv``:
   Cuba from 1960, Sandinista Nicaragua 1980-89; a year counts as out when the
   hostile government held power for most of it). Iran after 1979 is not a
   treaty ally (rule 1); Pakistan after SEATO stays (ATOP codes the 1959
   bilateral agreement and Pakistan stayed aligned with the US).

ATOP-coded partners that hold no formal defence treaty with the US (e.g. Iran
1959-79 and Israel 1981-91 through executive agreements, Caribbean states
coded through the Rio system) are left out by rule 1. Where ATOP and the
treaty list disagree on years, ATOP wins (rule 2): it dates pledges from
signature, and keeps pledges the curated list ends (Pakistan after SEATO,
Mexico after its 2002 denunciation). :func:`alliance_differences` reports
every such difference.
"""

from __future__ import annotations

import pandas as pd

from bayes_alliance.constants import FIRST_YEAR, LAST_YEAR, PATRON_CCODE
from bayes_alliance.data.build_inputs import GMY, LAST_GFR_YEAR, Inputs, fact_table
from bayes_alliance.errors import DataSourceError

__all__ = ["alignment_break_years", "alliance_differences", "alliance_years", "atop_pledges",
           "curated_allies"]


def curated_allies() -> pd.DataFrame:
    """The curated treaty list (``data/facts/us_allies.csv``)."""
    return fact_table("us_allies")


def alignment_break_years() -> set[tuple[int, int]]:
    """(ccode, year) in which the ally had left the US alignment (rule 5)."""
    breaks = fact_table("alignment_breaks")
    return {(int(r.ccode), y) for r in breaks.itertuples(index=False)
            for y in range(int(r.first_year), int(r.last_year) + 1)}


def atop_pledges(inputs: Inputs) -> pd.DataFrame:
    """State-years with an ATOP US defence pledge, 1950-2010.

    Returns
    -------
    pandas.DataFrame
        Columns ``ccode``, ``year``; one row per pledge-year.
    """
    atop = inputs.frame("atop_alliance_usa")
    rows = atop[(atop["ccode1"] == PATRON_CCODE) & (atop["atop_defense"] == 1)
                & atop["year"].between(FIRST_YEAR, LAST_YEAR)]
    return (rows.rename(columns={"ccode2": "ccode"})[["ccode", "year"]]
            .drop_duplicates().astype(int).reset_index(drop=True))


def _member_years(inputs: Inputs) -> set[tuple[int, int]]:
    states = inputs.frame("cow_states")
    return {(int(s.ccode), y) for s in states.itertuples(index=False)
            for y in range(max(int(s.styear), FIRST_YEAR), min(int(s.endyear), LAST_YEAR) + 1)}


def alliance_years(inputs: Inputs) -> pd.DataFrame:
    """The ally-year skeleton under the rule of this module.

    Returns
    -------
    pandas.DataFrame
        Columns ``ally``, ``ccode``, ``year``, ``region``, sorted by ally and year.
    """
    curated = curated_allies()
    pledges = atop_pledges(inputs)
    members = _member_years(inputs)
    rows = pledges.merge(curated[["ally", "ccode", "region"]], on="ccode", how="inner")
    keep = [(c, y) in members for c, y in zip(rows["ccode"], rows["year"], strict=True)]
    rows = rows[keep]
    overlap = (rows["ccode"] == GMY) & (rows["year"] <= LAST_GFR_YEAR)
    rows = rows[~overlap]
    out = alignment_break_years()
    rows = rows[[(c, y) not in out for c, y in zip(rows["ccode"], rows["year"], strict=True)]]
    if rows.duplicated(["ally", "year"]).any():
        raise DataSourceError("ATOP lists a curated ally twice in one year; check the "
                              "curated codes in data/facts/us_allies.csv")
    return (rows[["ally", "ccode", "year", "region"]]
            .sort_values(["ally", "year"]).reset_index(drop=True))


def _spans(years: list[int]) -> str:
    """Compress sorted years into spans, e.g. ``1963-1981, 1990``."""
    out: list[str] = []
    for y in sorted(years):
        if out and int(out[-1].split("-")[-1]) == y - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{y}"
        else:
            out.append(str(y))
    return ", ".join(out)


def alliance_differences(inputs: Inputs) -> pd.DataFrame:
    """Where ATOP v5.1 and the curated treaty list disagree, 1950-2010.

    Returns
    -------
    pandas.DataFrame
        One row per state with any difference: ``ccode``, ``ally`` (COW
        abbreviation), ``name``, ``in_curated`` (on the treaty list at all),
        ``only_atop`` and ``only_curated`` (year spans), ``in_panel`` (years
        kept by the rule, as spans).
    """
    curated = curated_allies()
    pledges = atop_pledges(inputs)
    states = inputs.frame("cow_states").drop_duplicates("ccode").set_index("ccode")
    panel = alliance_years(inputs)
    atop_years = pledges.groupby("ccode")["year"].apply(set).to_dict()
    cur_years: dict[int, set[int]] = {}
    for row in curated.itertuples(index=False):
        first, last = max(int(row.first_year), FIRST_YEAR), min(int(row.last_year), LAST_YEAR)
        cur_years.setdefault(int(row.ccode), set()).update(range(first, last + 1))
    kept = panel.groupby("ccode")["year"].apply(set).to_dict()
    out = []
    for code in sorted(set(atop_years) | set(cur_years)):
        a, c = atop_years.get(code, set()), cur_years.get(code, set())
        if a == c:
            continue
        out.append({
            "ccode": code,
            "ally": str(states["stateabb"].get(code, "")),
            "name": str(states["statenme"].get(code, "")),
            "in_curated": code in cur_years,
            "only_atop": _spans(sorted(a - c)),
            "only_curated": _spans(sorted(c - a)),
            "in_panel": _spans(sorted(kept.get(code, set()))),
        })
    return pd.DataFrame(out)
