"""Outside options (``exit_capacity``), weight (``importance``) and size (``gdp``).

``exit_capacity = un_agree_ussr + nuclear_level + 10 * cinc``:

* ``un_agree_ussr``: share (0-1) of UN General Assembly votes in which the ally
  voted with the USSR/Russia (Bailey, Strezhnev & Voeten); in years when the
  ally was not a UN member (West Germany to 1972, South Korea to 1990, Japan
  and Italy to 1955, Taiwan after 1971) it is the mean of the panel's allies
  of the same region that year (flagged in ``imputed``);
* ``nuclear_level``: 1 when the ally has nuclear weapons (acquisition facts in
  ``data/facts/nuclear_programmes.csv``), 0.5 when it operates an enrichment
  or reprocessing facility (Fuhrmann & Tkach nuclear latency data, v1.2), else
  0 - the programme *pursuit* years are the outcome ``exit_pursuit`` and are not
  used here;
* ``cinc``: COW Composite Index of National Capability (share of the world's
  material capabilities), times 10 so that 10% of world capability counts 1.

``importance = log(1 + gdp_pct_us) + log(1 + milper_pct_us)``: the ally's GDP
and military personnel as percentages of the patron's (so a growing world
economy does not trend the index), each logged.

``gdp``: ``exp(wbgdp2011est) / 1e9``, billion constant 2011 US dollars
(Anders, Fariss & Markowitz 2020; that file codes Germany 260 throughout).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_alliance.constants import LAST_YEAR, PATRON_CCODE
from bayes_alliance.data.build_inputs import (
    GFR,
    GMY,
    LAST_GFR_YEAR,
    Inputs,
    fact_table,
    unify_germany,
)

__all__ = ["LATENT", "capacity_components", "nuclear_level"]

#: nuclear_level of a state with an operating enrichment/reprocessing facility
LATENT = 0.5
ONGOING, NEVER = 7777, 9999


def _un_agreement(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    un = inputs.frame("unvoting").rename(columns={"Year": "year", "CountryAbb": "ally"})
    # the UN file keeps the West German code for unified Germany
    unified = (un["ally"] == "GFR") & (un["year"] > LAST_GFR_YEAR)
    un.loc[unified, "ally"] = "GMY"
    un = un.rename(columns={"PctAgreeRUSSIA": "un_agree_ussr", "PctAgreeUS": "un_agree_us"})
    out = keys[["ally", "year", "region"]].merge(
        un[["ally", "year", "un_agree_ussr", "un_agree_us"]], on=["ally", "year"], how="left")
    out["un_imputed"] = out["un_agree_ussr"].isna()
    for col in ("un_agree_ussr", "un_agree_us"):
        # a member's year without recorded votes (1964) is interpolated; years
        # outside the UN take the regional mean of the allies that year
        inside = out.groupby("ally")[col].transform(lambda s: s.interpolate(limit_area="inside"))
        out[col] = inside
        region_mean = out.groupby(["region", "year"])[col].transform("mean")
        year_mean = out.groupby("year")[col].transform("mean")
        out[col] = out[col].fillna(region_mean).fillna(year_mean)
    return out[["ally", "year", "un_agree_ussr", "un_agree_us", "un_imputed"]]


def _operating_years(start: float, end: float) -> range:
    if pd.isna(start) or start < 0 or start >= NEVER or start == ONGOING:
        return range(0)
    stop = LAST_YEAR if pd.isna(end) or end in (ONGOING, NEVER) or end < 0 else int(end)
    return range(int(start), stop + 1)


def nuclear_level(keys: pd.DataFrame, inputs: Inputs) -> pd.Series:
    """0 / 0.5 (latent: enrichment or reprocessing) / 1 (weapons) per row of ``keys``."""
    latent: set[tuple[int, int]] = set()
    for row in inputs.frame("nuclear_latency").itertuples(index=False):
        for a, b in ((row.operation_start, row.operation_end),
                     (row.operation2_start, row.operation2_end)):
            latent.update((int(row.ccode), y) for y in _operating_years(a, b))
    # the latency data code Germany 260 throughout; the panel uses 255 from 1991
    latent |= {(GMY, y) for c, y in latent if c == GFR and y > LAST_GFR_YEAR}
    facts = fact_table("nuclear_programmes")
    weapons = {(int(r.ccode), y) for r in facts[facts["activity"] == "acquire"].itertuples()
               for y in range(int(r.first_year),
                              (LAST_YEAR if pd.isna(r.last_year) else int(r.last_year)) + 1)}
    pairs = list(zip(keys["ccode"].astype(int), keys["year"].astype(int), strict=True))
    level = [1.0 if p in weapons else LATENT if p in latent else 0.0 for p in pairs]
    return pd.Series(level, index=keys.index, name="nuclear_level")


def _national(inputs: Inputs) -> pd.DataFrame:
    nmc = unify_germany(inputs.frame("cow_nmc"), dedupe=True)[["ccode", "year", "milper", "cinc"]]
    gdp = unify_germany(inputs.frame("cow_sdp_gdp"), dedupe=True)
    gdp = gdp.assign(gdp=np.exp(gdp["wbgdp2011est"]) / 1e9)[["ccode", "year", "gdp"]]
    both = nmc.merge(gdp, on=["ccode", "year"], how="outer")
    both.loc[both["milper"] < 0, "milper"] = np.nan
    return both


def capacity_components(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Components of ``exit_capacity`` and ``importance``, and ``gdp``, per ally-year.

    Parameters
    ----------
    keys
        Ally-year rows with ``ally``, ``ccode``, ``year``, ``region``.
    inputs
        The source files.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``un_agree_ussr``, ``un_agree_us``, ``un_imputed``,
        ``nuclear_level``, ``cinc``, ``gdp``, ``gdp_pct_us``, ``milper_pct_us``
        (national figures may be missing; the builder fills gaps within the ally).
    """
    national = _national(inputs)
    patron = national[national["ccode"] == PATRON_CCODE].set_index("year")
    out = keys[["ally", "ccode", "year"]].merge(national, on=["ccode", "year"], how="left")
    out["gdp_pct_us"] = 100.0 * out["gdp"] / out["year"].map(patron["gdp"])
    out["milper_pct_us"] = 100.0 * out["milper"] / out["year"].map(patron["milper"])
    out["nuclear_level"] = nuclear_level(out, inputs)
    out = out.merge(_un_agreement(keys, inputs), on=["ally", "year"], how="left")
    return out[["ally", "year", "un_agree_ussr", "un_agree_us", "un_imputed", "nuclear_level",
                "cinc", "gdp", "gdp_pct_us", "milper_pct_us"]]
