"""The ally's threat environment: ``threat_external`` (the model's ``threat``) and ``threat_other``.

The alliance's adversaries (:data:`ADVERSARIES`, COW codes with the years in
which each counts) are the USSR/Russia and the Warsaw Pact states to the end
of the Cold War, the PRC, North Korea, North Vietnam/Vietnam to 1991 and Cuba
1961-1991. Every component is measured in year ``t - 1`` and entered in year
``t`` (lagged one year, so the threat precedes the behaviour it explains).

``threat_external`` (threat from the alliance's adversaries) is the sum of

* ``threat_ext_rivalries``: Thompson-Dreyer strategic rivalries with an
  adversary (count);
* ``threat_ext_mids``: ``log(1 + n)``, ``n`` the distinct militarized
  disputes (GML MID 2.2.1) with an adversary over the five years ending in
  ``t - 1``;
* ``threat_ext_proximity``: ``1000 / (1000 + d)``, ``d`` the minimum distance
  in km (CShapes 2.0) to the nearest of the Soviet bloc, the PRC and North
  Korea. The source extract holds distances to the USSR/Russia, the PRC and
  North Korea only, so a land border with a Warsaw Pact member
  (:data:`BLOC_BORDERS`: West Germany with the GDR and Czechoslovakia, Greece
  with Albania and Bulgaria, Turkey with Bulgaria) counts as distance 0 to the
  bloc, where Soviet forces were stationed;
* ``threat_ext_capability``: ``10 x sum_a cinc_a x proximity_a`` over the
  Soviet bloc (the USSR's and its Warsaw Pact allies' CINC together, at the
  bloc's proximity), the PRC and North Korea: the adversaries' share of world
  capabilities discounted by distance (a loss-of-strength gradient; 10% of the
  world's capabilities next door counts 1). Vietnam and Cuba, without
  distances in the source, enter through rivalries and disputes only.

``threat_other`` (rivalries and disputes with everyone else, other US allies
included) is ``threat_other_rivalries + threat_other_mids``, built the same way.
Rivalries and disputes with the United States itself count in neither.

Disputes that are a US-led war coalition's own fighting are dropped from
both: in each war of ``data/facts/us_interventions.csv`` and its years, a
state that fights on the US side of a COW war against the war's target
(:data:`WAR_TARGETS`), or takes part against the target in a MID in which the
US or such a COW partner opposes it in those years, is a coalition member,
and its disputes with the target in those years are not threat (the state
the war defends - South Korea, South Vietnam, Kuwait - is exempt). Otherwise
joining a US war would raise the joiner's measured threat.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayes_alliance.constants import LAST_YEAR, PATRON_CCODE
from bayes_alliance.data.build_inputs import GFR, Inputs, fact_table, unify_germany
from bayes_alliance.errors import DataSourceError

__all__ = ["ADVERSARIES", "BLOC", "BLOC_BORDERS", "MID_WINDOW", "WAR_TARGETS",
           "coalition_dyads", "is_adversary", "threat_components"]

#: the alliance's adversaries: COW code -> (name, first year, last year counted)
ADVERSARIES: dict[int, tuple[str, int, int]] = {
    365: ("USSR/Russia", 1945, LAST_YEAR),
    710: ("People's Republic of China", 1949, LAST_YEAR),
    731: ("North Korea", 1948, LAST_YEAR),
    816: ("North Vietnam / Vietnam", 1954, 1991),
    40: ("Cuba", 1961, 1991),
    265: ("German Democratic Republic", 1954, 1989),
    290: ("Poland", 1945, 1989),
    310: ("Hungary", 1945, 1989),
    315: ("Czechoslovakia", 1948, 1989),
    339: ("Albania", 1945, 1990),
    355: ("Bulgaria", 1945, 1989),
    360: ("Romania", 1945, 1989),
}
#: the Soviet bloc (USSR and Warsaw Pact members), whose capabilities are summed
BLOC: tuple[int, ...] = (365, 265, 290, 310, 315, 339, 355, 360)
#: adversaries other than the bloc with distances in the CShapes extract
REACH: dict[int, str] = {710: "prc", 731: "prk"}
#: panel allies' land borders with Warsaw Pact members (not in the CShapes extract)
BLOC_BORDERS: dict[int, tuple[int, ...]] = {GFR: (265, 315), 350: (339, 355), 640: (355,)}
#: targets of each US-led war and the state it defends (war names of us_interventions.csv)
WAR_TARGETS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "Korean War": ((731, 710), (732,)),
    "Vietnam War": ((816,), (817,)),
    "Gulf War": ((645,), (690,)),
    "Afghanistan": ((700,), ()),
    "Iraq War": ((645,), ()),
}
#: years in the dispute window (t-5 .. t-1 after the lag)
MID_WINDOW = 5
PROXIMITY_SCALE_KM = 1000.0
#: CINC is multiplied by this so that 10% of world capabilities counts 1
CINC_SCALE = 10.0
LAG = 1


def is_adversary(code: pd.Series, year: pd.Series) -> pd.Series:
    """True where ``code`` is an adversary of the alliance in ``year``."""
    first = code.map({c: a for c, (_, a, _) in ADVERSARIES.items()})
    last = code.map({c: b for c, (_, _, b) in ADVERSARIES.items()})
    return (year >= first) & (year <= last)


def _rivalries(inputs: Inputs) -> pd.DataFrame:
    """Rivalry counts by state-year, split into adversary and other rivals."""
    riv = inputs.frame("td_rivalries")
    parts = []
    for side, other in (("ccode1", "ccode2"), ("ccode2", "ccode1")):
        parts.append(riv[["rivalryno", side, other, "styear", "endyear"]]
                     .rename(columns={side: "ccode", other: "rival"}))
    spells = pd.concat(parts, ignore_index=True)
    spells["year"] = [list(range(int(a), int(b) + 1))
                      for a, b in zip(spells["styear"], spells["endyear"], strict=True)]
    years = unify_germany(spells.explode("year").astype({"year": int}))
    years = years[years["rival"] != PATRON_CCODE]
    years["ext"] = is_adversary(years["rival"], years["year"])
    counts = (years.groupby(["ccode", "year", "ext"])["rivalryno"].nunique()
              .unstack("ext", fill_value=0).reindex(columns=[True, False], fill_value=0))
    counts.columns = ["threat_ext_rivalries", "threat_other_rivalries"]
    return counts.reset_index()


def _mids(inputs: Inputs) -> pd.DataFrame:
    """GML dispute rows with the panel's German codes on both sides."""
    return unify_germany(unify_germany(inputs.frame("gml_mids"), code="ccode1"), code="ccode2")


