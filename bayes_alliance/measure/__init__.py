"""Measure patron reassurance of allies from the text of the patron's statements.

Read a corpus of dated statements, keep the sitting president's own words (speaker
turns of transcripts; repeats counted once), find the allies each sentence names
(through a versioned lexicon of names, demonyms, capitals and historical names,
read by year), classify what each sentence tells each ally (unconditional
reassurance, conditional reassurance, pressure, or nothing), and count per
ally-year::

    from bayes_alliance.measure import measure_corpus
    result = measure_corpus("speeches.jsonl")
    result.counts   # ally, ccode, year, reassure, reassure_conditional, pressure, exposure
    result.meta     # lexicon version, corpus sha256, documents, sentences, repeats

See ``data/lexicons/`` for the lexicon and its changelog.
"""

from __future__ import annotations

from bayes_alliance.measure.aggregate import (
    COLUMNS,
    MeasureResult,
    measure_corpus,
    meta_path,
    write_result,
)
from bayes_alliance.measure.allies import AllySet, load_allies
from bayes_alliance.measure.classify import SentenceResult, analyse_sentence
from bayes_alliance.measure.corpus import Corpus, Document, read_corpus
from bayes_alliance.measure.evaluate import Scores, evaluate_labels
from bayes_alliance.measure.lexicon import Lexicon, default_lexicon, load_lexicon
from bayes_alliance.measure.sentences import split_sentences

__all__ = [
    "COLUMNS",
    "AllySet",
    "Corpus",
    "Document",
    "Lexicon",
    "MeasureResult",
    "Scores",
    "SentenceResult",
    "analyse_sentence",
    "default_lexicon",
    "evaluate_labels",
    "load_allies",
    "load_lexicon",
    "measure_corpus",
    "meta_path",
    "read_corpus",
    "split_sentences",
    "write_result",
]
