"""Builder pieces that need no source files: parsers, detectors, fact tables, guards."""

from __future__ import annotations

import pandas as pd
import pytest

from bayes_alliance.constants import LAST_YEAR
from bayes_alliance.data import build_inputs
from bayes_alliance.data import build_text as text_mod
from bayes_alliance.data.build import CONTRACT_ORDER
from bayes_alliance.data.build_codebook import ENTRIES, render_codebook
from bayes_alliance.data.build_inputs import fact_files, fact_table, read_facts, unify_germany
from bayes_alliance.data.build_milex import _splice_factor
from bayes_alliance.data.build_outcomes import parse_bleek_spans
from bayes_alliance.data.build_troops import detect_multiples
from bayes_alliance.data.panel import COLUMNS, OPTIONAL_COVARIATES, cow_codes
from bayes_alliance.errors import DataSourceError, MeasureError


@pytest.mark.parametrize(("cell", "years"), [
    ("1969-91", list(range(1969, 1992))),
    ("1964-66,72-75", [1964, 1965, 1966, 1972, 1973, 1974, 1975]),
    ("1980-", list(range(1980, LAST_YEAR + 1))),
    ("1941-45,67-72", [*range(1941, 1946), *range(1967, 1973)]),
    ("1970-2003", list(range(1970, 2004))),
    ("", []),
    (None, []),
])
def test_parse_bleek_spans(cell: object, years: list[int]) -> None:
    assert parse_bleek_spans(cell) == years


def test_parse_bleek_spans_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_bleek_spans("about 1970")


def test_detect_multiples_finds_doubles_and_triples_only() -> None:
    value = pd.Series([82372, 980589, 26340, 5000, 23000, 130, None])
    reference = pd.Series([40204, 326863, 6651, 5000, 10000, 65, 300])
    got = detect_multiples(value, reference).tolist()
    # 2.05x, 3x, 3.96x, equal, 2.3x (not a multiple), 2x of a tiny reference, no value
    assert got == [2, 3, 4, 1, 1, 1, 1]


def test_unify_germany_codes_by_year_and_dedupes_1990() -> None:
    df = pd.DataFrame({"ccode": [260, 255, 255, 260, 255, 200],
                       "year": [1989, 1990, 1990, 1995, 1938, 1990],
                       "v": [1, 2, 3, 4, 5, 6]})
    out = unify_germany(df)
    assert out["ccode"].tolist() == [260, 260, 260, 255, 255, 200]
    both = pd.DataFrame({"ccode": [260, 255], "year": [1990, 1990], "v": [1, 2]})
    kept = unify_germany(both, dedupe=True)
    assert kept["v"].tolist() == [1]


def test_splice_factor_uses_the_nearest_overlap_years() -> None:
    ratios = pd.Series([1.0, 1.0, 1.0, 1.0, 1.0, 9.0, 9.0], index=[1960, 1961, 1962, 1963, 1964,
                                                                    2000, 2001])
    assert _splice_factor(1955, ratios) == 1.0
    # five nearest to 2005: 2001, 2000, 1964, 1963, 1962 -> median 1.0
    assert _splice_factor(2005, ratios) == 1.0
    assert _splice_factor(2003, ratios.iloc[4:]) == 9.0  # 2001, 2000, 1964


def test_fact_tables_are_consistent_with_cow_codes() -> None:
    codes = dict(zip(cow_codes()["abbrev"], cow_codes()["ccode"], strict=True))
    for name in ("war_participation", "nuclear_programmes"):
        facts = fact_table(name)
        assert (facts["ally"].map(codes) == facts["ccode"]).all(), name
        last = facts["last_year"].fillna(LAST_YEAR)
        assert (facts["first_year"] <= last).all(), name
    wars = fact_table("war_participation")
    assert set(wars["war"]) <= set(fact_table("us_interventions")["war"])
    assert set(wars["counts"].dropna()) <= {0.0, 1.0}
    nuclear = fact_table("nuclear_programmes")
    assert set(nuclear["activity"]) <= {"explore", "pursue", "acquire", "hedge", "experiment"}
    assert (nuclear.loc[nuclear["activity"] == "acquire", "counts_as_pursuit"] == 0).all()
    events = fact_table("retrenchment_events")
    assert set(events["region"]) <= {"all", "europe", "asia"}
    assert (events["first_year"] <= events["last_year"]).all()
    cpi = fact_table("us_cpi").set_index("year")["cpi_u"]
    assert cpi.index.is_monotonic_increasing and set(range(1946, 2013)) <= set(cpi.index)
    assert 20 < cpi[1950] < 30 and 220 < cpi[2011] < 230


def test_every_fact_table_validates_and_every_row_is_cited() -> None:
    for path in fact_files():
        facts = read_facts(path)  # known COW codes, matching ccode, no duplicate ally-year
        if "source" in facts:
            assert facts["source"].notna().all() and (facts["source"].str.strip() != "").all()
            assert not facts["source"].str.contains("DOMAIN.md").any(), path.name
    wars = fact_table("war_participation")
    coded = wars[wars["war"].isin(["Afghanistan", "Iraq War"]) & (wars["counts"] == 1)]
    assert coded["ally"].nunique() >= 30  # coalition coded ally by ally, not main ones only
    hns = fact_table("host_nation_support")
    assert set(hns["unit"]) <= {"million current USD", "billion yen", "billion won"}


