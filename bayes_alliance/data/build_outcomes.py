"""Observed outcomes: war participation, nuclear pursuit and host-nation support (``hns``).

``intervene`` is defined only in the years of US-led wars
(``data/facts/us_interventions.csv``) and missing in all other years. In
those years it is 1 when

* the COW inter-state war data (v4.0, to 2003) put the ally on the US side of
  a war the US fought that year, or
* ``data/facts/war_participation.csv`` records military forces of the ally in
  that war that year (``counts = 1``; Vietnam by year, Korea's medical units,
  the Gulf War coalition, Afghanistan, Iraq);

it is missing where the fact table marks the year unknown (and COW is silent),
and 0 otherwise - including rows the fact table marks 0 (paid instead of
fighting). ``intervene_source`` says which rule gave the value. Participation
means military forces (or, for Iceland, its Crisis Response Unit) in the war's
operations: for Afghanistan OEF (including Japan's refuelling of OEF ships)
or ISAF; for Iraq the invasion force or the Multi-National Force-Iraq, not the
NATO training mission or residual bilateral missions after 2009.

``hns`` (host-nation support for US forces, million constant 2011 USD) is the
direct plus indirect support that the US Department of Defense's *Report on
Allied Contributions to the Common Defense* lists (``measure = dod_total`` in
``data/facts/host_nation_support.csv``), deflated with the US CPI-U; it is
missing (masked, never 0) in every other ally-year. The facts file's other
measures are not on that scale and get their own columns: ``hns_sma_cash``
and ``hns_sma_won`` (South Korea's contribution under the Special Measures
Agreements: million current USD in the dollar-denominated years, billion won
from 2005) and ``hns_japan_budget`` (Japan's host-nation support budget,
billion yen).

``exit_pursuit`` is 1 in the years an ally explored or pursued nuclear weapons:
for allies listed in ``data/facts/nuclear_programmes.csv`` the rows with
``counts_as_pursuit = 1``; for allies not listed there, Bleek's (2017)
explore/pursue years parsed from ``nuclear_bleek2017_raw.csv`` (Norway,
Argentina, Brazil). Realignment as an outside option is not coded.
:func:`nuclear_crosscheck` compares the curated years with Bleek's.
:func:`exit_onset` recodes it as the onset of a pursuit spell (a discrete-time
hazard: ``exit_onset``, ``exit_duration``), and :func:`war` labels each
intervention year with its war(s) (``war``), for the time-structure options of
:mod:`bayes_alliance.models.time_structure`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from bayes_alliance.constants import LAST_YEAR, PATRON_CCODE
from bayes_alliance.data.build_inputs import Inputs, fact_table, unify_germany
from bayes_alliance.data.build_milex import to_2011_dollars
from bayes_alliance.errors import DataSourceError

__all__ = ["BLEEK_CCODES", "HNS_MEASURES", "bleek_years", "exit_onset", "exit_pursuit", "hns",
           "intervene", "intervention_years", "nuclear_crosscheck", "parse_bleek_spans", "war"]

#: host-nation support measure in the fact table -> panel column
HNS_MEASURES: dict[str, str] = {"dod_total": "hns_current", "sma_cash": "hns_sma_cash",
                                "sma_won": "hns_sma_won", "japan_budget_yen": "hns_japan_budget"}

#: Bleek (2017) country names as digitised (OCR typos included) -> COW code
BLEEK_CCODES: dict[str, int] = {
    "United Kingdom": 200, "France": 220, "Pakistan": 770, "South Korea": 732,
    "Japan": 740, "Italy": 325, "Australla": 900, "Germany, West": 260, "Talwan": 713,
    "Norway": 385, "Argentina": 160, "Brazil": 140, "Romania": 360,
}


def intervention_years() -> set[int]:
    """Years of US-led wars (``data/facts/us_interventions.csv``)."""
    wars = fact_table("us_interventions")
    return {y for w in wars.itertuples() for y in range(int(w.first_year), int(w.last_year) + 1)}


def _cow_partners(inputs: Inputs) -> set[tuple[int, int]]:
    """(ccode, year) of states fighting on the US side in a COW inter-state war."""
    war = unify_germany(inputs.frame("cow_war_inter"), code="ccode1")
    us = war[war["ccode1"] == PATRON_CCODE][["warnum", "year", "sidea1"]].drop_duplicates()
    sides = war.merge(us, on=["warnum", "year", "sidea1"], how="inner")
    return {(int(c), int(y)) for c, y in zip(sides["ccode1"], sides["year"], strict=True)
            if c != PATRON_CCODE}


def _fact_codes() -> dict[tuple[int, int], float]:
    """(ccode, year) -> 1 / 0 / NaN from the war-participation fact table (1 wins)."""
    facts = fact_table("war_participation")
    seen: dict[tuple[int, int], list[float]] = {}
    for r in facts.itertuples(index=False):
        for y in range(int(r.first_year), int(r.last_year) + 1):
            seen.setdefault((int(r.ccode), y), []).append(float(r.counts))
    return {k: 1.0 if 1.0 in v else 0.0 if 0.0 in v else float("nan") for k, v in seen.items()}


def intervene(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``intervene`` and ``intervene_source`` per ally-year of ``keys``."""
    years, cow, facts = intervention_years(), _cow_partners(inputs), _fact_codes()
    values, sources = [], []
    for code, year in zip(keys["ccode"].astype(int), keys["year"].astype(int), strict=True):
        if year not in years:
            values.append(pd.NA)
            sources.append(pd.NA)
            continue
        in_cow, fact = (code, year) in cow, facts.get((code, year))
        if in_cow:
            values.append(1)
            sources.append("cow+curated" if fact == 1.0 else "cow")
        elif fact is not None and pd.isna(fact):
            values.append(pd.NA)
            sources.append("unknown")
        elif fact is not None:
            values.append(int(fact))
            sources.append("curated")
        else:
            values.append(0)
            sources.append("not_listed")
    return pd.DataFrame({"ally": keys["ally"].to_numpy(), "year": keys["year"].to_numpy(),
                         "intervene": pd.array(values, dtype="Int64"),
                         "intervene_source": pd.array(sources, dtype="string")})


