"""Measure a corpus: ally-year counts of each class of statement and of ally mentions."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_alliance.errors import MeasureError
from bayes_alliance.io import write_text_atomic, write_with
from bayes_alliance.measure.allies import AllySet, load_allies
from bayes_alliance.measure.classify import Decision, classify_codes
from bayes_alliance.measure.corpus import Corpus, Document, read_corpus
from bayes_alliance.measure.lexicon import Lexicon, load_lexicon
from bayes_alliance.measure.statements import (
    DEFAULT_WINDOW_DAYS,
    AllySentence,
    Deduplicator,
    ally_sentences,
)
from bayes_alliance.progress import progress_bar
from bayes_alliance.resources import package_version

__all__ = ["COLUMNS", "SENTENCE_COLUMNS", "ClassifiedSentence", "MeasureResult", "SentenceLog",
           "classified_sentences",
           "measure_corpus", "measure_documents", "meta_path", "write_result"]

#: columns of the counts table, in order
COLUMNS = ("ally", "ccode", "year", "reassure", "reassure_conditional", "pressure", "exposure")
#: the count column of each class
_COLUMN_OF = {"unconditional": "reassure", "conditional": "reassure_conditional",
              "pressure": "pressure"}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MeasureResult:
    """Ally-year counts and how they were made.

    Attributes
    ----------
    counts
        One row per ally-year with at least one sentence naming the ally: ``ally``
        (COW abbreviation), ``ccode``, ``year``, ``reassure`` (sentences reassuring
        the ally unconditionally), ``reassure_conditional`` (reassurance tied to the
        ally's effort), ``pressure`` (abandonment threats and burden-sharing
        demands) and ``exposure`` (sentences naming it); the three classes exclude
        each other per sentence, so their sum is at most ``exposure``.
    meta
        Lexicon name, version and SHA-256, corpus name, format and SHA-256, numbers
        of documents and sentences, the years the corpus covers (``years``: an
        ally-year missing from ``counts`` in one of them had exposure 0), the ally
        set, and the package version.
    """

    counts: pd.DataFrame
    meta: dict[str, Any]


def measure_corpus(corpus_path: str | Path | Corpus, allies: Any = None,
                   lexicon: str | Path | Lexicon | None = None,
                   progress: bool | Progress = False,
                   sink: Callable[[ClassifiedSentence], None] | None = None) -> MeasureResult:
    """Turn a corpus of dated statements into ally-year counts of each class and of mentions.

    Parameters
    ----------
    corpus_path
        Path of the corpus (see :func:`~bayes_alliance.measure.corpus.read_corpus`)
        or a corpus already read.
    allies
        States to count: None/``"default"`` for the US treaty allies, a CSV/TOML
        path, or an iterable of COW codes (see :func:`~bayes_alliance.measure.allies.load_allies`).
    lexicon
        Lexicon TOML path or object; None for the shipped lexicon.
    progress
        True shows :func:`bayes_alliance.progress.progress_bar` on stderr; a callable receives
        ``(documents done, documents in total)``.
    sink
        Receives every classified sentence that names an ally.

    Returns
    -------
    MeasureResult

    Raises
    ------
    MeasureError
        For unreadable or malformed corpora, lexicons and ally files.

    Notes
    -----
    Counts are made for every year the corpus covers, not only the years a treaty
    was in force, so that early mentions (Korea in 1950-1953) are kept; the panel
    builder restricts them to alliance years. A year's alias readings decide what a
    name means ("Germany" is GFR in 1949-1990 and GMY otherwise).
    """
    corpus = corpus_path if isinstance(corpus_path, Corpus) else read_corpus(corpus_path)
    lex = load_lexicon(lexicon)
    ally_set = load_allies(allies)
    if progress is True:
        with progress_bar(len(corpus.documents), "measuring") as report:
            tally, read = measure_documents(
                corpus.documents, ally_set, lex,
                progress=lambda done, _total: report(done, "documents"), sink=sink)
    else:
        tally, read = measure_documents(corpus.documents, ally_set, lex,
                                        progress=progress or None, sink=sink)
    counts = _frame(tally, ally_set)
    meta = _meta(corpus, lex, ally_set, read, counts)
    return MeasureResult(counts, meta)


def measure_documents(documents: Iterable[Document] | Corpus, allies: AllySet, lexicon: Lexicon,
                      *, progress: Progress | None = None,
                      sink: Callable[[ClassifiedSentence], None] | None = None
                      ) -> tuple[Counter[tuple[str, int, str]], dict[str, int]]:
    """Count classified and exposing sentences per (ally, year).

    Parameters
    ----------
    documents, allies, lexicon
        What to read, whom to count, and the rules.
    progress
        Receives ``(documents done, documents in total)``.
    sink
        Receives every classified sentence that names an ally (for
        ``measure --sentences``).

    Returns
    -------
    tuple
        A counter keyed by ``(ally, year, column)`` for the count columns, and
        ``n_sentences`` (non-blank sentences of sitting presidents read) and
        ``n_repeats`` (ally sentences left out as repeats).
    """
    wanted = frozenset(allies.codes)
    tally: Counter[tuple[str, int, str]] = Counter()
    counter = [0]
    dedup = Deduplicator()
    for item in classified_sentences(documents, wanted, lexicon, dedup=dedup, counter=counter,
                                     progress=progress):
        year = item.sentence.doc.year
        for code in item.sentence.allies:
            tally[code, year, "exposure"] += 1
            decision = item.decisions.get(code)
            if decision is not None:
                tally[code, year, _COLUMN_OF[decision.label]] += 1
        if sink is not None:
            sink(item)
    return tally, {"n_sentences": counter[0], "n_repeats": dedup.repeats}


@dataclass(frozen=True, slots=True)
class ClassifiedSentence:
    """A sentence naming an ally and the decision for each ally with a class."""

    sentence: AllySentence
    decisions: dict[str, Decision]


def classified_sentences(documents: Iterable[Document], allies: frozenset[str], lexicon: Lexicon,
                         **stream: Any) -> Iterator[ClassifiedSentence]:
    """Classify every sentence :func:`~bayes_alliance.measure.statements.ally_sentences` yields.

    ``stream`` is passed on (``dedup``, ``counter``, ``progress``).
    """
    for item in ally_sentences(documents, allies, lexicon, **stream):
        decisions = classify_codes(item.text, item.mentions, lexicon.cues)
        yield ClassifiedSentence(item, {c: d for c, d in decisions.items() if c in item.allies})


def _frame(tally: Counter[tuple[str, int, str]], allies: AllySet) -> pd.DataFrame:
    keys = sorted({(code, year) for code, year, _ in tally})
    rows = [(code, allies.codes[code], year, *(tally[code, year, c] for c in COLUMNS[3:]))
            for code, year in keys]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"ally": "object", **dict.fromkeys(COLUMNS[1:], "int64")})


def _meta(corpus: Corpus, lexicon: Lexicon, allies: AllySet, read: dict[str, int],
          counts: pd.DataFrame) -> dict[str, Any]:
    years = [d.year for d in corpus.documents]
    return {
        "lexicon": lexicon.name,
        "lexicon_version": lexicon.version,
        "lexicon_sha256": lexicon.sha256,
        "corpus": corpus.name,
        "corpus_format": corpus.format,
        "corpus_sha256": corpus.sha256,
        "corpus_bytes": corpus.n_bytes,
        "n_documents": len(corpus),
        "n_sentences": read["n_sentences"],
        "speakers": "sitting presidents' own words (bayes_alliance.measure.speakers)",
        "n_repeats": read["n_repeats"],
        "repeat_window_days": DEFAULT_WINDOW_DAYS,
        "first_year": min(years),
        "last_year": max(years),
        # years with at least one document: an ally-year absent from the counts in
        # one of these years had exposure 0; in other years it was not observed
        "years": sorted(set(years)),
        "allies": allies.name,
        "n_allies": len(allies.codes),
        "n_rows": len(counts),
        "n_allies_mentioned": int(counts["ally"].nunique()),
        "total_exposure": int(counts["exposure"].sum()),
        **{f"total_{c}": int(counts[c].sum()) for c in COLUMNS[3:-1]},
        "bayes_alliance_version": package_version(),
    }


def meta_path(out: str | Path) -> Path:
    """The sidecar of a counts file: ``<out>.meta.json``."""
    out = Path(out)
    return out.with_name(out.name + ".meta.json")


def write_result(result: MeasureResult, out: str | Path, *, force: bool = False) -> list[Path]:
    """Write the counts CSV and its ``.meta.json`` sidecar, each atomically.

    Raises
    ------
    MeasureError
        When either file exists and ``force`` is false (nothing is written then).
    """
    out = Path(out)
    sidecar = meta_path(out)
    existing = [str(p) for p in (out, sidecar) if p.exists()]
    if existing and not force:
        raise MeasureError(f"{' and '.join(existing)} already exist(s); pass --force "
                           "(force=True) to replace")
    write_with(out, lambda tmp: result.counts.to_csv(tmp, index=False), force=force)
    write_text_atomic(sidecar, json.dumps(result.meta, indent=2) + "\n", force=force)
    return [out, sidecar]


#: columns of the sentence audit file, one row per (sentence, ally)
SENTENCE_COLUMNS = ("doc_id", "date", "speaker", "sentence_index", "ally", "class", "cue", "text")


class SentenceLog:
    """Collects classified sentences (a ``sink`` for :func:`measure_corpus`) for auditing.

    Every sentence that names an ally gives one row per ally it names, with the
    class (``neutral`` when none applies) and the cue that decided it.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def __call__(self, item: ClassifiedSentence) -> None:
        """Add the rows of one classified sentence."""
        s = item.sentence
        for code in s.allies:
            decision = item.decisions.get(code)
            self.rows.append((s.doc.doc_id, s.doc.date.isoformat(), s.speaker, s.index, code,
                              decision.label if decision else "neutral",
                              decision.cue if decision else "", " ".join(s.text.split())))

    def frame(self) -> pd.DataFrame:
        """The rows as a frame with :data:`SENTENCE_COLUMNS`."""
        return pd.DataFrame(self.rows, columns=list(SENTENCE_COLUMNS))

    def write(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the rows as CSV, atomically."""
        frame = self.frame()
        return write_with(path, lambda tmp: frame.to_csv(tmp, index=False), force=force)

