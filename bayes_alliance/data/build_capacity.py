"""Outside options (``exit_capacity``), weight (``importance``) and size (``gdp``).

``exit_capacity = un_realign_rel + 10 * cinc_latent``:

* ``un_realign``: where the ally stands between the patron and its adversaries
  in UN General Assembly voting, ``|x_a - x_US| / (|x_a - x_US| + |x_a - x_adv|)``
  with ``x`` the dynamic ideal points of Bailey, Strezhnev & Voeten (2017) and
  ``x_adv`` the mean ideal point of the alliance's adversaries voting that year
  (:data:`~bayes_alliance.data.build_threat.ADVERSARIES`: the USSR/Russia, its
  Warsaw Pact allies to 1989, the PRC, Cuba and Vietnam to 1991, North Korea
  from 1991): 0 at the US, 1 at the adversaries, 0.5 equidistant (``un_dist_us``
  and ``un_dist_adv`` are the two distances). Russia alone would not do: in
  1992-1995 its ideal point sat among the Western allies';
* ``un_realign_rel``: ``un_realign`` minus its median over the panel's allies
  that are UN members that year. Raw agreement and the raw position both drift
  (as the adversaries moved towards the assembly's centre after the Cold War,
  the allies' median ``un_realign`` rose from about 0.1 in the 1950s to about
  0.6 in the 2000s), so only the ally's position relative to its fellow allies is
  comparable across decades. Years without recorded votes inside an ally's UN
  membership (1964) are interpolated; years outside it (West Germany to 1972,
  South Korea to 1990, Japan and Italy to 1955, Taiwan after 1971, ...) take the
  mean ``un_realign_rel`` of the ally's five nearest member years (both flagged
  ``un_realign_rel`` in ``imputed``);
* ``cinc_latent``: the COW Composite Index of National Capability without its
  two military components, the mean of the ally's world shares of iron and
  steel production, primary energy consumption, total and urban population
  (latent capability), times 10 so that 10% of the world's counts 1. Military
  spending and personnel are left out because they are burden-sharing, an
  outcome of the model (``cinc``, the published index, is kept for comparison).

``nuclear_level`` (1 nuclear weapons from ``data/facts/nuclear_programmes.csv``,
0.5 an operating enrichment or reprocessing facility from the Fuhrmann & Tkach
latency data v1.2, else 0) is kept as its own column and is not part of
``exit_capacity``: latency is a stage of the nuclear programmes whose pursuit is
the exit equation's outcome (``exit_pursuit``), so inside ``exit_capacity`` it
would explain exit by an earlier step of the same process.

``importance = log(1 + gdp_pct_us) + log(1 + latent_pct_us)``: the ally's GDP
and its latent capability (``cinc_latent``) as percentages of the patron's,
each logged; military personnel and spending are left out (burden-sharing).

``gdp``: ``exp(wbgdp2011est) / 1e9``, billion constant 2011 US dollars
(Anders, Fariss & Markowitz 2020; that file codes Germany 260 throughout).
``us_cinc_per_kpers``: the US's CINC per thousand US military personnel, which
converts US troops on an ally's soil into capability units for
``dependence_us_present``.
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
from bayes_alliance.data.build_threat import ADVERSARIES, is_adversary

__all__ = ["LATENT", "LATENT_COMPONENTS", "capacity_components", "nuclear_level"]

#: non-member UN years take the mean of this many nearest member years
NEAREST_YEARS = 5
#: NMC components of the CINC that are not military
LATENT_COMPONENTS = ("irst", "pec", "tpop", "upop")
#: nuclear_level of a state with an operating enrichment/reprocessing facility
LATENT = 0.5
ONGOING, NEVER = 7777, 9999


def _un_position(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """UN ideal-point distances, ``un_realign`` and the year-relative ``un_realign_rel``."""
    un = inputs.frame("unvoting").rename(columns={"Year": "year", "CountryAbb": "ally"})
    # the UN file keeps the West German code for unified Germany
    unified = (un["ally"] == "GFR") & (un["year"] > LAST_GFR_YEAR)
    un.loc[unified, "ally"] = "GMY"
    points = un.pivot_table(index="year", columns="ally", values="idealpoint")
    out = keys[["ally", "year"]].merge(un[["ally", "year", "idealpoint"]],
                                       on=["ally", "year"], how="left")
    out["un_dist_us"] = (out["idealpoint"] - out["year"].map(points["USA"])).abs()
    out["un_dist_adv"] = (out["idealpoint"] - out["year"].map(_adversary_point(un))).abs()
    out["un_realign"] = out["un_dist_us"] / (out["un_dist_us"] + out["un_dist_adv"])
    rel = out["un_realign"] - out.groupby("year")["un_realign"].transform("median")
    out["un_imputed"] = rel.isna()
    rel = rel.groupby(out["ally"]).transform(lambda s: s.interpolate(limit_area="inside"))
    out["un_realign_rel"] = rel.fillna(_nearest_member_mean(out["ally"], out["year"], rel))
    return out[["ally", "year", "un_dist_us", "un_dist_adv", "un_realign", "un_realign_rel",
                "un_imputed"]]


def _adversary_point(un: pd.DataFrame) -> pd.Series:
    """Mean ideal point, by year, of the alliance's adversaries that vote in the UN."""
    codes = fact_table("cow_country_codes")
    codes = codes[codes["ccode"].isin(list(ADVERSARIES))]
    adv = un.merge(codes[["ccode", "abbrev"]], left_on="ally", right_on="abbrev")
    adv = adv[is_adversary(adv["ccode"], adv["year"])]
    return adv.groupby("year")["idealpoint"].mean()


