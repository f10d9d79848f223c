"""`bayes-alliance measure` on the command line."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.cli import measure as measure_cli

RECORDS = [
    {"date": "1954-12-02", "text": "We will defend Formosa and the Pescadores."},
    {"date": "1977-03-09", "text": "Our commitment to Korea is firm. Trade with Japan grew."},
]


def corpus(tmp_path):
    path = tmp_path / "statements.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    return path


def test_measure_writes_counts_and_sidecar(tmp_path):
    out = tmp_path / "out" / "counts.csv"
    result = CliRunner().invoke(app, ["measure", "--corpus", str(corpus(tmp_path)),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 ally-years" in result.output
    counts = pd.read_csv(out)
    assert list(counts.columns) == ["ally", "ccode", "year", "reassure", "reassure_conditional",
                                    "pressure", "exposure"]
    assert set(counts["ally"]) == {"TAW", "ROK", "JPN"}
    meta = json.loads((tmp_path / "out" / "counts.csv.meta.json").read_text())
    assert meta["n_documents"] == 2 and meta["n_sentences"] == 3
    assert len(meta["corpus_sha256"]) == 64 and meta["lexicon_version"]


def test_measure_writes_classified_sentences(tmp_path):
    path = tmp_path / "speeches.jsonl"
    records = [
        {"date": "1971-02-25", "president": "Richard Nixon", "title": "report",
         "text": "We have reduced American forces in Korea. Japan must do more for its own "
                 "defense. We will defend Japan."},
        {"date": "1960-10-07", "president": "John F. Kennedy", "title": "debate",
         "text": "MR. KENNEDY: We will defend Formosa.\n\nMR. NIXON: We will defend Formosa."},
        {"date": "1971-03-01", "president": "Richard Nixon", "title": "press conference",
         "text": "THE PRESIDENT: Good afternoon.\n\nQ. Will you defend Korea?\n\n"
                 "THE PRESIDENT: We will defend Japan."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    sentences = tmp_path / "sentences.csv"
    result = CliRunner().invoke(app, ["measure", "--corpus", str(path), "--out",
                                      str(tmp_path / "c.csv"), "--sentences", str(sentences)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(sentences, keep_default_na=False)
    assert list(rows.columns) == ["doc_id", "date", "speaker", "sentence_index", "ally", "class",
                                  "cue", "text"]
    got = [(r.ally, r["class"], r.cue) for _, r in rows.iterrows()]
    # the debate of two candidates is not read, the reporter's question is not read, and the
    # repeated "We will defend Japan." within 30 days is counted once
    assert got == [("ROK", "pressure", "reduced American forces"),
                   ("JPN", "pressure", "must do more"), ("JPN", "unconditional", "defend")]
    assert set(rows["speaker"]) == {"Richard Nixon"}
    counts = pd.read_csv(tmp_path / "c.csv").set_index("ally")
    assert counts.loc["JPN", "pressure"] == 1 and counts.loc["JPN", "reassure"] == 1
    assert counts.loc["JPN", "exposure"] == 2


def test_measure_json_summary_and_force(tmp_path):
    args = ["measure", "--corpus", str(corpus(tmp_path)), "--out", str(tmp_path / "c.csv"),
            "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["total_reassure"] == 2 and summary["out"].endswith("c.csv")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "already exist" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.output
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0


def test_measure_errors_exit_1_without_traceback_and_write_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"date": "1960-01-01", "text": "fine"}\n{"text": "no date"}\n',
                   encoding="utf-8")
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(app, ["measure", "--corpus", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert "bad.jsonl, line 2: missing 'date'" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    allies = CliRunner().invoke(app, ["measure", "--corpus", str(corpus(tmp_path)), "--out",
                                      str(out), "--allies", str(tmp_path / "none.csv")])
    assert allies.exit_code == 1 and "ally file not found" in allies.stderr


def test_custom_allies_option(tmp_path):
    allies = tmp_path / "allies.toml"
    allies.write_text('allies = ["JPN"]\n', encoding="utf-8")
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(app, ["measure", "--corpus", str(corpus(tmp_path)), "--out",
                                      str(out), "--allies", str(allies)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["ally"].tolist() == ["JPN"]


def test_progress_bar_only_on_a_terminal(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(measure_cli, "is_terminal", lambda: True)
    monkeypatch.setattr(measure_cli, "PROGRESS_MIN_BYTES", 1)
    from bayes_alliance import progress

    real = progress.progress_bar

    def spy(total, label, **kwargs):
        calls.append(total)
        return real(total, label, **kwargs)

    monkeypatch.setattr(progress, "progress_bar", spy)
    result = CliRunner().invoke(app, ["measure", "--corpus", str(corpus(tmp_path)), "--out",
                                      str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert calls == [2]
    monkeypatch.setattr(measure_cli, "is_terminal", lambda: False)
    calls.clear()
    CliRunner().invoke(app, ["measure", "--corpus", str(corpus(tmp_path)), "--out",
                             str(tmp_path / "d.csv")])
    assert calls == []
