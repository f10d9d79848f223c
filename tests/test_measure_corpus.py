"""Reading corpora (JSONL, CSV, text files) and measuring them into ally-year counts."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure import (
    COLUMNS,
    load_allies,
    measure_corpus,
    meta_path,
    read_corpus,
    write_result,
)
from bayes_alliance.measure.corpus import parse_date

STATEMENTS = [
    {"id": "a", "date": "1951-04-11", "text": "We will defend Korea. Korea is far away."},
    {"id": "b", "date": "1951-06-01", "text": "Our commitment to Japan is unshakable."},
    {"id": "c", "date": "1977-03-09", "text": "We will withdraw our ground forces from Korea."},
    {"id": "d", "date": "1995-01-01", "text": "Germany is united. We will stand by Germany."},
]


def write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def test_jsonl_corpus_is_measured_into_ally_years(tmp_path):
    result = measure_corpus(write_jsonl(tmp_path / "c.jsonl", STATEMENTS))
    counts = result.counts
    assert list(counts.columns) == list(COLUMNS)
    rows = {(r.ally, r.year): (r.reassure, r.exposure) for r in counts.itertuples()}
    assert rows == {("ROK", 1951): (1, 2), ("JPN", 1951): (1, 1), ("ROK", 1977): (0, 1),
                    ("GMY", 1995): (1, 2)}
    assert counts.loc[counts.ally == "ROK", "ccode"].unique().tolist() == [732]
    meta = result.meta
    assert meta["n_documents"] == 4 and meta["n_sentences"] == 6
    assert len(meta["corpus_sha256"]) == 64 and meta["lexicon_version"]
    assert (meta["first_year"], meta["last_year"]) == (1951, 1995)
    assert meta["years"] == [1951, 1977, 1995]


def test_csv_and_text_folder_give_the_same_counts(tmp_path):
    import csv

    with (tmp_path / "c.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "date", "text"])
        writer.writeheader()
        writer.writerows(STATEMENTS)
    folder = tmp_path / "txt"
    folder.mkdir()
    for r in STATEMENTS[:2]:  # date in the file name
        (folder / f"{r['date']}-{r['id']}.txt").write_text(r["text"], encoding="utf-8")
    for r in STATEMENTS[2:]:  # date in a header block
        (folder / f"{r['id']}.txt").write_text(f"Date: {r['date']}\nTitle: x\n\n{r['text']}",
                                               encoding="utf-8")
    reference = measure_corpus(write_jsonl(tmp_path / "c.jsonl", STATEMENTS)).counts
    for path in (tmp_path / "c.csv", folder):
        assert measure_corpus(path).counts.equals(reference)
    assert read_corpus(folder).format == "txt-folder"


def test_custom_ally_set_from_csv_and_toml(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", STATEMENTS)
    (tmp_path / "a.csv").write_text("ccode\n740\n", encoding="utf-8")
    (tmp_path / "a.toml").write_text('allies = ["ROK", "ISR"]\n', encoding="utf-8")
    assert measure_corpus(corpus, allies=tmp_path / "a.csv").counts["ally"].unique().tolist() \
        == ["JPN"]
    assert set(measure_corpus(corpus, allies=tmp_path / "a.toml").counts["ally"]) == {"ROK"}
    with pytest.raises(MeasureError, match="unknown COW state code.*XXX"):
        load_allies(["JPN", "XXX"])


def test_default_allies_are_the_us_treaty_allies():
    codes = load_allies().codes
    assert {"GFR", "GMY", "TAW", "ROK", "JPN", "UKG"} <= set(codes)
    assert codes["GFR"] == 260 and codes["GMY"] == 255


def test_write_result_is_atomic_and_refuses_to_overwrite(tmp_path):
    result = measure_corpus(write_jsonl(tmp_path / "c.jsonl", STATEMENTS))
    out = tmp_path / "counts.csv"
    written = write_result(result, out)
    assert written == [out, meta_path(out)]
    assert json.loads(meta_path(out).read_text())["n_documents"] == 4
    with pytest.raises(MeasureError, match="already exist"):
        write_result(result, out)
    write_result(result, out, force=True)
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(("content", "message"), [
    ('{"date": "1960-01-01", "text": "ok"}\n{"text": "no date"}\n', r"line 2: missing 'date'"),
    ('{"date": "1960-01-01"}\n', r"line 1: missing 'text'"),
    ('{"date": "someday", "text": "x"}\n', r"line 1: cannot parse date 'someday'"),
    ('{"date": "1960-01-01", "text": "x"}\n{broken\n', r"line 2: not valid JSON"),
    ('["a list"]\n', r"line 1: expected a JSON object"),
    ('{"date": "1960-01-01", "text": 5}\n', r"'text' must be a string"),
    ("\n\n", r"empty"),
])
def test_bad_jsonl_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MeasureError, match=rf"bad.jsonl.*{message}"):
        read_corpus(path)


def test_undecodable_bytes_are_reported_with_their_line(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"date": "1960-01-01", "text": "ok"}\n{"date": "1960", "text": "caf\xe9"}\n')
    with pytest.raises(MeasureError, match=r"latin.jsonl, line 2, column \d+: bytes e9 .*UTF-8"):
        read_corpus(path)


@pytest.mark.parametrize(("content", "message"), [
    ("id,text\n1,hello\n", r"line 1: missing column\(s\) date"),
    ("date,text\n1960-01-01,fine\n,empty date\n", r"record 2 \(line 3\): missing date"),
    ('date,text\n1960-01-01,"unterminated\n', r"line \d+: malformed CSV"),
])
def test_bad_csv_names_record_and_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MeasureError, match=message):
        read_corpus(path)


def test_text_files_without_dates_and_missing_paths(tmp_path):
    (tmp_path / "undated.txt").write_text("We will defend Japan.", encoding="utf-8")
    with pytest.raises(MeasureError, match="undated.txt: no date found"):
        read_corpus(tmp_path / "undated.txt")
    (tmp_path / "1961-13-40-x.txt").write_text("text", encoding="utf-8")
    with pytest.raises(MeasureError, match="cannot parse date"):
        read_corpus(tmp_path / "1961-13-40-x.txt")
    with pytest.raises(MeasureError, match="corpus not found"):
        read_corpus(tmp_path / "nope.jsonl")
    (tmp_path / "x.docx").write_bytes(b"PK")
    with pytest.raises(MeasureError, match="unsupported corpus format"):
        read_corpus(tmp_path / "x.docx")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MeasureError, match="empty"):
        read_corpus(empty)


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    from pathlib import Path

    path = write_jsonl(tmp_path / "locked.jsonl", STATEMENTS)

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(MeasureError, match="cannot read .*locked.jsonl: Permission denied"):
        read_corpus(path)


@pytest.mark.parametrize(("value", "expected"), [
    ("1961-01-20", dt.date(1961, 1, 20)), ("1961-01", dt.date(1961, 1, 1)),
    ("1961", dt.date(1961, 1, 1)), (1961, dt.date(1961, 1, 1)),
    ("January 20, 1961", dt.date(1961, 1, 20)), ("20 January 1961", dt.date(1961, 1, 20)),
    ("01/20/1961", dt.date(1961, 1, 20)), ("1961-01-20T12:00:00", dt.date(1961, 1, 20)),
])
def test_parse_date_formats(value, expected):
    assert parse_date(value, "here") == expected


SENTENCES = st.sampled_from([
    "We will defend Japan.", "Korea is far away.", "Our commitment to Turkey is firm.",
    "We may withdraw from Germany.", "Trade with Canada grew.", "We will never abandon Korea.",
    "The weather was fine.", "Britain and France will stand with us.",
])
DOCS = st.lists(st.tuples(st.integers(1955, 1995), st.lists(SENTENCES, min_size=1, max_size=6)),
                min_size=1, max_size=6)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(DOCS)
def test_counts_are_consistent_and_additive(tmp_path, docs):
    # documents at least 30 days apart: a sentence repeated within a document counts
    # once, and documents further apart than the repeat window add up
    records = [{"date": f"{y}-{1 + 2 * i:02d}-01", "text": " ".join(s)}
               for i, (y, s) in enumerate(docs)]
    path = write_jsonl(tmp_path / "h.jsonl", records)
    whole = measure_corpus(path).counts
    classes = whole[["reassure", "reassure_conditional", "pressure"]].sum(axis=1)
    assert (classes <= whole["exposure"]).all()
    assert (whole["exposure"] >= 1).all()
    assert not whole.duplicated(["ally", "year"]).any()
    parts = [measure_corpus(write_jsonl(tmp_path / f"p{i}.jsonl", [r])).counts
             for i, r in enumerate(records)]
    columns = ["reassure", "reassure_conditional", "pressure", "exposure"]
    summed = pd.concat(parts).groupby(["ally", "ccode", "year"])[columns].sum()
    assert summed.to_dict("index") == whole.set_index(["ally", "ccode", "year"]).to_dict("index")


def test_repeats_are_counted_once(tmp_path):
    text = "We will defend Japan. Trade grew. We will  defend Japan!"
    records = [{"date": "1985-01-01", "text": text}, {"date": "1985-01-20", "text": text},
               {"date": "1985-06-01", "text": text}]
    result = measure_corpus(write_jsonl(tmp_path / "r.jsonl", records))
    row = result.counts.set_index("ally").loc["JPN"]
    # the same sentence (up to case, spacing and punctuation) in the same speech once, in
    # another speech 19 days later not again, 5 months later again
    assert row["exposure"] == row["reassure"] == 2
    assert result.meta["n_repeats"] == 4


def test_progress_reports_documents(tmp_path, capsys):
    path = write_jsonl(tmp_path / "c.jsonl", STATEMENTS)
    seen = []
    measure_corpus(path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (4, 4)
    measure_corpus(path, progress=True)
    assert "measuring: 4/4 (0 s) documents" in capsys.readouterr().err
    measure_corpus(path)
    assert capsys.readouterr().err == ""
