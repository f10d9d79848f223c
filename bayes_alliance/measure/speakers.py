"""Who speaks: keep only the sitting president's own words.

A document is read as one speaker's words unless it is a transcript with speaker
turns (debates, press conferences, interviews). A turn starts at a line that
opens with a speaker label and a colon or period: ``THE PRESIDENT.``,
``**MR. NEWMAN:**``, ``President Bush.``, ``Q.``. A label is accepted when it is
``Q``, written in capitals, starts with a title (Mr., Senator, President, ...), or
recurs at least twice in the document (section numbers, headings such as
``First:`` and lone titles are not speakers); a document is a transcript when it
has at least two distinct accepted labels and one of them is ``Q``, an audience
interjection or a president's label, or its title names a debate, press
conference, interview or briefing. Unlabelled lines continue the previous
speaker, except that one-line interjections (``Q``, ``AUDIENCE``, ``CROWD``)
hand the floor back to whoever spoke before them. Text before the first label is
the document's speaker, or the moderator's in a debate.

The president speaks in a turn whose label is ``THE PRESIDENT``, ``PRESIDENT
<surname>``, ``MR. <surname>`` or ``<surname>`` of a president in office on the
document's date (from ``data/lexicons/presidents.csv``; on an inauguration day
both the outgoing and the incoming president are in office). A document without
turns is the president's when its ``president``/``speaker`` field names a
president in office then: campaign speeches by candidates, vice presidents and
presidents-elect are not counted.

Known limits: a reporter's question that runs over several paragraphs is cut
after its first (the rest reads as the president's answer), and a speaker
introduced without a label (a moderator's opening in a press briefing) is read
as the president.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure.corpus import Document
from bayes_alliance.resources import data_path

__all__ = ["Presidency", "Turn", "load_presidents", "president_turns", "sitting"]

_WORD = r"(?:[A-Z][A-Za-z]{0,2}\.|[A-Z][A-Za-z'-]*)"
_LABEL = re.compile(
    rf"^[ \t*_]*(?P<label>Q|(?:{_WORD}[ \t]+){{0,4}}[A-Z][A-Za-z'-]+"
    r"(?:,[ \t]*[A-Z][A-Za-z .]{1,30}?)?)[ \t*_]*[.:][ \t*_]*(?=\S)", re.MULTILINE)
_ROMAN = re.compile(r"[ivxlc]+")
_TRANSCRIPT_TITLE = re.compile(r"debate|press|news conference|interview|conversation|"
                               r"question|briefing|town hall")
_TITLES = frozenset({"mr", "mrs", "ms", "dr", "senator", "governor", "president", "secretary",
                     "vice", "the", "moderator", "general", "admiral", "ambassador",
                     "representative", "speaker", "leader", "chairman", "prime"})
_INTERJECTIONS = frozenset({"q", "audience", "audience member", "audience members", "crowd",
                            "voice", "voices", "reporter"})
_NOT_SPEAKERS = frozenset({"first", "second", "third", "fourth", "fifth", "sixth", "one", "two",
                           "three", "signed", "note", "p.s", "ps"})


@dataclass(frozen=True, slots=True)
class Presidency:
    """One presidency: the name as the corpus spells it, the surname, the first day."""

    name: str
    surname: str
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class Turn:
    """A stretch of a document's text (``start``..``end``) and who speaks it."""

    start: int
    end: int
    speaker: str


@cache
def load_presidents(path: str | Path | None = None) -> tuple[Presidency, ...]:
    """Read the table of presidencies (``name,surname,start``), in order.

    Each presidency ends on the day the next one starts (inclusive, so both are
    in office on an inauguration day).

    Raises
    ------
    MeasureError
        When the file is missing, lacks a column, or a start date is not ISO.
    """
    path = Path(path) if path is not None else data_path("lexicons", "presidents.csv")
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as err:
        raise MeasureError(f"cannot read the presidents table {path}: {err}") from err
    starts = []
    for line, row in enumerate(rows, start=2):
        try:
            starts.append((row["name"].strip(), row["surname"].strip(),
                           dt.date.fromisoformat(row["start"].strip())))
        except (KeyError, AttributeError, ValueError) as err:
            raise MeasureError(f"{path.name}, line {line}: expected name,surname,start "
                               f"(ISO date): {err}") from err
    starts.sort(key=lambda r: r[2])
    return tuple(Presidency(name, surname, start, starts[i + 1][2] if i + 1 < len(starts)
                            else None) for i, (name, surname, start) in enumerate(starts))


