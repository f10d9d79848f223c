"""Allied military effort: ``milex_gdp``, percent of GDP, and where each value came from.

Primary series: SIPRI's share of GDP (2021 release; the file stores it as a
*fraction*, so it is multiplied by 100). SIPRI cell notes (``sipri_estimate``,
``highly_uncertain``) are kept in ``milex_note``.

Fallback, where SIPRI has no share: COW NMC military expenditure (thousands of
*current* US dollars) over the Anders-Fariss-Markowitz GDP estimate
(``exp(wbgdp2011est)``, *constant 2011* US dollars). To put both in 2011
dollars the spending is deflated with the US CPI-U (``data/facts/us_cpi.csv``):

    share_raw = 100 * milex * 1000 * (CPI_2011 / CPI_t) / exp(wbgdp2011est)

That raw ratio is biased for states whose price level differs from the US
one (the GDP series is in purchasing-power terms, spending at market
exchange rates: the ratio to SIPRI is about 1 for rich allies and 0.3-0.5 for
poorer ones). The fallback is therefore *spliced*: it is multiplied by the
median SIPRI/raw ratio over the (up to) five overlapping years closest to the
gap year, for the same ally (``milex_source = "cow_nmc_spliced"``), however far
away they are: what the model needs is one level per ally. Where an ally has
fewer than :data:`MIN_OVERLAP` overlapping years (Cuba, Costa Rica, the
Bahamas) the raw ratio is used (``"cow_nmc_unspliced"``). Zero spending (no
armed forces) has no positive share and is left missing, as are years
covered by neither source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_alliance.data.build_inputs import Inputs, fact_table, unify_germany

__all__ = ["MILEX_SOURCES", "SIPRI_CCODES", "cow_share", "milex_gdp", "sipri_share",
           "to_2011_dollars"]

#: SIPRI country names of the curated allies -> COW code ("Germany" is West
#: Germany before 1991; the German DR is a separate SIPRI row)
SIPRI_CCODES: dict[str, int] = {
    "Albania": 339, "Argentina": 160, "Australia": 900, "Belgium": 211, "Bolivia": 145,
    "Brazil": 140, "Bulgaria": 355, "Canada": 20, "Chile": 155, "Colombia": 100,
    "Costa Rica": 94, "Croatia": 344, "Cuba": 40, "Czechia": 316, "Denmark": 390,
    "Dominican Rep.": 42, "Ecuador": 130, "El Salvador": 92, "Estonia": 366, "France": 220,
    "Germany": 260, "Greece": 350, "Guatemala": 90, "Haiti": 41, "Honduras": 91,
    "Hungary": 310, "Iceland": 395, "Italy": 325, "Japan": 740, "Korea, South": 732,
    "Latvia": 367, "Lithuania": 368, "Luxembourg": 212, "Mexico": 70, "Netherlands": 210,
    "New Zealand": 920, "Nicaragua": 93, "Norway": 385, "Pakistan": 770, "Panama": 95,
    "Paraguay": 150, "Peru": 135, "Philippines": 840, "Poland": 290, "Portugal": 235,
    "Romania": 360, "Slovakia": 317, "Slovenia": 349, "Spain": 230, "Taiwan": 713,
    "Thailand": 800, "Trinidad & Tobago": 52, "Turkey": 640, "UK": 200, "USA": 2,
    "Uruguay": 165, "Venezuela": 101,
}
#: values of the ``milex_source`` column
MILEX_SOURCES = ("sipri", "cow_nmc_spliced", "cow_nmc_unspliced")
SPLICE_YEARS = 5
#: fewest overlapping years that make a splice factor
MIN_OVERLAP = 3
BASE_YEAR = 2011


def sipri_share(inputs: Inputs) -> pd.DataFrame:
    """SIPRI military expenditure share of GDP, in percent, for mapped countries.

    Returns
    -------
    pandas.DataFrame
        ``ccode``, ``year``, ``sipri_pct`` (> 0, non-missing), ``milex_note``.
    """
    raw = inputs.frame("sipri_milex")
    rows = raw[raw["country"].isin(list(SIPRI_CCODES))].copy()
    rows["ccode"] = rows["country"].map(SIPRI_CCODES).astype(int)
    rows = unify_germany(rows)
    rows["sipri_pct"] = pd.to_numeric(rows["milex_share_gdp"], errors="coerce") * 100.0
    rows = rows[rows["sipri_pct"] > 0]
    rows["milex_note"] = rows["milex_share_gdp_note"].astype("string")
    return rows[["ccode", "year", "sipri_pct", "milex_note"]].reset_index(drop=True)


def to_2011_dollars(years: pd.Series) -> pd.Series:
    """Factor ``CPI_2011 / CPI_t`` turning current US dollars of year t into 2011 dollars."""
    cpi = fact_table("us_cpi").set_index("year")["cpi_u"]
    return cpi[BASE_YEAR] / years.map(cpi)


def cow_share(inputs: Inputs) -> pd.DataFrame:
    """Raw COW NMC spending over SDP GDP, both in 2011 US dollars, in percent.

    Returns
    -------
    pandas.DataFrame
        ``ccode``, ``year``, ``cow_pct`` (> 0, non-missing).
    """
    nmc = unify_germany(inputs.frame("cow_nmc"), dedupe=True)
    gdp = unify_germany(inputs.frame("cow_sdp_gdp"), dedupe=True)
    rows = nmc.merge(gdp, on=["ccode", "year"], how="inner")
    rows = rows[rows["year"].isin(fact_table("us_cpi")["year"]) & (rows["milex"] > 0)]
    to_2011 = to_2011_dollars(rows["year"])
    rows["cow_pct"] = 100.0 * rows["milex"] * 1000.0 * to_2011 / np.exp(rows["wbgdp2011est"])
    rows = rows[np.isfinite(rows["cow_pct"]) & (rows["cow_pct"] > 0)]
    return rows[["ccode", "year", "cow_pct"]].reset_index(drop=True)


def _splice_factor(year: int, overlap: pd.Series) -> float:
    """Median SIPRI/raw ratio over the overlap years nearest to ``year``."""
    nearest = (overlap.index.to_series() - year).abs().sort_values(kind="stable")
    return float(overlap.loc[nearest.index[:SPLICE_YEARS]].median())


def milex_gdp(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``milex_gdp`` with its provenance for each ally-year of ``keys``.

    Parameters
    ----------
    keys
        Ally-year rows with ``ally``, ``ccode``, ``year``.
    inputs
        The source files.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``milex_gdp`` (percent of GDP), ``milex_source``
        (one of :data:`MILEX_SOURCES`, missing where no value),
        ``milex_note`` (SIPRI cell note), ``milex_cow_raw`` (the unspliced
        COW-based ratio, percent, for comparison).
    """
    sipri, cow = sipri_share(inputs), cow_share(inputs)
    out = (keys[["ally", "ccode", "year"]]
           .merge(sipri, on=["ccode", "year"], how="left")
           .merge(cow, on=["ccode", "year"], how="left"))
    out["milex_gdp"] = out["sipri_pct"]
    out["milex_source"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[out["sipri_pct"].notna(), "milex_source"] = "sipri"
    # overlap ratios come from all years of both series, not only the ally-years kept
    both = sipri.merge(cow, on=["ccode", "year"], how="inner")
    ratios = {c: g.set_index("year")["sipri_pct"] / g.set_index("year")["cow_pct"]
              for c, g in both.groupby("ccode")}
    gap = out["sipri_pct"].isna() & out["cow_pct"].notna()
    for i in out.index[gap]:
        code, year, raw = int(out.at[i, "ccode"]), int(out.at[i, "year"]), out.at[i, "cow_pct"]
        if code in ratios and len(ratios[code]) >= MIN_OVERLAP:
            out.at[i, "milex_gdp"] = raw * _splice_factor(year, ratios[code])
            out.at[i, "milex_source"] = "cow_nmc_spliced"
        else:
            out.at[i, "milex_gdp"] = raw
            out.at[i, "milex_source"] = "cow_nmc_unspliced"
    out.loc[out["milex_source"] != "sipri", "milex_note"] = pd.NA
    out = out.rename(columns={"cow_pct": "milex_cow_raw"})
    return out[["ally", "year", "milex_gdp", "milex_source", "milex_note", "milex_cow_raw"]]
