"""Builder pieces that need no source files: parsers, detectors, fact tables, guards."""

from __future__ import annotations

import pandas as pd
import pytest

from bayes_alliance.constants import LAST_YEAR
from bayes_alliance.data import build_text as text_mod
from bayes_alliance.data.build import CONTRACT_ORDER
from bayes_alliance.data.build_codebook import ENTRIES, render_codebook
from bayes_alliance.data.build_inputs import fact_table, unify_germany
from bayes_alliance.data.build_milex import _splice_factor
from bayes_alliance.data.build_outcomes import parse_bleek_spans
from bayes_alliance.data.build_troops import detect_multiples
from bayes_alliance.data.panel import COLUMNS, cow_codes
from bayes_alliance.errors import MeasureError


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


def test_codebook_describes_every_contract_column() -> None:
    assert set(COLUMNS) <= set(ENTRIES)
    assert set(CONTRACT_ORDER) == set(COLUMNS)
    frame = pd.DataFrame({c: [1] for c in CONTRACT_ORDER} | {"ally": ["ROK"], "year": [1975]})
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
                               "year": [1975, 1975], "reassure": [2, 0], "exposure": [5, 3]})

    import bayes_alliance.measure as measure

    monkeypatch.setattr(text_mod, "measure_available", lambda: True)
    monkeypatch.setattr(measure, "measure_corpus", lambda path: Result())
    keys = pd.DataFrame({"ally": ["ROK", "UKG", "ROK"], "year": [1975, 1975, 1976]})
    out = text_mod.text_counts(keys, tmp_path / "c.jsonl")
    assert out["reassure"].tolist()[0] == 2 and out["exposure"].tolist()[0] == 5
    assert out["exposure"].tolist()[1] == 0 and pd.isna(out["reassure"].tolist()[1])
    assert pd.isna(out["exposure"].tolist()[2])  # 1976 not covered by the corpus