def _nearest_member_mean(ally: pd.Series, year: pd.Series, value: pd.Series) -> pd.Series:
    """Per row: mean of ``value`` over the ally's :data:`NEAREST_YEARS` nearest observed years."""
    out = pd.Series(np.nan, index=value.index)
    for _, idx in value.groupby(ally).groups.items():
        seen = value.loc[idx].dropna()
        if seen.empty:
            continue
        seen_years = year.loc[seen.index].to_numpy()
        for i in idx:
            nearest = np.argsort(np.abs(seen_years - year.loc[i]), kind="stable")[:NEAREST_YEARS]
            out.loc[i] = seen.iloc[nearest].mean()
    return out


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
    """State-year ``cinc``, ``cinc_latent`` (non-military CINC), ``milper`` and ``gdp``."""
    nmc = unify_germany(inputs.frame("cow_nmc"), dedupe=True)
    nmc = nmc[["ccode", "year", "milper", "cinc", *LATENT_COMPONENTS]].copy()
    for col in ("milper", *LATENT_COMPONENTS):  # NMC codes missing values -9
        nmc.loc[nmc[col] < 0, col] = np.nan
    parts = list(LATENT_COMPONENTS)
    shares = nmc[parts] / nmc.groupby("year")[parts].transform("sum")
    nmc["cinc_latent"] = shares.mean(axis=1)
    gdp = unify_germany(inputs.frame("cow_sdp_gdp"), dedupe=True)
    gdp = gdp.assign(gdp=np.exp(gdp["wbgdp2011est"]) / 1e9)[["ccode", "year", "gdp"]]
    return nmc[["ccode", "year", "milper", "cinc", "cinc_latent"]].merge(
        gdp, on=["ccode", "year"], how="outer")


def capacity_components(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Components of ``exit_capacity`` and ``importance``, ``gdp`` and ``nuclear_level``.

    Parameters
    ----------
    keys
        Ally-year rows with ``ally``, ``ccode``, ``year``.
    inputs
        The source files.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``un_dist_us``, ``un_dist_adv``, ``un_realign``,
        ``un_realign_rel``, ``un_imputed``, ``nuclear_level``, ``cinc``,
        ``cinc_latent``, ``gdp``,
        ``gdp_pct_us``, ``latent_pct_us``, ``us_cinc_per_kpers`` (national
        figures may be missing; the builder fills gaps within the ally).
    """
    national = _national(inputs)
    patron = national[national["ccode"] == PATRON_CCODE].set_index("year")
    out = keys[["ally", "ccode", "year"]].merge(national, on=["ccode", "year"], how="left")
    out["gdp_pct_us"] = 100.0 * out["gdp"] / out["year"].map(patron["gdp"])
    out["latent_pct_us"] = (100.0 * out["cinc_latent"]
                            / out["year"].map(patron["cinc_latent"]))
    out["us_cinc_per_kpers"] = out["year"].map(patron["cinc"] / patron["milper"])
    out["nuclear_level"] = nuclear_level(out, inputs)
    out = out.merge(_un_position(keys, inputs), on=["ally", "year"], how="left")
    return out[["ally", "year", "un_dist_us", "un_dist_adv", "un_realign", "un_realign_rel",
                "un_imputed", "nuclear_level", "cinc", "cinc_latent", "gdp", "gdp_pct_us",
                "latent_pct_us",
                "us_cinc_per_kpers"]]
