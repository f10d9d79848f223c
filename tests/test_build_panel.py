"""The real panel built from the shared public source files (skipped when they are absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bayes_alliance.cli.data import app as data_app
from bayes_alliance.constants import FIRST_YEAR, LAST_YEAR
from bayes_alliance.data import build as core
from bayes_alliance.data import sources
from bayes_alliance.data.build import build_panel, real_panel
from bayes_alliance.data.build_allies import alliance_differences, curated_allies
from bayes_alliance.data.build_codebook import missing_entries, render_codebook
from bayes_alliance.data.build_inputs import Inputs
from bayes_alliance.data.build_milex import _splice_factor, cow_share, sipri_share
from bayes_alliance.data.build_outcomes import intervention_years, nuclear_crosscheck
from bayes_alliance.data.build_text import measure_available
from bayes_alliance.data.build_troops import troop_series
from bayes_alliance.data.load import load_panel
from bayes_alliance.data.panel import COLUMNS, validate_frame
from bayes_alliance.errors import DataSourceError
from bayes_alliance.resources import data_path

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def inputs(shared_data_dir: Path) -> Inputs:
    return Inputs(shared_data_dir)


@pytest.fixture(scope="module")
def frame(shared_data_dir: Path) -> pd.DataFrame:
    """A fresh build, exactly as `bayes-alliance data ship` makes the shipped panel."""
    return build_panel(shared_data_dir)


def _value(frame: pd.DataFrame, ally: str, year: int, col: str) -> object:
    row = frame[(frame["ally"] == ally) & (frame["year"] == year)]
    assert len(row) == 1, (ally, year)
    return row[col].iloc[0]


def _milex(frame: pd.DataFrame, ally: str, first: int, last: int) -> pd.Series:
    rows = frame[(frame["ally"] == ally) & frame["year"].between(first, last)]
    assert len(rows) == last - first + 1
    return rows["milex_gdp"]


def test_panel_validates_and_covers_1950_2010(frame: pd.DataFrame) -> None:
    panel = validate_frame(frame, source="real")
    f = panel.frame
    assert set(COLUMNS) <= set(f.columns)
    assert f["year"].min() == FIRST_YEAR and f["year"].max() == LAST_YEAR
    assert set(range(FIRST_YEAR, LAST_YEAR + 1)) <= set(f["year"])
    assert f["ally"].nunique() >= 30
    assert not f.duplicated(["ally", "year"]).any()
    for col in ("threat", "exit_capacity", "importance", "retrench", "us_troops", "gdp",
                "exit_pursuit"):
        assert f[col].notna().all(), col
    assert f["milex_gdp"].notna().mean() > 0.95
    assert set(f["milex_source"].dropna()) <= {"sipri", "cow_nmc_spliced", "cow_nmc_unspliced"}
    assert (f["milex_source"].isna() == f["milex_gdp"].isna()).all()


def test_milex_magnitudes(frame: pd.DataFrame) -> None:
    uk = _milex(frame, "UKG", 1958, 1962)
    assert 5.0 <= uk.mean() <= 8.0 and uk.between(5.0, 8.5).all()
    japan = _milex(frame, "JPN", 1970, 2010)
    assert japan.between(0.6, 1.4).all() and 0.8 <= japan.mean() <= 1.2
    korea = _milex(frame, "ROK", 1975, 1979)
    assert korea.between(4.0, 6.5).all() and 4.0 <= korea.mean() <= 6.0
    germany = _milex(frame, "GFR", 1960, 1969)
    assert germany.between(3.0, 5.0).all()


def test_spliced_fallback_reproduces_held_out_sipri(inputs: Inputs) -> None:
    both = sipri_share(inputs).merge(cow_share(inputs), on=["ccode", "year"])
    for code, (first, last) in {260: (1960, 1969), 200: (1958, 1962), 732: (1975, 1979)}.items():
        own = both[both["ccode"] == code].set_index("year")
        held = own.loc[first:last]
        ratios = (own["sipri_pct"] / own["cow_pct"]).drop(held.index)
        spliced = [row.cow_pct * _splice_factor(y, ratios) for y, row in held.iterrows()]
        error = abs(sum(spliced) / len(spliced) / held["sipri_pct"].mean() - 1)
        assert error < 0.35, (code, error)


def test_troop_doubling_is_detected_and_not_used(frame: pd.DataFrame, inputs: Inputs) -> None:
    series = troop_series(inputs)
    flagged = series[series["flag_double_kane"] == 1]
    assert len(flagged) >= 150 and (flagged["multiple"] == 2).all()
    assert (series["multiple"] > 1).sum() > len(flagged)  # also non-exact and 1950s triples
    assert _value(frame, "ROK", 1975, "us_troops") == pytest.approx(40.204)
    assert _value(frame, "ROK", 1975, "troops_multiple") == 2  # 82,372 = 2.05 x 40,204
    assert _value(frame, "TUR", 1980, "us_troops") == pytest.approx(5.269)
    assert _value(frame, "TUR", 1980, "troops_multiple") == 2
    assert _value(frame, "ROK", 1953, "us_troops") == pytest.approx(326.863)
    rows = frame.merge(series, on=["ccode", "year"], how="left")
    hit = rows[rows["troops_multiple"] > 1]
    assert len(hit) > 100
    reference = hit["kane"].fillna(hit["legacy"])
    assert ((hit["us_troops_reported"] * 1000 - reference).abs() < 1e-6).all()
    assert (hit["us_troops_reported"] * 1000 < hit["rebuild"]).all()
    assert frame["us_troops"].between(0, 400).all()


def test_atop_and_treaty_list_differences(frame: pd.DataFrame, inputs: Inputs) -> None:
    diff = alliance_differences(inputs).set_index("ally")
    assert {"IRN", "ISR", "JAM"} <= set(diff.index)
    assert not diff.loc[["IRN", "ISR"], "in_curated"].any()
    assert (diff["only_curated"] == "").all()  # every treaty-list year has an ATOP pledge
    assert set(frame["ally"]) <= set(curated_allies()["ally"])
    assert not frame["ally"].isin(["IRN", "ISR", "JAM"]).any()
    years = frame.groupby("ally")["year"].agg(["min", "max"])
    assert years.loc["GFR", "min"] == 1955 and years.loc["GFR", "max"] == 1990
    assert years.loc["GMY", "min"] == 1991
    assert years.loc["TAW", "max"] == 1980 and years.loc["PAK", "max"] == 2010
    assert years.loc["SPN", "min"] == 1963


def test_states_that_left_the_alignment_are_out(frame: pd.DataFrame) -> None:
    cuba = frame.loc[frame["ally"] == "CUB", "year"]
    assert cuba.max() == 1959  # ATOP keeps the Rio pledge to 1962
    nic = set(frame.loc[frame["ally"] == "NIC", "year"])
    assert {1979, 1990} <= nic and not nic & set(range(1980, 1990))


def test_guantanamo_and_canal_zone_are_not_protective_garrisons(frame: pd.DataFrame) -> None:
    for ally, year in (("CUB", 1955), ("PAN", 1970)):
        assert _value(frame, ally, year, "us_troops") == 0
        assert _value(frame, ally, year, "us_troops_reported") > 0.5  # thousands reported
        assert _value(frame, ally, year, "us_troops_source") == "not_protective"
    assert _value(frame, "PAN", 2005, "us_troops_source") != "not_protective"
    kept = frame["us_troops_source"] != "not_protective"
    assert (frame.loc[kept, "us_troops"] == frame.loc[kept, "us_troops_reported"]).all()


def test_intervene_defined_only_in_intervention_years(frame: pd.DataFrame) -> None:
    war_year = frame["year"].isin(intervention_years())
    assert frame.loc[~war_year, "intervene"].isna().all()
    unknown = frame["intervene_source"] == "unknown"
    assert frame.loc[war_year & ~unknown, "intervene"].notna().all()
    assert _value(frame, "ROK", 1966, "intervene") == 1
    assert _value(frame, "AUL", 1968, "intervene") == 1
    assert _value(frame, "JPN", 1991, "intervene") == 0
    assert _value(frame, "UKG", 2003, "intervene") == 1
    assert _value(frame, "THI", 1973, "intervene_source") == "cow"
    assert pd.isna(_value(frame, "TAW", 1972, "intervene"))
    assert _value(frame, "ROK", 2008, "intervene") == 1  # Zaytun unit in Iraq to December 2008
    assert _value(frame, "JPN", 2005, "intervene") == 1  # Samawah (Iraq); OEF refuelling
    assert _value(frame, "SAL", 2006, "intervene") == 1  # Cuscatlan battalion in Iraq
    assert _value(frame, "MEX", 2008, "intervene") == 0


def test_isaf_2008_magnitude_matches_nato_placemat(frame: pd.DataFrame) -> None:
    """NATO's ISAF placemat of 1 December 2008: 41 troop-contributing nations, among them
    all 26 NATO members. So every one of the 25 non-US NATO members of 2008 is coded 1,
    and the allies coded 1 that year are those 25 plus a few others (Albania and Croatia,
    invited in 2008; Australia; Japan, South Korea and El Salvador through Iraq or OEF)."""
    allies = curated_allies()
    nato_2008 = allies[allies["groups"].str.contains("nato") & (allies["first_year"] <= 2008)
                       & (allies["last_year"] >= 2008)]["ally"]
    assert len(set(nato_2008)) == 25
    rows = frame[frame["year"] == 2008].set_index("ally")
    assert (rows.loc[list(nato_2008), "intervene"] == 1).all()
    assert 28 <= int((rows["intervene"] == 1).sum()) <= 35
    assert (rows["intervene"] == 1).sum() > 2 * 11  # the issue counted 11 coded 1 before


def test_hns_magnitude_and_masking(frame: pd.DataFrame) -> None:
    """DoD, Report on Allied Contributions to the Common Defense (2004): Japan's host-nation
    support in 2002 was about 4.4 billion current USD, about 75% of US stationing costs, and
    the largest of any ally; Germany's about 1.6 billion; South Korea's about 0.84 billion."""
    jpn = _value(frame, "JPN", 2002, "hns")
    assert 4.4e3 * 1.2 < jpn < 4.4e3 * 1.3  # CPI-U 2011/2002 = 224.9 / 179.9 = 1.25
    assert jpn > _value(frame, "GMY", 2002, "hns") > _value(frame, "ROK", 2002, "hns")
    assert frame["hns"].notna().sum() == frame["hns_current"].notna().sum() == 5
    assert pd.isna(_value(frame, "JPN", 2001, "hns"))  # masked, never 0
    assert (frame["hns"].dropna() > 0).all()
    assert _value(frame, "ROK", 1991, "hns_sma_cash") == 150


def test_visits_follow_the_historians_lists(frame: pd.DataFrame) -> None:
    # Eisenhower's 1960 trip to Japan was cancelled; Ford's 1974 visit was the first
    japan = frame[frame["ally"] == "JPN"].set_index("year")
    assert japan.loc[1952:1973, "visits_president"].sum() == 0
    assert japan.loc[1974, "visits_president"] == 1
    assert _value(frame, "GFR", 1963, "visits_president") >= 1  # Kennedy in Berlin and Bonn
    assert _value(frame, "GMY", 1994, "visits_president") >= 1  # Clinton, July 1994
    assert _value(frame, "ROK", 1965, "visits_received") >= 1  # Park Chung-hee, May 1965
    visits = ["visits_president", "visits_secretary", "visits_received"]
    assert frame[visits].notna().all().all() and (frame[visits] >= 0).all().all()
    per_year = frame.groupby("year")["visits_secretary"].sum()
    assert per_year.loc[1990:2010].mean() > per_year.loc[1950:1960].mean()


def test_exit_pursuit_follows_facts_and_bleek(frame: pd.DataFrame, inputs: Inputs) -> None:
    assert _value(frame, "ROK", 1975, "exit_pursuit") == 1
    assert _value(frame, "ROK", 1985, "exit_pursuit") == 0
    assert _value(frame, "TAW", 1970, "exit_pursuit") == 1
    assert _value(frame, "FRN", 1960, "exit_pursuit") == 0
    assert _value(frame, "FRN", 1960, "nuclear_level") == 1
    assert _value(frame, "NOR", 1955, "exit_pursuit_source") == "bleek2017"
    assert _value(frame, "NOR", 1955, "exit_pursuit") == 1
    keys = frame[["ally", "ccode", "year"]]
    diff = nuclear_crosscheck(keys, inputs)
    assert set(diff["ally"]) <= {"FRN", "ITA", "JPN", "PAK", "ROK", "TAW"}
    assert len(diff) < 30


def test_threat_agrees_with_latent_territorial_threat(frame: pd.DataFrame,
                                                     inputs: Inputs) -> None:
    # territorial threat comes mostly from neighbours, not from the alliance's
    # adversaries, so it tracks the total of external and other threat
    both = frame.merge(inputs.frame("terrthreat"), on=["ccode", "year"])
    assert len(both) > 2000
    total = both["threat_external"] + both["threat_other"]
    assert total.corr(both["lterrthreat"], method="spearman") > 0.4
    assert both["threat_other"].corr(both["lterrthreat"], method="spearman") > 0.4


def test_exit_pursuit_agrees_with_owid_expansion_of_bleek(frame: pd.DataFrame,
                                                          inputs: Inputs) -> None:
    names = {"United Kingdom": "UKG", "France": "FRN", "South Korea": "ROK", "Taiwan": "TAW",
             "Japan": "JPN", "Italy": "ITA", "Australia": "AUL", "Pakistan": "PAK",
             "Germany": "GFR", "Norway": "NOR", "Brazil": "BRA", "Argentina": "ARG"}
    owid = inputs.frame("nuclear_owid")
    owid = owid[owid["country_name"].isin(list(names))]
    owid = owid.assign(ally=owid["country_name"].map(names),
                       owid=owid["nuclear_weapons_status"].isin([1, 2]).astype(int))
    both = frame.merge(owid[["ally", "year", "owid"]], on=["ally", "year"])
    assert len(both) > 500
    assert (both["exit_pursuit"] == both["owid"]).mean() > 0.9


def test_covariate_indices_have_sensible_shapes(frame: pd.DataFrame) -> None:
    # Korea faces a neighbouring adversary and a rivalry; Luxembourg neither
    assert _value(frame, "ROK", 1975, "threat") > _value(frame, "LUX", 1975, "threat") + 1.5
    # West Germany outweighs Luxembourg; Japan has a nuclear-latent outside option by 1980
    assert _value(frame, "GFR", 1970, "importance") > _value(frame, "LUX", 1970, "importance")
    assert _value(frame, "JPN", 1980, "nuclear_level") == 0.5
    # the Mansfield/Vietnam years press harder than the early 1980s
    europe = frame[frame["region"] == "europe"].groupby("year")["retrench"].mean()
    assert europe.loc[1971] > europe.loc[1983] + 1
    assert frame["threat_ext_proximity"].between(0, 1).all()


def test_codebook_is_complete_and_up_to_date(frame: pd.DataFrame, inputs: Inputs) -> None:
    assert missing_entries(frame) == []
    expected = render_codebook(frame, alliance_differences(inputs))
    current = data_path("codebook.md").read_text(encoding="utf-8")
    assert current == expected, ("data/codebook.md is stale; regenerate it with "
                                 "`bayes-alliance data ship --source-dir ../shared/data`")


def test_shipped_panel_equals_a_fresh_build(frame: pd.DataFrame, tmp_path: Path) -> None:
    shipped, meta = core.shipped_paths()
    fresh, _ = core.write_panel(frame, tmp_path / core.SHIPPED)
    if fresh.read_bytes() != shipped.read_bytes():
        old, new = pd.read_csv(shipped), pd.read_csv(fresh)
        cols = sorted(set(old.columns) ^ set(new.columns))
        if len(old) == len(new):
            cols += [c for c in new.columns if c in old.columns
                     and not old[c].equals(new[c])]
        pytest.fail(f"data/{core.SHIPPED} differs from a fresh build ({len(old)} vs "
                    f"{len(new)} rows; columns {cols}); regenerate it with "
                    f"`bayes-alliance data ship --source-dir ../shared/data`")
    assert json.loads(meta.read_text(encoding="utf-8")) == core.provenance(frame), (
        f"{meta.name} is stale; regenerate with `bayes-alliance data ship`")


@pytest.fixture
def cache_env(shared_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(sources.ENV_DATA_URL, raising=False)
    monkeypatch.setenv(sources.ENV_DATA_DIR, str(shared_data_dir))
    monkeypatch.setenv(sources.ENV_CACHE_DIR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_real_panel_rebuild_is_cached_and_loadable(cache_env: Path, frame: pd.DataFrame,
                                                   shared_data_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = real_panel(rebuild=True)
    assert first.source == "real" and len(first.frame) == len(frame)
    assert core.cache_path().is_file()
    assert any("real panel" in note for note in first.notes)

    def no_build(*args: object, **kwargs: object) -> pd.DataFrame:
        raise AssertionError("the cached panel should have been used")

    if measure_available():  # the speeches corpus is among the shared sources
        assert first.frame["exposure"].notna().sum() > 1000
        assert first.frame["reassure"].notna().sum() > 100
        assert any("measured from speeches.jsonl" in note for note in first.notes)
    monkeypatch.setattr(core, "build_panel", no_build)
    again = real_panel(source_dir=shared_data_dir)  # same sources: the cache is used
    pd.testing.assert_frame_equal(again.frame, first.frame)
    shipped = load_panel("real")  # the shipped file, not a build
    assert len(shipped.frame) == len(frame)


def test_real_panel_loads_offline_without_sources(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (sources.ENV_DATA_DIR, sources.ENV_DATA_URL):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(sources.ENV_CACHE_DIR, str(tmp_path / "empty"))
    panel = load_panel("real")
    assert panel.source == "real" and len(panel.frame) > 2500
    assert panel.frame["reassure"].notna().any() and panel.frame["visits_president"].sum() > 100
    assert not (tmp_path / "empty").exists()  # nothing built, nothing downloaded
    with pytest.raises(DataSourceError, match=sources.ENV_DATA_DIR):
        real_panel(rebuild=True)


def test_cli_build_writes_atomically_and_refuses_overwrite(shared_data_dir: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "panel.csv"
    runner = CliRunner()
    args = ["build", "--source-dir", str(shared_data_dir), "--out", str(out), "--json"]
    result = runner.invoke(data_app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == len(pd.read_csv(out)) and summary["allies"] >= 30
    assert summary["first_year"] == FIRST_YEAR and summary["last_year"] == LAST_YEAR
    assert summary["milex_source"]["sipri"] > 2000 and "milex_gdp" in summary["missing"]
    again = runner.invoke(data_app, args)
    assert again.exit_code == 1 and "exists" in again.output
    assert list(tmp_path.glob(".panel.csv.*")) == []
    forced = runner.invoke(data_app, [*args, "--force"])
    assert forced.exit_code == 0
    assert load_panel(out).frame["ally"].nunique() == summary["allies"]


def test_joint_real_spec_builds_on_the_real_panel(cache_env: Path) -> None:
    import numpy as np

    from bayes_alliance.models.model import AllianceModel

    model = AllianceModel.from_spec("joint-real", "real")
    # 5 reassurance rows per ally at the median: "auto" must pick the non-centred form
    assert model.spec.centered is False and not model.spec.correlated
    assert "exit_capacity" in model.spec.outcome("milex").terms
    m = model.pymc_model
    assert "z_ally" in m.named_vars and "a_ally" not in m.named_vars
    assert np.isfinite(m.compile_logp()(m.initial_point()))
