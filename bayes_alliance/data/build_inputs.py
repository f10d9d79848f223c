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


@cache
def fact_table(name: str) -> pd.DataFrame:
    """A curated fact table from ``data/facts`` (read once)."""
    return pd.read_csv(data_path("facts", f"{name}.csv"))


def fact_files() -> list[Path]:
    """All curated fact files, sorted (their hashes key the panel cache)."""
    return sorted(data_path("facts").glob("*.csv"))
