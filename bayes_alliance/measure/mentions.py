"""Find and disambiguate mentions of states in a sentence.

Candidate mentions come from one search of the lexicon's alias regex over a whole
document; each is then resolved in its sentence: the alias is read for the
document's year ("Germany" is GFR in 1960, GMY in 1995), phrases that only look
like a state are dropped ("Japanese-American", "Treaty of Paris"), and ambiguous
names pass their rule ("Hamilton Jordan" is a person; "Georgia" is the country only
in a sentence about the Caucasus).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bayes_alliance.measure.lexicon import BLOCK, Lexicon, MentionRule

__all__ = ["Mention", "find_mentions"]

_PREVIOUS_WORD = re.compile(r"([A-Za-z][A-Za-z'-]*)\.?[ \t]+$")
_NEXT_CAPITALISED = re.compile(r"[ \t]+[A-Z][a-z]")
_NEXT_WORD = re.compile(r"\s+([A-Za-z]+)")


@dataclass(frozen=True, slots=True)
class Mention:
    """A state named in a sentence.

    Attributes
    ----------
    code
        COW state abbreviation, or a pseudo-code starting with ``~`` for a region
        or an organisation (never counted, but a possible object of commitment).
    start, end
        Character offsets in the sentence.
    alias
        The text that matched.
    kind
        The alias kind in the lexicon (name, demonym, capital, historical, ...).
    """

    code: str
    start: int
    end: int
    alias: str
    kind: str


def find_mentions(sentence: str, year: int, lexicon: Lexicon,
                  spans: Iterable[tuple[int, int]] | None = None) -> list[Mention]:
    """Mentions of states in ``sentence`` as read in ``year``.

    Parameters
    ----------
    sentence
        One sentence (normalised with :func:`~bayes_alliance.measure.sentences.normalize_text`).
    year
        Calendar year of the statement; aliases are read as in that year.
    lexicon
        The lexicon that defines aliases and rules.
    spans
        Offsets of candidate matches already found in ``sentence`` (the fast path
        used on whole documents); None searches the sentence here.

    Returns
    -------
    list of Mention
        In order of appearance; blocked and rejected candidates are left out.
    """
    if spans is None:
        spans = ((m.start(), m.end()) for m in lexicon.mention_re.finditer(sentence))
    found = []
    for start, end in spans:
        alias = sentence[start:end]
        sense = lexicon.sense(alias, year)
        if sense is None or sense.code == BLOCK:
            continue
        if sense.kind == "demonym" and lexicon.ethnic_suffix.match(sentence, end):
            continue
        if sense.kind == "capital" and _names_event(sentence, start, end, lexicon):
            continue
        if sense.rule is not None and not _passes(lexicon.rules[sense.rule], sentence, start,
                                                  end, lexicon.function_words):
            continue
        found.append(Mention(sense.code, start, end, alias, sense.kind))
    return found


def _names_event(sentence: str, start: int, end: int, lexicon: Lexicon) -> bool:
    """A capital used in the name of a treaty, conference or pact."""
    if lexicon.capital_after.match(sentence, end):
        return True
    return lexicon.capital_before.search(sentence, max(0, start - 24), start) is not None


def _passes(rule: MentionRule, sentence: str, start: int, end: int,
            function_words: frozenset[str]) -> bool:
    """Whether an ambiguous alias reads as the state here."""
    if rule.reject_if_preceded_by_capitalised:
        previous = _PREVIOUS_WORD.search(sentence, max(0, start - 40), start)
        if previous and previous.group(1)[0].isupper() \
                and previous.group(1) not in function_words:
            return False
    if rule.reject_if_followed_by_capitalised and _NEXT_CAPITALISED.match(sentence, end):
        return False
    if rule.reject_if_followed_by:
        following = _NEXT_WORD.match(sentence, end)
        if following and following.group(1).lower() in rule.reject_if_followed_by:
            return False
    return rule.require_context is None or rule.require_context.search(sentence) is not None
