"""The sentences a measure reads: the sitting president's, naming an ally, each counted once.

For every document (in date order) the stretches spoken by a sitting president
are found (:mod:`~bayes_alliance.measure.speakers`), cut into sentences, and the
sentences that name a state of the ally set are yielded with their mentions.
A sentence repeated in the same document, or said in another document within
``window_days`` days before, is yielded once: transcripts often repeat a
paragraph, and the corpus holds a few speeches twice. Repeats are found by the
SHA-1 of the sentence's letters and digits in lower case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bayes_alliance.measure.corpus import Document
from bayes_alliance.measure.lexicon import Lexicon
from bayes_alliance.measure.mentions import Mention, find_mentions
from bayes_alliance.measure.sentences import normalize_text, sentence_starts
from bayes_alliance.measure.speakers import president_turns

__all__ = ["AllySentence", "DEFAULT_WINDOW_DAYS", "Deduplicator", "ally_sentences",
           "sentence_key"]

#: a sentence said again within this many days is a repeat
DEFAULT_WINDOW_DAYS = 30
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class AllySentence:
    """One sentence that names at least one ally.

    Attributes
    ----------
    doc
        The document it comes from.
    speaker
        The president who said it.
    index
        Position of the sentence among the document's president sentences.
    text
        The sentence (normalised, stripped).
    mentions
        Every state, region and organisation it names.
    allies
        The ally codes it names, sorted.
    """

    doc: Document
    speaker: str
    index: int
    text: str
    mentions: tuple[Mention, ...]
    allies: tuple[str, ...]


def sentence_key(sentence: str) -> str:
    """SHA-1 of the sentence's lower-case letters and digits (what makes a repeat)."""
    return hashlib.sha1(_NOT_WORD.sub(" ", sentence.lower()).strip().encode()).hexdigest()


class Deduplicator:
    """Remembers when each sentence was last counted.

    :meth:`first` is true for the first time a sentence is seen in a document and
    when its last counting lies more than ``window_days`` days back.
    """

    def __init__(self, window_days: int = DEFAULT_WINDOW_DAYS) -> None:
        self.window = dt.timedelta(days=window_days)
        self._last: dict[str, tuple[dt.date, str]] = {}
        self.repeats = 0

    def first(self, sentence: str, date: dt.date, doc_id: str) -> bool:
        """Whether ``sentence`` (said in ``doc_id`` on ``date``) is counted."""
        key = sentence_key(sentence)
        seen = self._last.get(key)
        if seen is not None and (seen[1] == doc_id or abs(date - seen[0]) <= self.window):
            self.repeats += 1
            return False
        self._last[key] = (date, doc_id)
        return True


def ally_sentences(documents: Iterable[Document], allies: frozenset[str], lexicon: Lexicon,
                   *, dedup: Deduplicator | None = None,
                   counter: list[int] | None = None,
                   progress: Callable[[int, int], None] | None = None
                   ) -> Iterator[AllySentence]:
    """Yield the sitting president's sentences that name an ally, repeats left out.

    Parameters
    ----------
    documents
        Documents, visited in date order (stable for equal dates).
    allies
        COW codes that count as allies.
    lexicon
        Names and rules.
    dedup
        Shared record of counted sentences (a new one when None).
    counter
        When given, ``counter[0]`` is increased by the number of non-blank
        president sentences read (the denominator of the corpus statistics).
    progress
        Receives ``(documents done, documents in total)`` about 200 times.
    """
    dedup = dedup if dedup is not None else Deduplicator()
    docs = sorted(documents, key=lambda d: d.date)
    every = max(1, len(docs) // 200)
    for done, doc in enumerate(docs, start=1):
        if progress is not None and (done % every == 0 or done == len(docs)):
            progress(done, len(docs))
        text = normalize_text(doc.text)
        index = 0
        for turn in president_turns(doc, text):
            piece = text[turn.start:turn.end]
            if not piece.strip():
                continue
            starts = sentence_starts(piece)
            if counter is not None:
                # only the first and the last piece can be blank (surrounding whitespace)
                counter[0] += len(starts) - (len(starts) > 1 and not piece[:starts[1]].strip()) \
                    - (not piece[starts[-1]:].strip())
            by_sentence: dict[int, list[tuple[int, int]]] = {}
            for m in lexicon.mention_re.finditer(piece):
                by_sentence.setdefault(bisect_right(starts, m.start()) - 1, []).append(
                    (m.start(), m.end()))
            for i, spans in by_sentence.items():
                s0 = starts[i]
                s1 = starts[i + 1] if i + 1 < len(starts) else len(piece)
                raw = piece[s0:s1]
                lead = len(raw) - len(raw.lstrip())
                sentence = raw.strip()
                mentions = find_mentions(sentence, doc.year, lexicon,
                                         [(a - s0 - lead, min(b, s1) - s0 - lead)
                                          for a, b in spans])
                named = tuple(sorted({m.code for m in mentions} & allies))
                if named and dedup.first(sentence, doc.date, doc.doc_id):
                    yield AllySentence(doc, turn.speaker, index + i, sentence,
                                       tuple(mentions), named)
            index += len(starts)