@pytest.mark.parametrize(("line", "message"), [
    ("Iraq War,XYZ,999,2003,2004,combat,1,V,a source,", "unknown ally code 'XYZ'"),
    ("Iraq War,POL,290,2004,2005,combat,1,V,a source,", "POL 2004 is already covered by line 2"),
    ("Iraq War,DEN,390,2003,2004,combat,1,V,,", "no source"),
    ("Iraq War,DEN,391,2003,2004,combat,1,V,a source,", "ccode 391 does not match DEN"),
])
def test_bad_fact_rows_name_file_line_and_fix(tmp_path, line: str, message: str) -> None:
    path = tmp_path / "war_participation.csv"
    path.write_text("war,ally,ccode,first_year,last_year,role,counts,status,source,note\n"
                    "Iraq War,POL,290,2003,2008,combat,1,V,a source,\n" + line + "\n")
    with pytest.raises(DataSourceError) as err:
        read_facts(path)
    text = str(err.value)
    assert "war_participation.csv" in text and "line 3" in text and message in text
    assert "Fix" in text and "nothing was written" in text


def test_same_ally_year_in_two_wars_is_allowed(tmp_path) -> None:
    path = tmp_path / "war_participation.csv"
    path.write_text("war,ally,ccode,first_year,last_year,role,counts,status,source,note\n"
                    "Iraq War,POL,290,2003,2008,combat,1,V,a source,\n"
                    "Afghanistan,POL,290,2002,2010,isaf,1,V,a source,\n")
    assert len(read_facts(path)) == 2


@pytest.fixture
def broken_facts(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A copy of data/facts whose war table has a duplicate ally-year (row 3)."""
    import shutil

    folder = tmp_path / "facts"
    shutil.copytree(build_inputs.facts_dir(), folder)
    wars = (folder / "war_participation.csv").read_text().splitlines()
    wars.insert(2, wars[1])
    (folder / "war_participation.csv").write_text("\n".join(wars) + "\n")
    monkeypatch.setattr(build_inputs, "facts_dir", lambda: folder)
    build_inputs.fact_table.cache_clear()
    yield folder
    build_inputs.fact_table.cache_clear()


@pytest.mark.shared_data
def test_cli_build_with_a_bad_fact_table_writes_nothing(broken_facts, shared_data_dir,
                                                        tmp_path) -> None:
    from typer.testing import CliRunner

    from bayes_alliance.cli.data import app as data_app

    out = tmp_path / "panel.csv"
    result = CliRunner().invoke(data_app, ["build", "--source-dir", str(shared_data_dir),
                                           "--out", str(out)])
    assert result.exit_code == 1
    assert "error:" in result.output and "war_participation.csv" in result.output
    assert "line 3" in result.output and "Traceback" not in result.output
    assert not out.exists() and not out.with_suffix(".json").exists()
    assert list(tmp_path.glob(".panel*")) == []


def test_codebook_describes_every_contract_column() -> None:
    assert set(COLUMNS) <= set(ENTRIES)
    # the optional covariates are built among the real panel's component columns
    assert set(CONTRACT_ORDER) == set(COLUMNS) - set(OPTIONAL_COVARIATES)
    frame = pd.DataFrame({c: [1] for c in COLUMNS} | {"ally": ["ROK"], "year": [1975]})
    text = render_codebook(frame)
    for col in COLUMNS:
        assert f"`{col}`" in text


def test_text_measure_guard(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(text_mod, "measure_available", lambda: False)
    keys = pd.DataFrame({"ally": ["ROK"], "year": [1975]})
    with pytest.raises(MeasureError, match="not available"):
        text_mod.text_counts(keys, tmp_path / "speeches.jsonl")


def test_text_counts_follow_the_contract(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    class Result:
        counts = pd.DataFrame({"ally": ["ROK", "JPN"], "ccode": [732, 740],
                               "year": [1975, 1975], "reassure": [2, 0],
                               "reassure_conditional": [1, 0], "pressure": [0, 1],
                               "exposure": [5, 3]})

    import bayes_alliance.measure as measure

    monkeypatch.setattr(text_mod, "measure_available", lambda: True)
    monkeypatch.setattr(measure, "measure_corpus", lambda path: Result())
    keys = pd.DataFrame({"ally": ["ROK", "UKG", "ROK"], "year": [1975, 1975, 1976]})
    out = text_mod.text_counts(keys, tmp_path / "c.jsonl")
    assert out["reassure"].tolist()[0] == 2 and out["exposure"].tolist()[0] == 5
    assert out["exposure"].tolist()[1] == 0 and pd.isna(out["reassure"].tolist()[1])
    assert pd.isna(out["exposure"].tolist()[2])  # 1976 not covered by the corpus
    assert out["reassure_conditional"].tolist()[0] == 1 and out["pressure"].tolist()[0] == 0
    assert pd.isna(out["pressure"].tolist()[1])  # no sentence named UKG in 1975


def test_cli_info_real_describes_every_column_of_the_shipped_panel() -> None:
    import json

    from typer.testing import CliRunner

    from bayes_alliance.cli.data import app as data_app

    runner = CliRunner()
    res = runner.invoke(data_app, ["info", "real", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    described = {c["column"]: c for c in info["columns"]}
    assert set(described) == set(info["missing"])  # every column of the shipped panel
    for col, c in described.items():
        assert all(c[k] for k in ("unit", "source", "construction", "coverage")), col
    assert "DoD" in described["hns"]["source"] and "2011" in described["hns"]["unit"]
    assert described["visits_president"]["coverage"].startswith(f"{info['n_rows']} rows")
    text = runner.invoke(data_app, ["info", "real"]).stdout
    assert "visits_received [count]" in text and "coverage:" in text