def coalition_dyads(inputs: Inputs) -> set[tuple[int, int, int]]:
    """(member, target, year) of US-led war coalitions fighting the war's target.

    Raises
    ------
    DataSourceError
        When ``data/facts/us_interventions.csv`` names a war without targets in
        :data:`WAR_TARGETS`.
    """
    mids = _mids(inputs)
    war = unify_germany(inputs.frame("cow_war_inter"), code="ccode1")
    out: set[tuple[int, int, int]] = set()
    for w in fact_table("us_interventions").itertuples(index=False):
        if w.war not in WAR_TARGETS:
            raise DataSourceError(
                f"data/facts/us_interventions.csv: war '{w.war}' has no targets in "
                f"bayes_alliance.data.build_threat.WAR_TARGETS; add its targets there")
        targets, defended = WAR_TARGETS[w.war]
        years = range(int(w.first_year), int(w.last_year) + 1)
        us_side = war[(war["ccode1"] == PATRON_CCODE) & war["year"].isin(years)]
        enemy = war[war["ccode1"].isin(targets)][["warnum", "year", "sidea1"]]
        fought = us_side.merge(enemy, on=["warnum", "year"], suffixes=("", "_t"))
        fought = fought[fought["sidea1"] != fought["sidea1_t"]][["warnum", "year", "sidea1"]]
        partners = war.merge(fought.drop_duplicates(), on=["warnum", "year", "sidea1"])
        members = set(zip(partners["ccode1"], partners["year"], strict=True))
        # the war's disputes: those in which the US or a COW partner opposes a target
        on_target = mids[mids["ccode2"].isin(targets) & mids["year"].isin(years)]
        fighters = {PATRON_CCODE} | {c for c, _ in members}
        disputes = set(on_target.loc[on_target["ccode1"].isin(fighters), "dispnum"])
        shared = on_target[on_target["dispnum"].isin(disputes)]
        members |= set(zip(shared["ccode1"], shared["year"], strict=True))
        out |= {(int(c), t, int(y)) for c, y in members
                if c != PATRON_CCODE and c not in defended for t in targets}
    return out


