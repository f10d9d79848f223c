"""The panel contract: every validation rule, loading, and the default panel."""

from __future__ import annotations

import json
import re

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
    assert "'threat'" in msg and "row index 4" in msg and "'high'" in msg


def test_duplicate_ally_year():
    df = pd.concat([good_frame(), good_frame().iloc[[0]]], ignore_index=True)
    msg = problem_text(df)
    assert "duplicate (ally, year)" in msg and "row index 0, 9" in msg


def test_negative_and_fractional_counts():
    df = good_frame()
    df.loc[1, "reassure"] = -1
    df.loc[2, "reassure"] = 1.5
    msg = problem_text(df)
    assert "'reassure'" in msg and "row index 1, 2" in msg


def test_exposure_below_one_where_reassure_present():
    df = good_frame()
    df.loc[3, "exposure"] = 0
    msg = problem_text(df)
    assert "'exposure'" in msg and "row index 3" in msg and ">= 1" in msg


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
    assert "unknown ally code(s) 'XXX'" in msg and "data codes" in msg


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


# ---------------------------------------------------------------- issue 18, findings 6 and 10
@pytest.mark.parametrize("year", [1700, 3000])
def test_implausible_years_are_rejected(year):
    df = good_frame()
    df.loc[4, "year"] = year
    msg = problem_text(df)
    assert "'year'" in msg and "row index 4" in msg and "1816" in msg and str(year) in msg


def test_the_patron_is_not_an_ally():
    df = good_frame()
    df.loc[2, "ally"] = "USA"
    msg = problem_text(df)
    assert "USA is the patron" in msg and "row index 2" in msg


def test_state_system_membership_by_year():
    df = good_frame()
    df.loc[df.ally == "GFR", "year"] = [1990, 1991, 1995]
    msg = problem_text(df)
    assert "GFR was not a state in 1991, 1995" in msg and "1955-1990" in msg
    assert "row index 7, 8" in msg and "GMY" in msg
    df.loc[df.ally == "GFR", "ally"] = "GMY"  # unified Germany: a state from 1990 on
    assert validate_frame(df).allies == ["GMY", "JPN", "ROK"]
    df.loc[df.ally == "GMY", "year"] = [1960, 1961, 1962]
    assert "GMY was not a state in 1960, 1961, 1962" in problem_text(df)


def test_near_codes_get_did_you_mean():
    df = good_frame()
    df.loc[0, "ally"] = "rok"
    df.loc[3, "ally"] = "JAP"
    msg = problem_text(df)
    assert "'rok' (did you mean ROK?)" in msg
    assert re.search(r"'JAP' \(did you mean [A-Za-z ]*JPN\?\)", msg)


def test_csv_problems_name_spreadsheet_lines(tmp_path):
    df = good_frame()
    df.loc[0, "exposure"] = 0  # first data row: line 2 of the file
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(ba.PanelError, match="line 2:"):
        ba.load_panel(path)
    with pytest.raises(ba.PanelError, match="row index 0:"):
        ba.load_panel(df)


def test_semicolon_csv_and_none_get_clear_errors(tmp_path):
    path = tmp_path / "semi.csv"
    good_frame().to_csv(path, index=False, sep=";")
    with pytest.raises(ba.PanelError, match="looks like ';'-separated"):
        ba.load_panel(path)
    with pytest.raises(ba.PanelError, match="got None"):
        ba.load_panel(None)


def test_cli_validate_json_prints_the_error_on_stdout(tmp_path):
    path = tmp_path / "bad.csv"
    df = good_frame()
    df.loc[0, "year"] = 3000
    df.to_csv(path, index=False)
    res = runner.invoke(app, ["data", "validate", str(path), "--json"])
    assert res.exit_code == 1
    payload = json.loads(res.stdout)
    assert payload["ok"] is False and payload["error"]["type"] == "PanelError"
    assert "line 2" in payload["error"]["message"]


def test_help_shows_flags_as_flags():
    """Issue 18, finding 8: `--help` showed `--json <bool>` though `--json true` fails."""
    import typer.main

    root = typer.main.get_command(app)

    def commands(group, path=()):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from commands(cmd, (*path, name))
            else:
                yield (*path, name)

    seen = 0
    for path in commands(root):
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0, res.output
        assert "<bool>" not in res.output, path
        seen += "--json" in res.output
    assert seen >= 12
    assert "--json" in runner.invoke(app, ["theory", "figure", "--help"]).output