def sitting(date: dt.date, presidents: tuple[Presidency, ...] | None = None
            ) -> tuple[Presidency, ...]:
    """The presidents in office on ``date`` (two on an inauguration day)."""
    table = presidents if presidents is not None else load_presidents()
    return tuple(p for p in table if p.start <= date and (p.end is None or date <= p.end))


def _key(label: str) -> str:
    return " ".join(label.replace("*", " ").replace("_", " ").split()).lower().rstrip(".")


def _is_person(label: str, count: int) -> bool:
    key = _key(label)
    words = key.replace(".", " ").split()
    if key == "q":
        return True
    if key in _NOT_SPEAKERS or _ROMAN.fullmatch(key) or len(words[-1]) < 2 \
            or (len(words) == 1 and words[0] in _TITLES) \
            or ("," in key and not label.split(",")[0].isupper()):
        return False
    letters = [c for c in label if c.isalpha()]
    capitals = sum(c.isupper() for c in letters) >= 0.8 * len(letters)
    return capitals or words[0] in _TITLES or count >= 2


def _presidential(key: str, surnames: frozenset[str]) -> bool:
    name = key.split(",")[0].replace(".", "")
    for prefix in ("the president", "president ", "mr ", ""):
        if name.startswith(prefix):
            rest = name[len(prefix):].strip()
            if (prefix == "the president" and not rest) or (rest and rest in surnames):
                return True
    return False


def president_turns(doc: Document, text: str,
                    presidents: tuple[Presidency, ...] | None = None) -> list[Turn]:
    """The stretches of ``text`` (the document's normalised text) spoken by a sitting president.

    Parameters
    ----------
    doc
        The document (its date, ``speaker`` and ``title`` are used).
    text
        Its text after :func:`~bayes_alliance.measure.sentences.normalize_text`.
    presidents
        The presidencies table (default: the shipped one).

    Returns
    -------
    list of Turn
        In order; each names the president speaking. Empty when no sitting
        president speaks (a candidates' debate, a campaign speech).
    """
    in_office = sitting(doc.date, presidents)
    surnames = frozenset(p.surname.lower() for p in in_office)
    by_name = {p.name.lower(): p.name for p in in_office}
    labels = list(_LABEL.finditer(text))
    counts: dict[str, int] = {}
    for m in labels:
        counts[_key(m.group("label"))] = counts.get(_key(m.group("label")), 0) + 1
    labels = [m for m in labels if _is_person(m.group("label"), counts[_key(m.group("label"))])]
    distinct = {_key(m.group("label")) for m in labels}
    everyone = frozenset(p.surname.lower() for p in (presidents or load_presidents()))
    transcript = bool(distinct & _INTERJECTIONS) or any(_presidential(k, everyone)
                                                        for k in distinct) \
        or _TRANSCRIPT_TITLE.search(f"{doc.title} {doc.doc_id}".lower()) is not None
    own = by_name.get(doc.speaker.strip().lower()) if doc.speaker else None
    if doc.speaker == "" and in_office:
        own = in_office[-1].name  # a corpus without a speaker field: the president's words
    if not transcript or (len(distinct) < 2 and not distinct & _INTERJECTIONS):
        return [Turn(0, len(text), own)] if own else []
    debate = "debate" in f"{doc.title} {doc.doc_id}".lower()
    turns: list[Turn] = []
    current = None if debate else own
    position = 0
    previous: str | None = current
    for m in labels:
        if current is not None and m.start() > position:
            turns.append(Turn(position, m.start(), current))
        key = _key(m.group("label"))
        speaker = _speaker(key, surnames, in_office)
        if key in _INTERJECTIONS:
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            position, current = line_end, previous
            continue
        previous = current = speaker
        position = m.end()
    if current is not None and position < len(text):
        turns.append(Turn(position, len(text), current))
    return [t for t in turns if t.speaker is not None and text[t.start:t.end].strip()]


def _speaker(key: str, surnames: frozenset[str], in_office: tuple[Presidency, ...]
             ) -> str | None:
    """The president's name for a presidential label, else None (another speaker)."""
    if not _presidential(key, surnames):
        return None
    name = key.split(",")[0].replace(".", "")
    for president in reversed(in_office):
        if name.endswith(president.surname.lower()):
            return president.name
    return in_office[-1].name if in_office else None