def parse_bleek_spans(text: object) -> list[int]:
    """Years in a Bleek cell such as ``"1964-66,72-75,80-"`` (open end = to 2010).

    Two-digit years take the century of the span's first year; an empty or
    missing cell gives no years.
    """
    if not isinstance(text, str) or not text.strip():
        return []
    years: list[int] = []
    century = 1900
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d{2,4})\s*-?\s*(\d{2,4})?\s*", part)
        if not m:
            raise ValueError(f"cannot read Bleek year span {part!r} in {text!r}")
        start = int(m.group(1))
        start = start if start >= 100 else century + start
        century = start // 100 * 100
        end_txt = m.group(2)
        if end_txt is None:
            end = LAST_YEAR if "-" in part else start
        else:
            end = int(end_txt) if len(end_txt) == 4 else century + int(end_txt)
            end = end + 100 if end < start else end
        years.extend(range(start, end + 1))
    return years


def bleek_years(inputs: Inputs) -> dict[int, set[int]]:
    """Years Bleek (2017) codes as exploring or pursuing (not acquired), by COW code."""
    out: dict[int, set[int]] = {}
    for r in inputs.frame("nuclear_bleek").itertuples(index=False):
        code = BLEEK_CCODES.get(str(r.Country))
        if code is None:
            continue
        acquired = set(parse_bleek_spans(r.Acquire))
        active = set(parse_bleek_spans(r.Explore)) | set(parse_bleek_spans(r.Pursue))
        out.setdefault(code, set()).update(active - acquired)
    return out


def _curated_years() -> dict[int, set[int]]:
    facts = fact_table("nuclear_programmes")
    out: dict[int, set[int]] = {int(c): set() for c in facts["ccode"]}
    for r in facts[facts["counts_as_pursuit"] == 1].itertuples(index=False):
        out[int(r.ccode)].update(range(int(r.first_year), int(r.last_year) + 1))
    return out


