"""US domestic pressure to retrench (``retrench``), by year and region.

``retrench = retrench_events + retrench_us_effort``:

* ``retrench_events``: number of documented retrenchment episodes active in
  the year for the ally's region (``data/facts/retrenchment_events.csv``:
  Mansfield resolutions 1966-70 and amendment vote 1971, Jackson-Nunn 1973,
  Nixon Doctrine 1969, the 1970-71 Korea and Philippines cuts, post-Vietnam
  war fatigue 1969-75, the Carter Korea plan 1977-79, Nunn-Warner 1989-91,
  the post-Cold War drawdown in Europe 1990-96, the 2004-08 Global Posture
  Review); an episode marked ``all`` counts in every region, ``europe`` or
  ``asia`` only there (Turkey counts as Europe, the Americas get only ``all``);
* ``retrench_us_effort``: fall of US military spending as a share of GDP over
  the previous three years, in percentage points, 0 when it did not fall:
  ``max(0, s[t-3] - s[t])`` with ``s`` SIPRI's US share of GDP (US fiscal
  years; ``t-3`` is clipped to 1949, SIPRI's first year).

Both parts count "units of pressure": one more active episode, or one point
of GDP less spent on defence over three years.
"""

from __future__ import annotations

import pandas as pd

from bayes_alliance.data.build_inputs import Inputs, fact_table

__all__ = ["EFFORT_LAG", "retrench_components", "us_effort_decline"]

#: years over which the fall of US defence effort is measured
EFFORT_LAG = 3
_SIPRI_FIRST_YEAR = 1949


def us_effort_decline(inputs: Inputs) -> pd.Series:
    """Fall of the US military share of GDP over three years (points, >= 0), by year."""
    sipri = inputs.frame("sipri_milex")
    us = sipri[sipri["country"] == "USA"].set_index("year")["milex_share_gdp"] * 100.0
    us = us.dropna().sort_index()
    lagged = [us.get(max(y - EFFORT_LAG, _SIPRI_FIRST_YEAR)) for y in us.index]
    decline = (pd.Series(lagged, index=us.index, dtype=float) - us).clip(lower=0.0)
    return decline.rename("retrench_us_effort")


def _event_counts(keys: pd.DataFrame) -> pd.Series:
    events = fact_table("retrenchment_events")
    counts = pd.Series(0.0, index=keys.index)
    for ev in events.itertuples(index=False):
        active = keys["year"].between(int(ev.first_year), int(ev.last_year))
        if ev.region != "all":
            active &= keys["region"] == ev.region
        counts += active.astype(float)
    return counts


def retrench_components(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Both retrenchment components per ally-year of ``keys`` (needs ``region``).

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``retrench_events``, ``retrench_us_effort``.
    """
    out = keys[["ally", "year"]].copy()
    out["retrench_events"] = _event_counts(keys)
    out["retrench_us_effort"] = keys["year"].map(us_effort_decline(inputs))
    return out
