"""US troops stationed in each ally (``us_troops``, thousands of personnel).

Three series describe the same deployments:

* the troopdata *rebuild* (``us_troops_country_year.csv``): the annual maximum
  over that year's reports, newest source, but some DMDC-scraped reports count
  the same personnel twice (or three times in the 1950s): South Korea 1975 is
  82,372 against Kane's 40,204;
* Kane's Heritage series (June reports), carried in the rebuild as
  ``troops_ad_kane2006``;
* the *legacy* troopdata CSV (Kane 1950-2005 extended with DMDC reports).

Detection: a rebuild value is flagged as a multiple count when it lies
within :data:`MULTIPLE_TOLERANCE` of an integer multiple (2, 3, 4) of the
reference value (Kane, else legacy) and the reference is at least
:data:`MIN_REFERENCE` personnel. Handling: ``us_troops`` takes the reference
value (Kane first, then legacy), and uses the rebuild only where neither
exists, divided by the detected multiple when one is detected against the
ally's nearest reference year. A country-year absent from all three series
means no US personnel were reported and is coded 0. ``us_troops_source``
names the series used and ``troops_multiple`` the detected factor (1 = none).

Not a protective garrison: US personnel at a site held for US purposes
(``data/facts/non_protective_presence.csv``: Guantanamo Bay in Cuba, the
Panama Canal Zone to 1999) do not defend the host, so ``us_troops`` is 0 there
(``us_troops_source`` = ``not_protective``); the reported figure is kept in
``us_troops_reported``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_alliance.data.build_inputs import Inputs, fact_table, unify_germany

__all__ = ["CUT_SHARE", "GARRISON", "MIN_REFERENCE", "MULTIPLE_TOLERANCE", "detect_multiples",
           "non_protective_years", "troop_indicators", "troop_series", "us_troops"]

#: relative tolerance around an integer multiple of the reference value
MULTIPLE_TOLERANCE = 0.05
#: smallest reference (personnel) for which a ratio is judged
MIN_REFERENCE = 100
MULTIPLES = (2, 3, 4)
#: smallest force (thousands of personnel) counted as a garrison in ``troops_present``
GARRISON = 1.0
#: smallest relative fall of the force counted in ``troops_cut``
CUT_SHARE = 0.1


def detect_multiples(value: pd.Series, reference: pd.Series) -> pd.Series:
    """Integer factor by which ``value`` over-counts ``reference`` (1 when it does not).

    Parameters
    ----------
    value
        Suspect counts (e.g. the rebuild's annual maxima).
    reference
        Trusted counts for the same rows (Kane / legacy); missing allowed.

    Returns
    -------
    pandas.Series of int
        2, 3 or 4 where ``value`` is within :data:`MULTIPLE_TOLERANCE` of that
        multiple of a reference of at least :data:`MIN_REFERENCE`; else 1.
    """
    factor = pd.Series(1, index=value.index, dtype=int)
    ok = reference.notna() & value.notna() & (reference >= MIN_REFERENCE)
    ratio = value[ok] / reference[ok]
    for k in MULTIPLES:
        hit = (ratio - k).abs() <= MULTIPLE_TOLERANCE * k
        factor.loc[hit[hit].index] = k
    return factor


def troop_series(inputs: Inputs) -> pd.DataFrame:
    """The three troop series side by side, by country-year (German codes unified).

    Returns
    -------
    pandas.DataFrame
        ``ccode``, ``year``, ``rebuild``, ``kane``, ``legacy`` (personnel),
        ``flag_double_kane`` (the file's own flag), ``multiple`` (detected factor).
    """
    rebuild = unify_germany(inputs.frame("us_troops_country_year"))
    rebuild = (rebuild.groupby(["ccode", "year"], as_index=False)
               .agg(rebuild=("troops_ad", "max"), kane=("troops_ad_kane2006", "max"),
                    flag_double_kane=("flag_double_kane", "max")))
    legacy = unify_germany(inputs.frame("us_troops_legacy"), dedupe=True)
    legacy = legacy.groupby(["ccode", "year"], as_index=False).agg(legacy=("troops", "max"))
    both = rebuild.merge(legacy, on=["ccode", "year"], how="outer")
    reference = both["kane"].fillna(both["legacy"])
    both["multiple"] = detect_multiples(both["rebuild"], reference)
    return both


def _rebuild_only(rows: pd.DataFrame, series: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Rebuild values divided by the multiple detected in the ally's nearest judged year."""
    judged = series[series["kane"].fillna(series["legacy"]).ge(MIN_REFERENCE)]
    values = rows["rebuild"].astype(float).copy()
    factors = pd.Series(1, index=rows.index, dtype=int)
    for i in rows.index:
        own = judged[judged["ccode"] == rows.at[i, "ccode"]]
        if own.empty:
            continue
        nearest = own.loc[(own["year"] - rows.at[i, "year"]).abs().idxmin()]
        factors.at[i] = int(nearest["multiple"])
        values.at[i] = rows.at[i, "rebuild"] / factors.at[i]
    return values, factors


def us_troops(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """``us_troops`` (thousands) with its provenance for each ally-year of ``keys``.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``us_troops``, ``us_troops_source`` (``kane``,
        ``legacy``, ``rebuild``, ``none_reported``, ``not_protective``),
        ``troops_multiple`` (over-count factor detected in the rebuild for that
        row, 1 = none), ``us_troops_reported`` (the figure before the
        non-protective rule).
    """
    series = troop_series(inputs)
    rows = keys[["ally", "ccode", "year"]].merge(series, on=["ccode", "year"], how="left")
    rows["multiple"] = rows["multiple"].fillna(1).astype(int)
    source = np.select([rows["kane"].notna(), rows["legacy"].notna(), rows["rebuild"].notna()],
                       ["kane", "legacy", "rebuild"], default="none_reported")
    personnel = rows["kane"].fillna(rows["legacy"])
    only_rebuild = personnel.isna() & rows["rebuild"].notna()
    if only_rebuild.any():
        values, factors = _rebuild_only(rows.loc[only_rebuild], series)
        personnel.loc[only_rebuild] = values
        rows.loc[only_rebuild, "multiple"] = factors
    reported = personnel.fillna(0.0) / 1000.0
    sites = non_protective_years()
    excluded = pd.Series([(c, y) in sites for c, y in
                          zip(rows["ccode"], rows["year"], strict=True)], index=rows.index)
    source = np.where(excluded, "not_protective", source)
    out = pd.DataFrame({
        "ally": rows["ally"], "year": rows["year"],
        "us_troops": reported.where(~excluded, 0.0),
        "us_troops_source": pd.Series(source, index=rows.index, dtype="string"),
        "troops_multiple": rows["multiple"],
        "us_troops_reported": reported,
    })
    return pd.concat([out, troop_indicators(out)], axis=1)


def troop_indicators(troops: pd.DataFrame) -> pd.DataFrame:
    r"""Presence and change of US forces, indicators of reassurance (measurement model).

    * ``troops_present``: 1 when ``us_troops`` >= :data:`GARRISON` thousand (a
      garrison, not an embassy guard or advisory group), else 0;
    * ``troops_change``: :math:`\log(1 + T_t) - \log(1 + T_{t-1})`, ``us_troops``
      :math:`T` in thousands, against the same ally's previous year; missing in an
      ally's first year and after a gap in its alliance years;
    * ``troops_cut``: 1 when the force fell by at least :data:`CUT_SHARE` of the
      previous year's and by at least :data:`MIN_REFERENCE` personnel, else 0;
      missing where ``troops_change`` is.

    Parameters
    ----------
    troops
        ``ally``, ``year`` and ``us_troops`` (thousands), one row per ally-year.
    """
    order = troops.sort_values(["ally", "year"])
    previous = order.groupby("ally", observed=True)[["year", "us_troops"]].shift(1)
    follows = previous["year"] == order["year"] - 1
    before = previous["us_troops"].where(follows)
    now = order["us_troops"]
    cut = ((before - now) >= CUT_SHARE * before) & ((before - now) * 1000 >= MIN_REFERENCE)
    out = pd.DataFrame({
        "troops_present": (now >= GARRISON).astype(int),
        "troops_change": np.log1p(now) - np.log1p(before),
        "troops_cut": pd.array(cut.astype(int).where(follows), dtype="Int64"),
    }, index=order.index)
    return out.loc[troops.index]


def non_protective_years() -> set[tuple[int, int]]:
    """(ccode, year) whose US personnel are not a protective garrison of the host."""
    sites = fact_table("non_protective_presence")
    return {(int(r.ccode), y) for r in sites.itertuples(index=False)
            for y in range(int(r.first_year), int(r.last_year) + 1)}
