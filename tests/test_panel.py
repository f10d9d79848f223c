"""The panel contract: every validation rule, loading, and the default panel."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import bayes_alliance as ba
from bayes_alliance.cli import app
from bayes_alliance.data.panel import COVARIATES, REQUIRED, validate_frame


def good_frame() -> pd.DataFrame:
    rows = []
    for ally in ("ROK", "JPN", "GFR"):
        for year in (1970, 1971, 1972):
            rows.append({"ally": ally, "year": year, "reassure": 2.0, "exposure": 5.0,
                         "milex_gdp": 3.1, "intervene": np.nan, "exit_pursuit": 0.0,
                         "threat": 0.5, "exit_capacity": 0.1, "importance": 1.0,
                         "retrench": 0.2, "us_troops": 40.0, "gdp": 100.0})
    return pd.DataFrame(rows)


def problem_text(df: pd.DataFrame, **kw) -> str:
    with pytest.raises(ba.PanelError) as err:
        validate_frame(df, **kw)
    return str(err.value)


def test_good_frame_validates_and_gets_ccodes():
    panel = validate_frame(good_frame())
    assert panel.allies == ["GFR", "JPN", "ROK"]
    assert panel.frame["ccode"].tolist()[:3] == [260, 260, 260]
    assert list(panel.frame["year"][:3]) == [1970, 1971, 1972]


@pytest.mark.parametrize("column", REQUIRED)
def test_missing_required_column(column):
    msg = problem_text(good_frame().drop(columns=column))
    assert column in msg and "required column missing" in msg


def test_wrong_dtype_names_column_and_rows():
    df = good_frame().astype({"threat": object})
    df.loc[4, "threat"] = "high"
    msg = problem_text(df)
    assert "'threat'" in msg and "rows 4" in msg and "'high'" in msg


def test_duplicate_ally_year():
    df = pd.concat([good_frame(), good_frame().iloc[[0]]], ignore_index=True)
    msg = problem_text(df)
    assert "duplicate (ally, year)" in msg and "rows 0, 9" in msg


def test_negative_and_fractional_counts():
    df = good_frame()
    df.loc[1, "reassure"] = -1
    df.loc[2, "reassure"] = 1.5
    msg = problem_text(df)
    assert "'reassure'" in msg and "rows 1, 2" in msg


def test_exposure_below_one_where_reassure_present():
    df = good_frame()
    df.loc[3, "exposure"] = 0
    msg = problem_text(df)
    assert "'exposure'" in msg and "rows 3" in msg and ">= 1" in msg


def test_exposure_may_be_missing_where_reassure_is():
    df = good_frame()
    df.loc[3, ["reassure", "exposure"]] = np.nan
    validate_frame(df)


def test_non_finite_values():
    df = good_frame()
    df.loc[5, "milex_gdp"] = np.inf
    msg = problem_text(df)
    assert "'milex_gdp'" in msg and "infinite" in msg


@pytest.mark.parametrize("column", ["intervene", "exit_pursuit"])
def test_binary_columns(column):
    df = good_frame()
    df.loc[0, column] = 2
    msg = problem_text(df)
    assert f"'{column}'" in msg and "0 or 1" in msg


def test_unknown_ally_code():
    df = good_frame()
    df.loc[0, "ally"] = "XXX"
    msg = problem_text(df)
    assert "unknown ally code(s) ['XXX']" in msg and "data codes" in msg


def test_ccode_must_match_abbreviation():
    df = good_frame().assign(ccode=732)
    msg = problem_text(df)
    assert "'ccode'" in msg and "does not match" in msg


def test_nonpositive_milex_and_negative_troops():
    df = good_frame()
    df.loc[0, "milex_gdp"] = 0.0
    df.loc[1, "us_troops"] = -3.0
    msg = problem_text(df)
    assert "'milex_gdp'" in msg and "'us_troops'" in msg


def test_all_problems_reported_at_once():
    df = good_frame()
    df.loc[0, "ally"] = "XXX"
    df.loc[1, "exit_pursuit"] = 3
    msg = problem_text(df)
    assert "2 problem(s)" in msg


def test_missing_covariates_fail_unless_dropped():
    df = good_frame()
    df.loc[[2, 7], "threat"] = np.nan
    msg = problem_text(df)
    assert "covariate is missing" in msg and "drop_missing" in msg
    panel = validate_frame(df, drop_missing=True)
    assert panel.dropped_rows == 2 and len(panel.frame) == 7


def test_missing_outcomes_are_kept_not_zeroed():
    df = good_frame()
    df.loc[0, "milex_gdp"] = np.nan
    panel = validate_frame(df)
    assert panel.frame["milex_gdp"].isna().sum() == 1
    assert len(panel.frame) == 9


def test_extra_columns_are_kept():
    panel = validate_frame(good_frame().assign(note="x"))
    assert "note" in panel.frame


def test_load_panel_from_csv_and_bad_paths(tmp_path):
    path = tmp_path / "p.csv"
    good_frame().to_csv(path, index=False)
    assert len(ba.load_panel(path).frame) == 9
    with pytest.raises(ba.PanelError, match="does not exist"):
        ba.load_panel(tmp_path / "missing.csv")
    bad = tmp_path / "p.xlsx"
    bad.write_text("x")
    with pytest.raises(ba.PanelError, match="unknown extension"):
        ba.load_panel(bad)


def test_default_panel_is_real_allies_with_synthetic_outcomes():
    panel = ba.load_panel("default")
    info = panel.overview()
    assert panel.synthetic and "SYNTHETIC" in info["notes"][0]
    assert info["first_year"] == 1950 and info["last_year"] == 2010
    assert 2400 <= info["n_rows"] <= 2700 and info["n_allies"] >= 50
    f = panel.frame
    # real treaty years: Taiwan's treaty ended 1979, West Germany joined NATO 1955
    assert f.loc[f.ally == "TAW", "year"].max() == 1979
    assert f.loc[f.ally == "GFR", "year"].min() == 1955
    # intervene is defined only in the years of US-led wars
    war_years = set(f.loc[f.intervene.notna(), "year"])
    assert {1950, 1953, 1965, 1973, 1991, 2003} <= war_years
    assert not war_years & {1960, 1980, 1999}


# ------------------------------------------------------------------ property-based
_values = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-5, 5), st.text(max_size=3), st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_malformed_frames_raise_panel_error_only(data):
    df = good_frame()
    n_edits = data.draw(st.integers(1, 4))
    for _ in range(n_edits):
        row = data.draw(st.integers(0, len(df) - 1))
        col = data.draw(st.sampled_from([*df.columns]))
        df[col] = df[col].astype(object)
        df.loc[row, col] = data.draw(_values)
    if data.draw(st.booleans()):
        df = df.drop(columns=data.draw(st.sampled_from(list(COVARIATES))))
    try:
        validate_frame(df)
    except ba.PanelError:
        pass


# ------------------------------------------------------------------ CLI
runner = CliRunner()


def test_cli_info_json_reports_counts():
    res = runner.invoke(app, ["data", "info", "default", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["n_allies"] >= 50 and info["n_years"] == 61
    assert info["missing"]["intervene"] > 0 and info["missing"]["milex_gdp"] == 0


def test_cli_validate_bad_file_exits_1_without_traceback(tmp_path):
    df = good_frame()
    df.loc[0, "exposure"] = 0
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    res = runner.invoke(app, ["data", "validate", str(path)])
    assert res.exit_code == 1
    assert "error:" in res.output and "exposure" in res.output
    assert "Traceback" not in res.output


def test_cli_validate_good_file(tmp_path):
    path = tmp_path / "good.csv"
    good_frame().to_csv(path, index=False)
    res = runner.invoke(app, ["data", "validate", str(path), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["valid"] is True


def test_cli_codes_lists_cow_states():
    res = runner.invoke(app, ["data", "codes", "--json"])
    codes = {r["abbrev"]: r["ccode"] for r in json.loads(res.output)}
    assert codes["ROK"] == 732 and codes["GFR"] == 260 and len(codes) > 200
