"""Threat, exit capacity, importance and dependence of the real panel (needs ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayes_alliance.data.build import build_panel
from bayes_alliance.data.build_codebook import ENTRIES, missing_entries
from bayes_alliance.data.build_inputs import Inputs, fact_table, unify_germany
from bayes_alliance.data.build_threat import (
    ADVERSARIES,
    MID_WINDOW,
    WAR_TARGETS,
    coalition_dyads,
)
from bayes_alliance.resources import data_path

pytestmark = pytest.mark.shared_data

THREAT_EXT = ("threat_ext_rivalries", "threat_ext_mids", "threat_ext_proximity",
              "threat_ext_capability")
THREAT_OTHER = ("threat_other_rivalries", "threat_other_mids")
NEW_COLUMNS = ("threat_external", "threat_other", *THREAT_EXT, *THREAT_OTHER, "un_realign_rel",
               "cinc_latent", "latent_pct_us", "us_cinc_per_kpers", "dependence",
               "dependence_us_present")


@pytest.fixture(scope="module")
def inputs(shared_data_dir: Path) -> Inputs:
    return Inputs(shared_data_dir)


@pytest.fixture(scope="module")
def frame(shared_data_dir: Path) -> pd.DataFrame:
    return build_panel(shared_data_dir, use_text=False)


@pytest.fixture(scope="module")
def mids(inputs: Inputs) -> pd.DataFrame:
    return unify_germany(unify_germany(inputs.frame("gml_mids"), code="ccode1"), code="ccode2")


def _at(frame: pd.DataFrame, ally: str, year: int, col: str) -> float:
    row = frame[(frame["ally"] == ally) & (frame["year"] == year)]
    assert len(row) == 1, (ally, year)
    return float(row[col].iloc[0])


def _window(mids: pd.DataFrame, ccode: int, year: int) -> pd.DataFrame:
    """The ally's dispute rows that the lagged window of ``year`` covers."""
    span = range(year - MID_WINDOW, year)
    return mids[(mids["ccode1"] == ccode) & mids["year"].isin(span)]


def test_front_line_west_germany_faces_more_than_britain(frame: pd.DataFrame) -> None:
    assert _at(frame, "GFR", 1975, "threat") > _at(frame, "UKG", 1975, "threat") + 1
    # a Warsaw Pact border puts the whole Soviet bloc next door
    assert _at(frame, "GFR", 1975, "threat_ext_proximity") == 1.0
    assert (_at(frame, "GFR", 1975, "threat_ext_capability")
            > 1.5 * _at(frame, "UKG", 1975, "threat_ext_capability"))
    # the model's threat is the external threat
    assert (frame["threat"] == frame["threat_external"]).all()


def test_cold_war_threat_of_korea_and_japan(frame: pd.DataFrame) -> None:
    def era(ally: str, col: str, first: int, last: int) -> float:
        rows = frame[(frame["ally"] == ally) & frame["year"].between(first, last)]
        return float(rows[col].mean())

    assert era("ROK", "threat", 1955, 1989) > era("ROK", "threat", 2000, 2010)
    # Japan: the adversaries' capability within reach was larger in the Cold War ...
    for col in ("threat_ext_capability", "threat"):
        assert era("JPN", col, 1955, 1989) > era("JPN", col, 1990, 1999)
    assert (era("JPN", "threat_ext_capability", 1955, 1989)
            > era("JPN", "threat_ext_capability", 2000, 2010) + 0.8)
    # ... while its 2000s total is higher only through the dyadic record: the
    # China-Japan rivalry (Thompson-Dreyer, from 1996) and disputes with North
    # Korea, China and Russia (GML), which the sources do record
    dyadic = ("threat_ext_rivalries", "threat_ext_mids")
    assert (sum(era("JPN", c, 2000, 2010) for c in dyadic)
            > sum(era("JPN", c, 1955, 1989) for c in dyadic))
    # Japan's 1975 is no longer its least threatened year
    japan = frame[frame["ally"] == "JPN"].set_index("year")["threat"]
    assert japan.loc[1975] > japan.min()


