"""The ally's threat environment (``threat``), an additive index of three components.

* ``threat_rivalries``: number of Thompson-Dreyer strategic rivalries the ally
  is party to that year (0, 1, 2 ...; the data end in 2010);
* ``threat_mids``: ``log(1 + n)`` where ``n`` counts the distinct militarized
  interstate disputes (GML MID 2.2.1) the ally took part in over the five
  years ``t-4 .. t`` (a slowly moving measure of hostile behaviour around it);
* ``threat_proximity``: ``1000 / (1000 + d)`` with ``d`` the minimum distance
  in km (CShapes 2.0, 1 January) to the nearest of the US's principal
  adversaries, the USSR/Russia, the PRC and North Korea: 1 for a neighbour,
  0.5 at 1,000 km, about 0.1 at 9,000 km.

``threat = threat_rivalries + threat_mids + threat_proximity``. Each component
moves on a scale of about 0-3 across the panel, so a unit of the index is
roughly one more strategic rivalry, contiguity with an adversary, or 2.7
times as many recent disputes. The model standardises it; the components are
kept as columns for other weightings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_alliance.data.build_inputs import Inputs, unify_germany

__all__ = ["ADVERSARIES", "MID_WINDOW", "threat_components"]

#: COW codes of the patron's principal adversaries
ADVERSARIES: dict[int, str] = {365: "USSR/Russia", 710: "PRC", 731: "North Korea"}
#: years in the dispute window (t-4 .. t)
MID_WINDOW = 5
PROXIMITY_SCALE_KM = 1000.0


def _rivalry_counts(inputs: Inputs) -> pd.DataFrame:
    riv = inputs.frame("td_rivalries")
    long = []
    for side in ("ccode1", "ccode2"):
        part = riv[["rivalryno", side, "styear", "endyear"]].rename(columns={side: "ccode"})
        long.append(part)
    spells = pd.concat(long, ignore_index=True)
    spells["year"] = [list(range(int(a), int(b) + 1))
                      for a, b in zip(spells["styear"], spells["endyear"], strict=True)]
    years = unify_germany(spells.explode("year").astype({"year": int}))
    return (years.groupby(["ccode", "year"])["rivalryno"].nunique()
            .rename("threat_rivalries").reset_index())


def _mid_window(inputs: Inputs) -> pd.DataFrame:
    """``threat_mids`` by state-year: log(1 + distinct disputes over t-4 .. t)."""
    mids = unify_germany(inputs.frame("gml_mids"), code="ccode1")
    own = mids[["ccode1", "year", "dispnum"]].drop_duplicates()
    # a dispute active in year y counts in the windows ending y .. y+4, once each
    spread = pd.concat([own.assign(year=own["year"] + lag) for lag in range(MID_WINDOW)])
    counts = spread.drop_duplicates().groupby(["ccode1", "year"])["dispnum"].nunique()
    out = counts.rename("n").reset_index().rename(columns={"ccode1": "ccode"})
    out["threat_mids"] = np.log1p(out["n"])
    return out[["ccode", "year", "threat_mids"]]


def _proximity(inputs: Inputs) -> pd.DataFrame:
    dist = inputs.frame("cow_mindist")
    dist = unify_germany(unify_germany(dist, code="ccode1"), code="ccode2")
    adv = list(ADVERSARIES)
    left = dist[dist["ccode2"].isin(adv)].rename(columns={"ccode1": "ccode"})
    right = dist[dist["ccode1"].isin(adv)].rename(columns={"ccode2": "ccode"})
    both = pd.concat([left[["ccode", "year", "mindist"]], right[["ccode", "year", "mindist"]]])
    nearest = both.groupby(["ccode", "year"], as_index=False)["mindist"].min()
    nearest["threat_proximity"] = PROXIMITY_SCALE_KM / (PROXIMITY_SCALE_KM + nearest["mindist"])
    return nearest[["ccode", "year", "threat_proximity"]]


def threat_components(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """The three threat components for each ally-year of ``keys``.

    Parameters
    ----------
    keys
        Ally-year rows with ``ally``, ``ccode``, ``year``.
    inputs
        The source files.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``threat_rivalries``, ``threat_mids``,
        ``threat_proximity`` (the last may be missing where CShapes has no
        distance; the builder fills such gaps within the ally).
    """
    base = keys[["ally", "ccode", "year"]]
    out = base.merge(_rivalry_counts(inputs), on=["ccode", "year"], how="left")
    out["threat_rivalries"] = out["threat_rivalries"].fillna(0).astype(float)
    out = out.merge(_mid_window(inputs), on=["ccode", "year"], how="left")
    out["threat_mids"] = out["threat_mids"].fillna(0.0)
    out = out.merge(_proximity(inputs), on=["ccode", "year"], how="left")
    return out[["ally", "year", "threat_rivalries", "threat_mids", "threat_proximity"]]
