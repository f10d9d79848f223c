"""Reading the registered source files and the curated fact tables into frames.

:class:`Inputs` fetches each source once (hash-checked, see
:mod:`bayes_alliance.data.sources`), reads only the columns the builder needs,
and checks that they are there, so a changed file fails with a clear
:class:`~bayes_alliance.errors.DataSourceError` instead of a ``KeyError``
deep in a column module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_alliance.constants import LAST_YEAR
from bayes_alliance.data.sources import fetch
from bayes_alliance.errors import DataSourceError
from bayes_alliance.resources import data_path

#: columns read from each source (registry name -> columns)
COLUMNS: dict[str, tuple[str, ...]] = {
    "atop_alliance_usa": ("ccode1", "ccode2", "year", "atop_defense"),
    "cow_states": ("stateabb", "ccode", "statenme", "styear", "endyear"),
    "cow_nmc": ("ccode", "year", "milex", "milper", "cinc", "irst", "pec", "tpop", "upop"),
    "cow_sdp_gdp": ("ccode", "year", "wbgdp2011est"),
    "sipri_milex": ("country", "year", "milex_share_gdp", "milex_share_gdp_note"),
    "us_troops_country_year": ("ccode", "year", "troops_ad", "troops_ad_kane2006",
                               "flag_double_kane"),
    "us_troops_legacy": ("ccode", "year", "troops"),
    "unvoting": ("Year", "CountryAbb", "idealpoint"),
    "td_rivalries": ("rivalryno", "ccode1", "ccode2", "styear", "endyear"),
    "gml_mids": ("dispnum", "ccode1", "ccode2", "year"),
    "cow_mindist": ("ccode1", "ccode2", "year", "mindist"),
    "cow_war_inter": ("warnum", "ccode1", "year", "sidea1"),
    "nuclear_bleek": ("Country", "Explore", "Pursue", "Acquire"),
    "nuclear_latency": ("ccode", "operation_start", "operation_end", "operation2_start",
                        "operation2_end"),
    "nuclear_owid": ("country_name", "year", "nuclear_weapons_status"),
    "terrthreat": ("ccode", "year", "lterrthreat"),
    "history_travels": ("trip_id", "role", "start_date", "country_id"),
    "history_visits": ("visit_id", "start_date", "from_id"),
    "mme_exercises": ("MMEID", "gwcode", "year"),
}

#: last year in which West Germany (COW 260) is the German state in the panel
LAST_GFR_YEAR = 1990
GFR, GMY = 260, 255


def unify_germany(df: pd.DataFrame, code: str = "ccode", year: str = "year", *,
                  dedupe: bool = False) -> pd.DataFrame:
    """Give German rows the panel's code for their year: 260 to 1990, 255 from 1991.

    Sources disagree: COW NMC switches from 260 to 255 in 1990, the GDP file and
    the latency data use 260 throughout, the troop rebuild uses 255 throughout.
    Earlier German states (255 before 1945) are untouched because they predate
    the panel.

    Parameters
    ----------
    df
        Rows with a state code and a year column (not modified).
    code, year
        Names of those columns.
    dedupe
        For state-year tables: where two rows now share a (code, year) - West
        Germany and unified Germany both listed in 1990 - keep the row that
        already carried the panel's code.
    """
    out = df.copy()
    german = out[code].isin([GFR, GMY]) & (out[year] >= 1945)
    target = np.where(out[year] <= LAST_GFR_YEAR, GFR, GMY)
    kept_code = pd.Series(target == out[code].to_numpy(), index=out.index) | ~german
    out.loc[german, code] = target[german.to_numpy()]
    if dedupe:
        order = (~kept_code).astype(int).sort_values(kind="stable").index
        out = out.loc[order].drop_duplicates([code, year], keep="first").sort_index()
    return out


@dataclass
class Inputs:
    """Lazily read source files (hash-checked) from one location.

    Parameters
    ----------
    source_dir
        Folder holding the files, or None for ``BAYES_ALLIANCE_DATA_DIR`` /
        the cache / the mirror (see :func:`bayes_alliance.data.sources.fetch`).
    """

    source_dir: str | os.PathLike[str] | None = None
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def path(self, name: str) -> Path:
        """Verified local path of a source file."""
        return fetch(name, source_dir=self.source_dir)

    def frame(self, name: str) -> pd.DataFrame:
        """The needed columns of source ``name`` (read once, then reused)."""
        if name not in self._frames:
            self._frames[name] = self._read(name)
        return self._frames[name]

    def _read(self, name: str) -> pd.DataFrame:
        path = self.path(name)
        wanted = COLUMNS[name]
        try:
            header = pd.read_csv(path, nrows=0).columns
        except (OSError, ValueError, pd.errors.ParserError) as err:
            raise DataSourceError(f"source '{name}': cannot read {path}: {err}") from err
        missing = [c for c in wanted if c not in header]
        if missing:
            raise DataSourceError(
                f"source '{name}': {path.name} lacks column(s) {missing}; the builder expects "
                f"the release registered in data/sources.toml")
        return pd.read_csv(path, usecols=list(wanted), low_memory=False)


#: fact tables with ally rows: name -> columns that, with the ally and each covered
#: year, must be unique (an empty tuple: one row per ally-year at most)
ALLY_YEAR_KEYS: dict[str, tuple[str, ...]] = {
    "war_participation": ("war",),
    "nuclear_programmes": (),
    "us_allies": (),
    "host_nation_support": ("measure",),
}
MAX_FACT_PROBLEMS = 5


def facts_dir() -> Path:
    """Folder of the curated fact tables (``data/facts``)."""
    return data_path("facts")


def _covered_years(frame: pd.DataFrame) -> pd.Series:
    """Years each row covers: ``year``, or ``first_year``..``last_year`` (open end = 2010)."""
    if "year" in frame:
        return frame["year"].map(lambda y: [int(y)])
    last = frame["last_year"].fillna(LAST_YEAR)
    return pd.Series([list(range(int(a), int(b) + 1)) for a, b in
                      zip(frame["first_year"], last, strict=True)], index=frame.index)


def check_facts(frame: pd.DataFrame, path: Path, key: tuple[str, ...]) -> None:
    """Reject a fact table with unknown allies, uncited rows or duplicate ally-years.

    Checks, for tables with an ``ally`` column: the abbreviation is a COW code
    (``data/facts/cow_country_codes.csv``) and matches ``ccode``; a ``source``
    column, where present, is filled in every row; no ally-year is covered
    twice for the same ``key`` (e.g. the same war).

    Raises
    ------
    DataSourceError
        Naming the file, the CSV line numbers (header = line 1) and the fix.
        Raised before anything is built, so no output is written.
    """
    from bayes_alliance.data.panel import cow_codes

    codes = dict(zip(cow_codes()["abbrev"], cow_codes()["ccode"], strict=True))
    problems: list[str] = []

    def line(i: object) -> int:
        return int(str(i)) + 2

    for i, r in frame.iterrows():
        ally = str(r["ally"])
        if ally not in codes:
            problems.append(f"line {line(i)}: unknown ally code {ally!r}; use a COW state "
                            f"abbreviation (`bayes-alliance data codes` lists them)")
        elif "ccode" in frame and pd.notna(r["ccode"]) and int(r["ccode"]) != codes[ally]:
            problems.append(f"line {line(i)}: ccode {int(r['ccode'])} does not match {ally} "
                            f"(COW code {codes[ally]}); correct one of the two")
        if "source" in frame and (pd.isna(r["source"]) or not str(r["source"]).strip()):
            problems.append(f"line {line(i)}: no source; cite the public source of the row")
    seen: dict[tuple[object, ...], int] = {}
    for i, years in _covered_years(frame).items():
        for y in years:
            k = (str(frame.at[i, "ally"]), y, *(frame.at[i, c] for c in key))
            if k in seen:
                problems.append(f"line {line(i)}: {k[0]} {y} is already covered by line "
                                f"{line(seen[k])}; keep one row per ally-year"
                                + (f" and {', '.join(key)}" if key else "")
                                + " (split or shorten the year spans)")
            else:
                seen[k] = i
    if problems:
        shown = "; ".join(problems[:MAX_FACT_PROBLEMS])
        more = len(problems) - MAX_FACT_PROBLEMS
        raise DataSourceError(f"fact table {path.name}: {shown}"
                              + (f" (+{more} more)" if more > 0 else "")
                              + f". Fix {path} and build again; nothing was written")


def read_facts(path: str | os.PathLike[str], name: str | None = None) -> pd.DataFrame:
    """Read one fact table and check it (see :func:`check_facts`)."""
    p = Path(path)
    try:
        frame = pd.read_csv(p)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise DataSourceError(f"fact table {p.name}: cannot read {p}: {err}") from err
    name = name or p.stem
    if "ally" in frame:
        check_facts(frame, p, ALLY_YEAR_KEYS.get(name, ()))
    return frame


@cache
def fact_table(name: str) -> pd.DataFrame:
    """A curated fact table from ``data/facts`` (read and checked once)."""
    return read_facts(facts_dir() / f"{name}.csv", name)


def fact_files() -> list[Path]:
    """All curated fact files, sorted (their hashes key the panel cache)."""
    return sorted(facts_dir().glob("*.csv"))
