"""Measure a corpus: ally-year counts of reassuring sentences and of sentences naming the ally."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_alliance.errors import MeasureError
from bayes_alliance.io import write_text_atomic, write_with
from bayes_alliance.measure.allies import AllySet, load_allies
from bayes_alliance.measure.classify import reassured_codes
from bayes_alliance.measure.corpus import Corpus, Document, read_corpus
from bayes_alliance.measure.lexicon import Lexicon, load_lexicon
from bayes_alliance.measure.mentions import find_mentions
from bayes_alliance.measure.sentences import normalize_text, sentence_starts
from bayes_alliance.progress import progress_bar
from bayes_alliance.resources import package_version

__all__ = ["COLUMNS", "MeasureResult", "measure_corpus", "measure_documents", "meta_path",
           "write_result"]

#: columns of the counts table, in order
COLUMNS = ("ally", "ccode", "year", "reassure", "exposure")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MeasureResult:
    """Ally-year counts and how they were made.

    Attributes
    ----------
    counts
        One row per ally-year with at least one sentence naming the ally: ``ally``
        (COW abbreviation), ``ccode``, ``year``, ``reassure`` (sentences reassuring
        the ally) and ``exposure`` (sentences naming it); ``reassure <= exposure``.
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
                   progress: bool | Progress = False) -> MeasureResult:
    """Turn a corpus of dated statements into ally-year ``reassure`` and ``exposure`` counts.

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
            tally, n_sentences = measure_documents(
                corpus.documents, ally_set, lex,
                progress=lambda done, _total: report(done, "documents"))
    else:
        tally, n_sentences = measure_documents(corpus.documents, ally_set, lex,
                                               progress=progress or None)
    counts = _frame(tally, ally_set)
    meta = _meta(corpus, lex, ally_set, n_sentences, counts)
    return MeasureResult(counts, meta)


def measure_documents(documents: Iterable[Document] | Corpus, allies: AllySet, lexicon: Lexicon,
                      *, progress: Progress | None = None
                      ) -> tuple[Counter[tuple[str, int, str]], int]:
    """Count reassuring and exposing sentences per (ally, year).

    Returns
    -------
    tuple
        A counter keyed by ``(ally, year, "reassure" | "exposure")`` and the number
        of non-blank sentences read.
    """
    docs = list(documents)
    wanted = frozenset(allies.codes)
    tally: Counter[tuple[str, int, str]] = Counter()
    n_sentences = 0
    every = max(1, len(docs) // 200)
    for i, doc in enumerate(docs, start=1):
        n_sentences += _measure_one(doc, wanted, lexicon, tally)
        if progress is not None and (i % every == 0 or i == len(docs)):
            progress(i, len(docs))
    return tally, n_sentences


def _measure_one(doc: Document, wanted: frozenset[str], lexicon: Lexicon,
                 tally: Counter[tuple[str, int, str]]) -> int:
    """Add one document's counts to ``tally``; return its number of sentences."""
    text = normalize_text(doc.text)
    if not text.strip():
        return 0
    starts = sentence_starts(text)
    candidates = [(m.start(), m.end()) for m in lexicon.mention_re.finditer(text)]
    year = doc.year
    by_sentence: dict[int, list[tuple[int, int]]] = {}
    for start, end in candidates:
        by_sentence.setdefault(bisect_right(starts, start) - 1, []).append((start, end))
    for index, spans in by_sentence.items():
        s0 = starts[index]
        s1 = starts[index + 1] if index + 1 < len(starts) else len(text)
        sentence = text[s0:s1]
        mentions = find_mentions(sentence, year, lexicon,
                                 [(a - s0, min(b, s1) - s0) for a, b in spans])
        named = {m.code for m in mentions} & wanted
        if not named:
            continue
        for code in named:
            tally[code, year, "exposure"] += 1
        for code in reassured_codes(sentence, mentions, lexicon.cues) & named:
            tally[code, year, "reassure"] += 1
    # only the first and the last piece can be blank (leading or trailing whitespace)
    first_blank = len(starts) > 1 and not text[:starts[1]].strip()
    last_blank = not text[starts[-1]:].strip()
    return len(starts) - first_blank - last_blank


def _frame(tally: Counter[tuple[str, int, str]], allies: AllySet) -> pd.DataFrame:
    keys = sorted({(code, year) for code, year, _ in tally})
    rows = [(code, allies.codes[code], year, tally[code, year, "reassure"],
             tally[code, year, "exposure"]) for code, year in keys]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"ally": "object", "ccode": "int64", "year": "int64",
                         "reassure": "int64", "exposure": "int64"})


def _meta(corpus: Corpus, lexicon: Lexicon, allies: AllySet, n_sentences: int,
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
        "n_sentences": n_sentences,
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
        "total_reassure": int(counts["reassure"].sum()),
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