def test_rivalries_among_us_allies_are_not_external(frame: pd.DataFrame,
                                                    mids: pd.DataFrame) -> None:
    # Greece-Turkey (and Argentina-UK) are other threat; Albania stops being an adversary in 1990
    for ally in ("GRC", "TUR"):
        rows = frame[(frame["ally"] == ally) & frame["year"].between(1992, 2010)]
        assert (rows["threat_ext_rivalries"] == 0).all()
        assert (rows["threat_other_rivalries"] >= 1).all()
    assert _at(frame, "ARG", 1983, "threat_ext_rivalries") == 0
    assert _at(frame, "ARG", 1983, "threat_other_rivalries") >= 1
    # windows holding only Greek-Turkish disputes add to threat_other alone
    only_turkey = 0
    for year in range(1956, 2011):
        window = _window(mids, 350, year)
        if len(window) and set(window["ccode2"]) == {640}:
            only_turkey += 1
            assert _at(frame, "GRC", year, "threat_ext_mids") == 0
            assert _at(frame, "GRC", year, "threat_other_mids") > 0
    assert only_turkey > 0


def test_disputes_with_the_us_count_in_neither(frame: pd.DataFrame, mids: pd.DataFrame) -> None:
    # e.g. Ecuador's and Peru's fishing disputes with the US
    checked = set()
    for row in frame[["ally", "ccode", "year"]].itertuples(index=False):
        window = _window(mids, int(row.ccode), int(row.year))
        if len(window) and set(window["ccode2"]) == {2}:
            checked.add(row.ally)
            assert _at(frame, row.ally, int(row.year), "threat_ext_mids") == 0
            assert _at(frame, row.ally, int(row.year), "threat_other_mids") == 0
    assert {"ECU", "PER"} <= checked


def test_war_coalition_fighting_is_not_threat(frame: pd.DataFrame, inputs: Inputs,
                                              mids: pd.DataFrame) -> None:
    war = coalition_dyads(inputs)
    # Gulf War members through the MID the US shared; New Zealand in Vietnam through
    # the dispute of its COW partners; the defended state and unrelated disputes stay
    assert {(200, 645, 1991), (20, 645, 1991), (920, 816, 1967), (900, 816, 1967),
            (200, 700, 2001)} <= war
    assert (732, 731, 1951) not in war
    assert (640, 645, 2005) not in war
    # the threat -> participation link is no longer built in: few war-year
    # participants keep a counted dispute with the war's target that year
    targets: dict[int, set[int]] = {}
    for w in fact_table("us_interventions").itertuples(index=False):
        for y in range(int(w.first_year), int(w.last_year) + 1):
            targets.setdefault(y, set()).update(WAR_TARGETS[w.war][0])
    joined = frame[frame["intervene"] == 1]
    raw = kept = 0
    for row in joined.itertuples(index=False):
        hits = mids[(mids["ccode1"] == row.ccode) & (mids["year"] == row.year)
                    & mids["ccode2"].isin(targets[row.year])]
        raw += bool(len(hits))
        kept += any((row.ccode, t, row.year) not in war for t in hits["ccode2"])
    # (with the full coalition coding, about a quarter of participant-years had one)
    assert raw > 0.2 * len(joined)
    assert kept < 0.1 * len(joined)


def test_threat_is_lagged_one_year(frame: pd.DataFrame) -> None:
    # the West Germany-East Germany rivalry ends in 1973 (Thompson-Dreyer)
    assert _at(frame, "GFR", 1974, "threat_ext_rivalries") == 1
    assert _at(frame, "GFR", 1975, "threat_ext_rivalries") == 0
    # the Warsaw Pact border counts through 1989, so in the panel through 1990
    assert _at(frame, "GFR", 1990, "threat_ext_proximity") == 1.0
    assert _at(frame, "GMY", 1991, "threat_ext_proximity") < 1.0


def test_adversary_list_covers_the_cold_war_blocs() -> None:
    assert {365, 710, 731, 816}.issubset(ADVERSARIES)
    assert ADVERSARIES[816][2] == 1991
    assert all(first <= last for _, first, last in ADVERSARIES.values())


