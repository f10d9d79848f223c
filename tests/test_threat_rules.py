"""The threat builder's rules on small hand-made source tables (no real data needed)."""

from __future__ import annotations

import pandas as pd
import pytest

from bayes_alliance.data import build_threat
from bayes_alliance.data.build_inputs import Inputs
from bayes_alliance.data.build_threat import coalition_dyads, threat_components
from bayes_alliance.errors import DataSourceError

GRC, TUR, UKG, AUL, ROK, PRK, USSR, IRQ, USA = 350, 640, 200, 900, 732, 731, 365, 645, 2


def _inputs() -> Inputs:
    inputs = Inputs()
    inputs._frames.update({
        "td_rivalries": pd.DataFrame({
            "rivalryno": [1, 2, 3], "ccode1": [GRC, 2, PRK], "ccode2": [TUR, 40, ROK],
            "styear": [1955, 1959, 1948], "endyear": [2010, 2010, 2010]}),
        "gml_mids": pd.DataFrame({
            "dispnum": [10, 11, 12, 20, 20, 20, 30],
            "ccode1": [GRC, UKG, UKG, USA, UKG, AUL, ROK],
            "ccode2": [TUR, USA, USSR, IRQ, IRQ, IRQ, PRK],
            "year": [1980, 1980, 1980, 1991, 1991, 1991, 1951]}),
        "cow_war_inter": pd.DataFrame({
            "warnum": [151, 151, 151], "ccode1": [USA, ROK, PRK], "year": [1951] * 3,
            "sidea1": [1, 1, 2]}),
        "cow_mindist": pd.DataFrame({
            "ccode1": [UKG, GRC, TUR, UKG, GRC, TUR], "ccode2": [USSR] * 6,
            "year": [1980, 1980, 1980, 1981, 1981, 1981],
            "mindist": [1000.0, 900.0, 0.0, 1000.0, 900.0, 0.0]}),
        "cow_nmc": pd.DataFrame({"ccode": [USSR, USSR], "year": [1980, 1981],
                                 "cinc": [0.2, 0.2]}),
    })
    return inputs


@pytest.fixture
def wars(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.DataFrame({"war": ["Korean War", "Gulf War"], "first_year": [1950, 1990],
                          "last_year": [1953, 1991]})
    monkeypatch.setattr(build_threat, "fact_table", lambda name: table)


def test_coalition_members_but_not_the_defended_state(wars: None) -> None:
    dyads = coalition_dyads(_inputs())
    assert {(UKG, IRQ, 1991), (AUL, IRQ, 1991)} <= dyads
    assert not any(c in (USA, ROK) for c, _, _ in dyads)


def test_unknown_war_names_the_file_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.DataFrame({"war": ["Kosovo"], "first_year": [1999], "last_year": [1999]})
    monkeypatch.setattr(build_threat, "fact_table", lambda name: table)
    with pytest.raises(DataSourceError, match=r"us_interventions\.csv.*Kosovo.*WAR_TARGETS"):
        coalition_dyads(_inputs())


def test_components_split_lag_and_exclusions(wars: None) -> None:
    keys = pd.DataFrame({"ally": ["GRC", "UKG", "TUR", "UKG", "AUL", "ROK"],
                         "ccode": [GRC, UKG, TUR, UKG, AUL, ROK],
                         "year": [1981, 1981, 1982, 1992, 1992, 1956]})
    out = threat_components(keys, _inputs()).set_index(["ally", "year"])
    # Greece-Turkey is a rivalry and a dispute between allies: other threat only
    assert out.loc[("GRC", 1981), "threat_ext_rivalries"] == 0
    assert out.loc[("GRC", 1981), "threat_other_rivalries"] == 1
    assert out.loc[("GRC", 1981), "threat_ext_mids"] == 0
    assert out.loc[("GRC", 1981), "threat_other_mids"] > 0
    # Britain's 1980 dispute with the USSR is external; the one with the US counts nowhere
    assert out.loc[("UKG", 1981), "threat_ext_mids"] == pytest.approx(0.6931, abs=1e-4)
    assert out.loc[("UKG", 1981), "threat_other_mids"] == 0
    # measured in t-1: distances and CINC of 1980 and 1981; Turkey borders the USSR
    assert out.loc[("UKG", 1981), "threat_ext_proximity"] == pytest.approx(0.5)
    assert out.loc[("UKG", 1981), "threat_ext_capability"] == pytest.approx(10 * 0.2 * 0.5)
    assert out.loc[("TUR", 1982), "threat_ext_proximity"] == 1.0
    # the Gulf War coalition's own fighting with Iraq is not threat in 1992
    assert out.loc[("UKG", 1992), "threat_other_mids"] == 0
    assert out.loc[("AUL", 1992), "threat_other_mids"] == 0
    # South Korea's own war stays its threat (the state the war defended)
    assert out.loc[("ROK", 1956), "threat_ext_mids"] > 0
    assert out.loc[("ROK", 1956), "threat_ext_rivalries"] == 1