def exit_pursuit(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``exit_pursuit`` and ``exit_pursuit_source`` per ally-year of ``keys``."""
    curated, bleek = _curated_years(), bleek_years(inputs)
    values, sources = [], []
    for code in keys["ccode"].astype(int):
        sources.append("curated" if code in curated else "bleek2017")
    for code, year, src in zip(keys["ccode"].astype(int), keys["year"].astype(int), sources,
                               strict=True):
        years = curated[code] if src == "curated" else bleek.get(code, set())
        values.append(int(year in years))
    return pd.DataFrame({"ally": keys["ally"].to_numpy(), "year": keys["year"].to_numpy(),
                         "exit_pursuit": pd.array(values, dtype="Int64"),
                         "exit_pursuit_source": pd.array(sources, dtype="string")})


def nuclear_crosscheck(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Ally-years where the curated pursuit years and Bleek (2017) disagree.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``curated`` (0/1), ``bleek`` (0/1) for the
        panel's ally-years of allies in the curated table where the two differ.
    """
    curated, bleek = _curated_years(), bleek_years(inputs)
    rows = []
    for ally, code, year in zip(keys["ally"], keys["ccode"].astype(int),
                                keys["year"].astype(int), strict=True):
        if code not in curated:
            continue
        c, b = int(year in curated[code]), int(year in bleek.get(code, set()))
        if c != b:
            rows.append({"ally": ally, "year": year, "curated": c, "bleek": b})
    return pd.DataFrame(rows, columns=["ally", "year", "curated", "bleek"])


def hns(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``hns`` (million 2011 USD) and the reported host-nation support measures per ally-year.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``hns`` (``hns_current`` x CPI_2011 / CPI_t) and
        the columns of :data:`HNS_MEASURES`; missing where no figure is listed.
    """
    del inputs  # the figures are curated facts, not a source file
    facts = fact_table("host_nation_support")
    unknown = sorted(set(facts["measure"]) - set(HNS_MEASURES))
    if unknown:
        raise DataSourceError(f"fact table host_nation_support.csv: unknown measure(s) {unknown}; "
                              f"use one of {sorted(HNS_MEASURES)}")
    out = keys[["ally", "ccode", "year"]].copy()
    for measure, col in HNS_MEASURES.items():
        rows = facts.loc[facts["measure"] == measure, ["ccode", "year", "value"]]
        out = out.merge(rows.rename(columns={"value": col}), on=["ccode", "year"], how="left")
    out["hns"] = out["hns_current"] * to_2011_dollars(out["year"])
    return out[["ally", "year", "hns", *HNS_MEASURES.values()]]


def war(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``war``: the US-led war(s) of each ally-year (``data/facts/us_interventions.csv``).

    Overlapping wars are joined with `` + `` (``Afghanistan + Iraq War`` in
    2003-2010: a participation row there is one decision about both); missing
    in years without a US-led war, like ``intervene``.
    """
    del inputs  # the wars are a curated fact table
    wars = fact_table("us_interventions")
    by_year: dict[int, list[str]] = {}
    for w in wars.itertuples(index=False):
        for y in range(int(w.first_year), int(w.last_year) + 1):
            by_year.setdefault(y, []).append(str(w.war))
    labels = [" + ".join(by_year[y]) if y in by_year else pd.NA
              for y in keys["year"].astype(int)]
    return pd.DataFrame({"ally": keys["ally"].to_numpy(), "year": keys["year"].to_numpy(),
                         "war": pd.array(labels, dtype="string")})


def exit_onset(pursuit: pd.DataFrame) -> pd.DataFrame:
    r"""``exit_onset`` and ``exit_duration``: exit pursuit as a discrete-time hazard.

    From ``ally``, ``year`` and ``exit_pursuit`` of the panel, per ally-year:

    * ``exit_onset`` = 1 in the first year of a pursuit spell (the year before
      is a panel year without pursuit), 0 in the years at risk (no pursuit),
      and missing in the continuing years of a spell and in a spell already
      under way in the ally's first panel year or after a gap in its years
      (left-censored: its onset is not observed);
    * ``exit_duration`` = the years at risk so far, this one included: 1 in
      the ally's first panel year or the first year after a spell ends, +1 each
      year at risk, and 0 where ``exit_onset`` is missing.

    A Bernoulli outcome on ``exit_onset`` is then the hazard
    :math:`h_{it} = P(\text{onset}_{it} = 1 \mid \text{at risk})`, and
    ``exit_duration`` (e.g. ``log1p``) its duration dependence.
    """
    df = pursuit[["ally", "year", "exit_pursuit"]].sort_values(["ally", "year"])
    onset, duration = [], []
    for _, g in df.groupby("ally", sort=False):
        prev_year, prev_value, at_risk = None, None, 0
        for year, value in zip(g["year"].astype(int), g["exit_pursuit"], strict=True):
            follows = prev_year == year - 1 and prev_value is not None and not pd.isna(prev_value)
            if not follows:
                at_risk = 0
            if pd.isna(value):
                onset.append(pd.NA)
                duration.append(0)
            elif int(value) == 0:
                at_risk += 1
                onset.append(0)
                duration.append(at_risk)
            elif follows and int(prev_value) == 0:
                onset.append(1)
                duration.append(at_risk + 1)
                at_risk = 0
            else:
                onset.append(pd.NA)
                duration.append(0)
                at_risk = 0
            prev_year, prev_value = year, value
    return pd.DataFrame({"ally": df["ally"].to_numpy(), "year": df["year"].to_numpy(),
                         "exit_onset": pd.array(onset, dtype="Int64"),
                         "exit_duration": np.asarray(duration, dtype="int64")})