def _disputes(inputs: Inputs) -> pd.DataFrame:
    """Dispute windows by state-year: log(1 + distinct disputes), adversary and other."""
    mids = _mids(inputs)
    mids = mids[mids["ccode2"] != PATRON_CCODE]
    war = coalition_dyads(inputs)
    fighting = [(c, t, y) in war for c, t, y in
                zip(mids["ccode1"], mids["ccode2"], mids["year"], strict=True)]
    mids = mids[~np.array(fighting, dtype=bool)]
    mids = mids.assign(ext=is_adversary(mids["ccode2"], mids["year"]))
    own = mids[["ccode1", "year", "dispnum", "ext"]].drop_duplicates()
    # a dispute active in year y counts in the windows ending y .. y+4, once each
    spread = pd.concat([own.assign(year=own["year"] + k) for k in range(MID_WINDOW)])
    counts = (spread.drop_duplicates().groupby(["ccode1", "year", "ext"])["dispnum"].nunique()
              .unstack("ext", fill_value=0).reindex(columns=[True, False], fill_value=0))
    out = np.log1p(counts)
    out.columns = ["threat_ext_mids", "threat_other_mids"]
    return out.rename_axis(index={"ccode1": "ccode"}).reset_index()


def _proximities(inputs: Inputs) -> pd.DataFrame:
    """State-year proximity (0-1) to the Soviet bloc, the PRC and North Korea."""
    dist = inputs.frame("cow_mindist")
    dist = unify_germany(unify_germany(dist, code="ccode1"), code="ccode2")
    wanted = {365: "bloc", **REACH}
    parts = []
    for here, there in (("ccode1", "ccode2"), ("ccode2", "ccode1")):
        part = dist[dist[there].isin(list(wanted))]
        parts.append(pd.DataFrame({"ccode": part[here], "year": part["year"],
                                   "to": part[there].map(wanted), "km": part["mindist"]}))
    km = pd.concat(parts).groupby(["ccode", "year", "to"])["km"].min().unstack("to")
    prox = PROXIMITY_SCALE_KM / (PROXIMITY_SCALE_KM + km)
    prox = prox.reindex(columns=list(wanted.values())).reset_index()
    for ally, neighbours in BLOC_BORDERS.items():
        years = {y for n in neighbours for y in range(ADVERSARIES[n][1], ADVERSARIES[n][2] + 1)}
        prox.loc[(prox["ccode"] == ally) & prox["year"].isin(years), "bloc"] = 1.0
    return prox


def _capabilities(inputs: Inputs) -> pd.DataFrame:
    """Year-by-year CINC of the Soviet bloc, the PRC and North Korea (wide)."""
    nmc = inputs.frame("cow_nmc")[["ccode", "year", "cinc"]]
    nmc = nmc[is_adversary(nmc["ccode"], nmc["year"])]
    group = nmc["ccode"].map({**dict.fromkeys(BLOC, "bloc"), **REACH})
    return (nmc.assign(to=group).dropna(subset=["to"]).groupby(["year", "to"])["cinc"].sum()
            .unstack("to").reindex(columns=["bloc", "prc", "prk"]).fillna(0.0))


def _external_position(inputs: Inputs) -> pd.DataFrame:
    """``threat_ext_proximity`` and ``threat_ext_capability`` by state-year (unlagged)."""
    prox = _proximities(inputs)
    cols = ["bloc", "prc", "prk"]
    weights = _capabilities(inputs).reindex(prox["year"]).fillna(0.0).to_numpy()
    near = prox[cols]
    return pd.DataFrame({
        "ccode": prox["ccode"], "year": prox["year"],
        "threat_ext_proximity": near.max(axis=1),
        "threat_ext_capability": CINC_SCALE * (near * weights).sum(axis=1, min_count=1),
    })


def threat_components(keys: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """The lagged external and other threat components for each ally-year of ``keys``.

    Parameters
    ----------
    keys
        Ally-year rows with ``ally``, ``ccode``, ``year``.
    inputs
        The source files.

    Returns
    -------
    pandas.DataFrame
        ``ally``, ``year``, ``threat_ext_rivalries``, ``threat_ext_mids``,
        ``threat_ext_proximity``, ``threat_ext_capability``,
        ``threat_other_rivalries``, ``threat_other_mids``, each measured in
        ``year - 1``. Counts are 0 where no rivalry or dispute is listed; the
        proximity and capability terms may be missing where CShapes has no
        distance (the builder fills such gaps within the ally).
    """
    out = keys[["ally", "ccode", "year"]].assign(source_year=keys["year"] - LAG)
    for part in (_rivalries(inputs), _disputes(inputs), _external_position(inputs)):
        part = part.rename(columns={"year": "source_year"})
        out = out.merge(part, on=["ccode", "source_year"], how="left")
    for col in ("threat_ext_rivalries", "threat_ext_mids", "threat_other_rivalries",
                "threat_other_mids"):
        out[col] = out[col].fillna(0).astype(float)
    return out[["ally", "year", "threat_ext_rivalries", "threat_ext_mids",
                "threat_ext_proximity", "threat_ext_capability", "threat_other_rivalries",
                "threat_other_mids"]]