def test_new_columns_ranges_and_coverage(frame: pd.DataFrame) -> None:
    for col in NEW_COLUMNS:
        assert frame[col].notna().all(), col
        assert np.isfinite(frame[col]).all(), col
    for col in ("threat_ext_rivalries", "threat_other_rivalries"):
        assert (frame[col] >= 0).all() and (frame[col] % 1 == 0).all()
    for col in ("threat_ext_mids", "threat_other_mids", "threat_ext_capability"):
        assert (frame[col] >= 0).all()
    assert frame["threat_ext_proximity"].between(0, 1).all()
    assert frame["threat_ext_capability"].max() < 5
    total = frame[list(THREAT_EXT)].sum(axis=1)
    np.testing.assert_allclose(frame["threat_external"], total)
    np.testing.assert_allclose(frame["threat_other"], frame[list(THREAT_OTHER)].sum(axis=1))
    assert frame["un_realign"].dropna().between(0, 1).all()
    assert frame["un_realign_rel"].between(-1, 1).all()
    assert frame["latent_pct_us"].between(0, 200).all()
    # US forces on the ally's soil only ever lower the dependence
    gap = frame["dependence"] - frame["dependence_us_present"]
    assert (gap[frame["us_troops"] > 0] > 0).all()
    assert (gap[frame["us_troops"] == 0].abs() < 1e-12).all()


def test_exit_capacity_is_time_comparable(frame: pd.DataFrame) -> None:
    decade = frame["year"] // 10
    raw = frame.groupby(decade)["un_realign"].median()
    assert raw.loc[200] - raw.loc[195] > 0.4  # why the raw position is not used
    rel = frame.groupby(decade)["un_realign_rel"].median()
    assert rel.abs().max() < 0.05
    # Estonia in 2005 sits with the other allies, not at Russia's side
    assert _at(frame, "EST", 2005, "un_realign_rel") < 0
    assert _at(frame, "EST", 2005, "exit_capacity") < frame["exit_capacity"].median()
    # exit_capacity contains neither nuclear latency nor military spending/personnel
    np.testing.assert_allclose(frame["exit_capacity"],
                               frame["un_realign_rel"] + 10 * frame["cinc_latent"])


def test_un_imputation_touches_exactly_the_non_member_rows(frame: pd.DataFrame) -> None:
    flagged = frame["imputed"].fillna("").str.contains("un_realign_rel")
    assert (flagged == frame["un_realign"].isna()).all()
    # non-member years: West Germany before 1973, South Korea before 1991
    assert flagged[(frame["ally"] == "GFR") & (frame["year"] < 1973)].all()
    assert flagged[(frame["ally"] == "ROK") & (frame["year"] < 1991)].all()
    assert not flagged[(frame["ally"] == "ROK") & (frame["year"] > 1991)].any()
    assert flagged.sum() < 0.06 * len(frame)


def test_importance_has_no_military_personnel(frame: pd.DataFrame) -> None:
    assert "milper_pct_us" not in frame.columns
    np.testing.assert_allclose(frame["importance"],
                               np.log1p(frame["gdp_pct_us"]) + np.log1p(frame["latent_pct_us"]))
    assert frame["gdp_pct_us"].corr(frame["latent_pct_us"], method="spearman") > 0.7
    assert _at(frame, "JPN", 1990, "importance") > _at(frame, "ROK", 1990, "importance")
    assert _at(frame, "GFR", 1975, "importance") > _at(frame, "BEL", 1975, "importance")


def test_dependence_orders_allies_by_exposure_to_their_means(frame: pd.DataFrame) -> None:
    # own capability is latent (non-military): spending, an outcome, does not enter
    np.testing.assert_allclose(
        frame["dependence"],
        np.log(frame["threat_ext_capability"] / (10 * frame["cinc_latent"])))
    # front-line Korea depends on US protection more than Japan or Britain,
    # small Norway next to the USSR more than West Germany
    rok, jpn, ukg = (_at(frame, a, 1975, "dependence") for a in ("ROK", "JPN", "UKG"))
    assert rok > max(jpn, ukg) + 1
    assert _at(frame, "NOR", 1975, "dependence") > _at(frame, "GFR", 1975, "dependence") + 1
    # tiny, exposed Estonia is among the most dependent allies of 2005
    year = frame[frame["year"] == 2005]
    assert _at(frame, "EST", 2005, "dependence") > year["dependence"].quantile(0.8)


def test_codebook_lists_every_new_column(frame: pd.DataFrame) -> None:
    assert missing_entries(frame) == []
    text = data_path("codebook.md").read_text(encoding="utf-8")
    for col in frame.columns:
        assert f"| `{col}` |" in text, col
    assert "H3-H5" in ENTRIES["dependence"].construction
    assert "## Imputation" in text
