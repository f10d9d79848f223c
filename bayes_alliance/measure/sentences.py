"""Text normalisation and a fast rule-based sentence splitter for English statements.

The splitter breaks after ``.``, ``!`` or ``?`` (and closing quotes or brackets)
when whitespace and a capital letter follow, and at blank lines. It keeps going
through titles and initials ("Mr. Dulles", "John F. Kennedy", "the U.S. Government"),
which are frequent in presidential statements. Known limitation: a sentence that
ends in an abbreviation ("... the U.S.S.R. The talks ...") is joined to the next.
"""

from __future__ import annotations

import re

__all__ = ["normalize_text", "sentence_starts", "split_sentences"]

# typographic characters replaced one for one, so offsets stay valid
_REPLACEMENTS = (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u00a0", " "), ("\u2032", "'"))

_BOUNDARY = re.compile(r"""[.!?]+["')\]]*\s+(?=["'(\[]?[A-Z])|\n[ \t]*\n\s*""")
_ABBREVIATIONS = (
    "Mr", "Mrs", "Ms", "Messrs", "Dr", "St", "Jr", "Sr", "Gen", "Sen", "Sens", "Rep", "Reps",
    "Gov", "Lt", "Col", "Maj", "Capt", "Cmdr", "Adm", "Sgt", "Cpl", "Pvt", "Prof", "Rev",
    "Hon", "Amb", "Pres", "Atty", "Supt", "Dept", "Mt", "Ft", "Inc", "Corp", "Ltd", "Co",
    "Bros", "vs", "Jan", "Feb", "Mar", "Apr", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
    "Nos?", "Art", "Arts", "Sec", "Secs", "Vol", "pp", "cf",
)
# a title or month abbreviation, or a single letter (initials, "U.S.", "U.N.")
_ABBREV_TAIL = re.compile(r"(?:(?<![A-Za-z])(?:" + "|".join(_ABBREVIATIONS)
                          + r")|(?<![A-Za-z])[A-Za-z])\.$")


def normalize_text(text: str) -> str:
    """Replace curly quotes and non-breaking spaces by their plain forms (same length)."""
    for old, new in _REPLACEMENTS:
        if old in text:
            text = text.replace(old, new)
    return text


def sentence_starts(text: str) -> list[int]:
    """Offsets at which the sentences of ``text`` begin (the first is always 0).

    Parameters
    ----------
    text
        A document, ideally passed through :func:`normalize_text` first.

    Returns
    -------
    list of int
        Increasing offsets; sentence ``i`` is ``text[starts[i]:starts[i + 1]]``.
        An empty or blank text has one (blank) sentence at offset 0.
    """
    starts = [0]
    end = len(text)
    abbrev = _ABBREV_TAIL.search
    for match in _BOUNDARY.finditer(text):
        stop = match.end()
        if stop >= end:
            break
        first = match.start()
        # a lone period after a title or an initial does not end the sentence
        if text[first] == "." and text[first + 1] not in ".!?" \
                and abbrev(text, max(0, first - 8), first + 1):
            continue
        starts.append(stop)
    return starts


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (whitespace-trimmed, blank ones dropped)."""
    text = normalize_text(text)
    starts = sentence_starts(text)
    bounds = [*starts[1:], len(text)]
    pieces = (text[a:b].strip() for a, b in zip(starts, bounds, strict=True))
    return [p for p in pieces if p]
