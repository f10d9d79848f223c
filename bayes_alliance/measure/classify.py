"""Decide what a sentence tells each state it names: reassurance, conditional, pressure.

A dictionary classifier with a little syntax, applied to sentences that mention a
state; every state gets ``unconditional``, ``conditional``, ``pressure`` or (by
default) ``neutral``, with the cue that decided it. In order:

1. Questions assert nothing: a sentence ending in ``?`` says nothing to anyone.
2. Leverage: a condition that turns a promise into a demand ("only if", "unless",
   or "if"/"as long as" followed by effort asked of the ally, such as paying more)
   makes the sentence's commitments ``conditional`` and puts the state it names
   under ``pressure``; so does a burden-sharing demand ("Japan must do more").
   Conditions about an attack ("if Japan is attacked") are the normal form of a
   defence pledge and are kept.
3. The sentence is cut into clauses (semicolons, dashes, "but", ", and we ...").
4. In each clause, commitment cues ("defend", "treaty obligations", "security
   guarantee", "commitment", "stand by", ...) and abandonment cues ("abandon",
   "withdraw", "reduce our forces", ...) are found. Generic cues, which are not
   about security by themselves ("commitment", "pledge", "stand with"), count
   only in a clause that speaks of security or for a state they directly govern
   ("commitment to Korea", "Japan can count on our commitment"). Within a few
   words before a cue, negators ("not", "never", "no") and reversers
   ("reconsider", "weaken", "doubt") are counted: a commitment cue holds when
   their total is even ("will not weaken our commitment"); an abandonment cue
   reassures when negated an odd number of times ("will not abandon"). A cue
   that does not reassure is ``pressure`` when the patron acts in it ("we will
   reduce our forces", "reconsider our commitment") and no argument marker
   precedes it ("if we withdraw ..."). Cues after reports of the past or of
   costs are void ("our decision to defend Korea", "it costs us ... to keep our
   troops"), and so are clauses about a past year or a disaster.
   Predicates after a commitment cue can undo it too ("our commitment ... is
   under review").
   A cue inside the window of an earlier one inherits its context ("we will not
   commit troops to the defense of Pakistan"), and negators joined by "and"
   count once ("cannot and will not guarantee").
5. A cue owned by someone else does not count: "its commitment", "Japan has
   pledged"; nor does self-defence ("Japan must defend itself") unless the patron
   helps.
6. Targets: the states named after the cue in its clause (the object of "defend
   X", "commitment to X"), as far as a list of them runs, leaving out partners
   introduced by "with"/"by", adversaries introduced by "against" (or "from"
   after a commitment) and legal bases introduced by "under"; when none follows,
   the states before it ("Korea can count on our commitment"), unless the cue
   has another object ("to defend another small country"); when the clause
   names no state, those of earlier clauses ("..., and we will defend it").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bayes_alliance.measure.cues import CueRules
from bayes_alliance.measure.lexicon import PSEUDO_PREFIX, Lexicon, load_lexicon
from bayes_alliance.measure.mentions import Mention, find_mentions
from bayes_alliance.measure.sentences import normalize_text

__all__ = ["CLASSES", "Decision", "SentenceResult", "analyse_sentence", "classify_codes"]

_TOKEN = re.compile(r"[A-Za-z]+(?:['.-][A-Za-z]+)*")
_SEGMENT_END = re.compile(r"[,;:()]")
_CONDITION_END = re.compile(r"[,;:]")
# what may stand between two states in one list: "Japan, Korea and the Philippines",
# "Saudi Arabia or of our ally Turkey", "including Norway and Denmark"
_COORDINATION = re.compile(
    r"(?:'s)?(?:\s+(?:nations|states|countries|members|governments|peoples?))?"
    r"\s*(?P<comma>,)?\s*(?P<conj>(?:and|or|nor|as\s+well\s+as|including|especially|"
    r"particularly|notably|such\s+as)\s+)?(?(conj)(?:(?:those|that)\s+)?"
    r"(?:(?:in|to|of|on|for|with|from|toward|towards)\s+)?)"
    r"(?:(?:the|our|its|their)\s+)?(?:(?:allies|ally|friends?|partners?|peoples?)\s+"
    r"(?:(?:in|of)\s+)?)?(?:the\s+)?", re.IGNORECASE)
# words that may join two negators into one negation ("cannot and will not")
_JOINERS = frozenset({"and", "or", "nor", "will", "would", "shall", "should", "can", "could",
                      "may", "might", "must", "do", "does", "did", "is", "are", "be", "we", "i",
                      "they", "he", "she", "it", "you"})
_OWNER_REACH = 3
_PATRON_COMPOUND = re.compile(r"(?:U\.S\.|US|American)-$")
_COORDINATORS = frozenset({"and", "or", "nor"})
_PARTNER_REACH = 4


#: the classes of a (sentence, ally) pair other than ``neutral``
CLASSES = ("unconditional", "conditional", "pressure")


@dataclass(frozen=True, slots=True)
class Decision:
    """The class of one ally in one sentence and the cue that decided it."""

    label: str
    cue: str


@dataclass(frozen=True, slots=True)
class SentenceResult:
    """What one sentence says: the states it mentions and what it tells each of them.

    ``reassured`` holds the states reassured unconditionally; ``decisions`` maps
    every state with a non-neutral class to its :class:`Decision`.
    """

    mentioned: tuple[str, ...]
    reassured: tuple[str, ...]
    decisions: dict[str, Decision]

    def label(self, code: str) -> str:
        """The class of ``code`` in this sentence (``neutral`` when none applies)."""
        decision = self.decisions.get(code)
        return decision.label if decision is not None else "neutral"


def analyse_sentence(text: str, year: int, *, lexicon: Lexicon | str | Path | None = None
                     ) -> SentenceResult:
    """Mentions and classes in one sentence (regions and organisations left out).

    Parameters
    ----------
    text
        One sentence.
    year
        Year of the statement (aliases are read as in that year).
    lexicon
        A lexicon, the path of its TOML file, or None for the default.

    Returns
    -------
    SentenceResult
        Sorted COW abbreviations of the states mentioned and of those reassured
        unconditionally, and the decision for every state with a class.

    Examples
    --------
    >>> analyse_sentence("We will never abandon the Republic of Korea.", 1976).reassured
    ('ROK',)
    """
    lex = load_lexicon(lexicon)
    sentence = normalize_text(text)
    mentions = find_mentions(sentence, year, lex)
    states = {m.code for m in mentions if not m.code.startswith(PSEUDO_PREFIX)}
    decisions = {code: d for code, d in classify_codes(sentence, mentions, lex.cues).items()
                 if code in states}
    reassured = tuple(sorted(c for c, d in decisions.items() if d.label == "unconditional"))
    return SentenceResult(tuple(sorted(states)), reassured, decisions)


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int
    end: int
    abandonment: bool
    generic: bool


def classify_codes(sentence: str, mentions: Sequence[Mention], rules: CueRules
                   ) -> dict[str, Decision]:
    """The class of each state in ``sentence`` that has one.

    A state is ``unconditional`` when a commitment cue holds for it (or a negated
    abandonment cue); ``conditional`` when that commitment comes with a condition
    that asks effort of the ally (``unless``, ``only if``, ``as long as ... pay``)
    or with a burden-sharing demand in the same sentence; ``pressure`` when the
    patron's own abandonment cue holds for it ("we will reduce our forces in
    Korea"), when the patron's commitment to it is negated or reversed ("we will
    reconsider our commitment to Germany"), when a burden-sharing demand names it
    in its clause ("Japan must do more for its own defense"), or when a condition
    asks its effort ("unless Germany pays more, ..."). Questions say nothing.

    Parameters
    ----------
    sentence
        One normalised sentence.
    mentions
        Its state mentions (from :func:`~bayes_alliance.measure.mentions.find_mentions`).
    rules
        The lexicon's compiled cue rules.

    Returns
    -------
    dict
        Code -> :class:`Decision`; may contain pseudo-codes (regions) and states
        outside the ally set; the caller keeps the ones it counts.
    """
    if not mentions or _is_question(sentence) or not (
            rules.any_cue.search(sentence) or rules.burden_demand.search(sentence)):
        return {}
    tie = _leverage(sentence, rules)
    demand = rules.burden_demand.search(sentence)
    bounds = [0, *(m.end() for m in rules.clause_split.finditer(sentence)), len(sentence)]
    commits: dict[str, str] = {}
    threats: dict[str, str] = {}
    demanded: set[str] = set()
    for c0, c1 in zip(bounds, bounds[1:], strict=False):
        if c1 <= c0:
            continue
        commit, threat = _clause(sentence, c0, c1, mentions, rules)
        for code, cue in commit.items():
            commits.setdefault(code, cue)
        for code, cue in threat.items():
            threats.setdefault(code, cue)
        if demand is not None and c0 <= demand.start() < c1:
            demanded |= {m.code for m in mentions if c0 <= m.start < c1}
    if tie is not None:
        # the ally whose effort the condition asks for is pressed ("unless Germany pays")
        demanded |= {m.code for m in mentions if tie[1] <= m.start < tie[2]}
    condition = tie[0] if tie is not None else (demand.group() if demand is not None else None)
    decisions = {code: Decision("conditional", f"{cue} / {condition}") if condition
                 else Decision("unconditional", cue) for code, cue in commits.items()}
    for code, cue in threats.items():
        decisions.setdefault(code, Decision("pressure", cue))
    for code in demanded:
        decisions.setdefault(code, Decision("pressure", condition or ""))
    return decisions


def _clause(sentence: str, c0: int, c1: int, mentions: Sequence[Mention],
            rules: CueRules) -> tuple[dict[str, str], dict[str, str]]:
    """States a clause commits the patron to, and states it threatens, with their cues."""
    in_clause = [m for m in mentions if c0 <= m.start < c1]
    earlier = [m for m in mentions if m.start < c0]
    security = rules.security_context.search(sentence, c0, c1) is not None
    cues = _cues(sentence, c0, c1, rules)
    frames: list[tuple[int, int | None]] = []
    foreign: list[bool] = []
    commit: dict[str, str] = {}
    threat: dict[str, str] = {}
    if rules.void_clause.search(sentence, c0, c1):
        return commit, threat
    for i, cue in enumerate(cues):
        frames.append(_frame(sentence, c0, i, cues, frames, rules))
        start, parent = frames[i]
        holds, owned = _holds(sentence, start, c1, cue, in_clause, rules)
        foreign.append(owned or (parent is not None and foreign[parent]))
        if foreign[i] or (not cue.abandonment and any(
                w in rules.void_words for w in _words(list(_TOKEN.finditer(sentence, start,
                                                                           cue.start))))):
            continue
        if not holds and not _patron_threat(sentence, start, cue, rules):
            continue
        if cue.generic and not security:
            if in_clause:
                targets = _governed(sentence, cue, in_clause, rules)
            else:
                tail = _words(list(_TOKEN.finditer(sentence, cue.start, c1)))
                after = tail[:len(_TOKEN.findall(sentence, cue.start, cue.end)) + 2]
                targets = earlier if any(w in rules.pronouns for w in after) else []
        else:
            targets = _targets(sentence, cue, in_clause, rules) if in_clause else earlier
        found = commit if holds else threat
        for m in targets:
            if not _is_venue(sentence, m, rules):
                found.setdefault(m.code, sentence[cue.start:cue.end])
    return commit, threat


def _patron_threat(sentence: str, start: int, cue: _Cue, rules: CueRules) -> bool:
    """A cue that does not reassure is the patron's threat when the patron acts in it.

    The patron must be named in the cue or the words before it ("we will reduce
    our forces", "reconsider our commitment"), and the words before it hold no
    open condition ("if we withdraw ..." argues, it does not announce).
    """
    words = _words(list(_TOKEN.finditer(sentence, start, cue.end)))
    if not any(w in rules.patron_markers for w in words):
        return False
    return not any(w in rules.threat_blockers for w in words)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().rstrip("\"')]").endswith("?")


def _leverage(sentence: str, rules: CueRules) -> tuple[str, int, int] | None:
    """A condition that asks something of the ally in return: (text, start, end) or None."""
    for marker in rules.reversing_conditions.finditer(sentence):
        stop = _CONDITION_END.search(sentence, marker.end())
        return marker.group(), marker.start(), stop.start() if stop else len(sentence)
    for marker in rules.open_conditions.finditer(sentence):
        stop = _CONDITION_END.search(sentence, marker.end())
        end = stop.start() if stop else len(sentence)
        effort = rules.effort.search(sentence, marker.end(), end)
        if effort and not rules.attack.search(sentence, marker.end(), end):
            return f"{marker.group()} ... {effort.group()}", marker.start(), end
    return None


def _cues(sentence: str, c0: int, c1: int, rules: CueRules) -> list[_Cue]:
    """Cues in a clause, in order; a more specific cue hides those it overlaps."""
    cues: list[_Cue] = []
    for pattern, abandonment, generic in (
            (rules.abandonment, True, False), (rules.abandonment_generic, True, True),
            (rules.commitment, False, False), (rules.commitment_generic, False, True)):
        for m in pattern.finditer(sentence, c0, c1):
            if not any(m.start() < c.end and c.start < m.end() for c in cues):
                cues.append(_Cue(m.start(), m.end(), abandonment, generic))
    return sorted(cues, key=lambda c: c.start)


def _frame(sentence: str, c0: int, i: int, cues: Sequence[_Cue],
           frames: Sequence[tuple[int, int | None]], rules: CueRules) -> tuple[int, int | None]:
    """Start of the words read before cue ``i``, and the earlier cue it continues."""
    cue = cues[i]
    segment = c0
    for stop in _SEGMENT_END.finditer(sentence, c0, cue.start):
        segment = stop.end()
    tokens = list(_TOKEN.finditer(sentence, segment, cue.start))
    start = tokens[-rules.window].start() if len(tokens) >= rules.window else segment
    for j in range(i - 1, -1, -1):
        if segment <= cues[j].start and start < cues[j].end <= cue.start:
            return min(start, frames[j][0]), j
    return start, None


def _words(matches: Sequence[re.Match[str]]) -> list[str]:
    return [m.group().lower().replace(".", "") for m in matches]


def _negations(words: Sequence[str], rules: CueRules) -> int:
    """Negators, counting "cannot and will not" once and skipping "not only"."""
    count, last = 0, None
    for i, word in enumerate(words):
        if not (word in rules.negators or word.endswith("n't")):
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        if following in rules.negation_exempt:
            continue
        joined = last is not None and all(w in _JOINERS for w in words[last + 1:i])
        count += not joined
        last = i
    return count


def _holds(sentence: str, start: int, c1: int, cue: _Cue, in_clause: Sequence[Mention],
           rules: CueRules) -> tuple[bool, bool]:
    """Whether the cue reassures as read, and whether it is another state's cue."""
    tokens = list(_TOKEN.finditer(sentence, start, cue.start))
    words = _words(tokens)
    negations = _negations(words, rules)
    if cue.abandonment:
        holds = negations % 2 == 1
    else:
        # reversers joined by "or"/"and" count once ("will not eliminate or forget")
        reversals = sum(word in rules.reversers and not (
            i >= 2 and words[i - 1] in _COORDINATORS and words[i - 2] in rules.reversers)
            for i, word in enumerate(words))
        after = " ".join(_words(list(_TOKEN.finditer(sentence, cue.end, c1))[:3]))
        # "defend itself" is self-defence; "an attack on us ... against itself" is not
        ends_open = sentence[:cue.end].rstrip().lower().endswith(("on", "against", "upon"))
        selfish = not ends_open and any(f" {r} " in f" {after} " for r in rules.reflexives) \
            and not any(w in rules.help_words for w in words)
        holds = (negations + reversals) % 2 == 0 and not selfish \
            and _post_holds(sentence, cue.end, c1, rules)
    if cue.abandonment:
        # what happens to the ally: "Korea will not be left alone" is about Korea
        return holds, False
    near = tokens[-_OWNER_REACH:]
    phrase = max(sentence.rfind(mark, 0, cue.start) for mark in ",;:()") + 1
    phrase_words = _words(list(_TOKEN.finditer(sentence, min(phrase, start), cue.start)))
    return holds, _owned_by_other(sentence, near, words + phrase_words, cue, in_clause, rules)


def _post_holds(sentence: str, start: int, c1: int, rules: CueRules) -> bool:
    """Predicates after a commitment cue that undo it ("... is under review")."""
    stop = _SEGMENT_END.search(sentence, start, c1)
    tokens = list(_TOKEN.finditer(sentence, start, stop.start() if stop else c1))
    tokens = tokens[:rules.post_window]
    if not tokens:
        return True
    hits = list(rules.post_reversers.finditer(sentence, start, tokens[-1].end()))
    if not hits:
        return True
    free = [t for t in tokens if not any(h.start() <= t.start() < h.end() for h in hits)]
    return (len(hits) + _negations(_words(free), rules)) % 2 == 0


def _owned_by_other(sentence: str, near: Sequence[re.Match[str]], window: Sequence[str],
                    cue: _Cue, in_clause: Sequence[Mention], rules: CueRules) -> bool:
    """The cue is another state's ("its commitment", "Japan has pledged").

    A possessive is the patron's when the patron is named earlier in the phrase
    ("the United States will not default on its obligations"); "help Taiwan
    defend" and "our protection" are the patron's.
    """
    if not near or any(w in rules.help_words for w in window):
        return False
    if any(w in rules.patron_markers for w in _words(list(_TOKEN.finditer(
            sentence, cue.start, cue.end)))):
        return False
    patron = any(w in rules.patron_markers for w in window)
    if not patron and any(w in rules.third_party_possessives for w in _words(near)):
        return True
    owners = [m for m in in_clause if near[0].start() < m.end <= cue.start
              and not m.code.startswith(PSEUDO_PREFIX)]
    if not owners:
        return False
    last = max(owners, key=lambda m: m.end)
    # "the U.S.-Japan security ties" are the patron's as much as the ally's
    if _PATRON_COMPOUND.search(sentence, max(0, last.start - 10), last.start):
        return False
    between = _words([t for t in near if t.start() >= last.end])
    return not any(w in rules.patron_markers for w in between)


def _is_venue(sentence: str, mention: Mention, rules: CueRules) -> bool:
    """A capital named as the place of an event ("at Manila", "in London")."""
    if mention.kind != "capital":
        return False
    before = _TOKEN.findall(sentence, max(0, mention.start - 12), mention.start)
    return bool(before) and before[-1].lower() in rules.venue_words


def _targets(sentence: str, cue: _Cue, in_clause: Sequence[Mention],
             rules: CueRules) -> list[Mention]:
    """States a cue is about: its objects after it, else the states before it."""
    objects = _objects(sentence, cue, in_clause, rules)
    if objects is not None:
        return objects
    # an object that is not a state ("to defend another small country") leaves none
    following = _words(list(_TOKEN.finditer(sentence, cue.end, min(len(sentence),
                                                                     cue.end + 12))))[:1]
    if not cue.abandonment and not cue.generic and following \
            and following[0] in rules.object_determiners:
        return []
    return [m for m in in_clause if m.end <= cue.start]


def _objects(sentence: str, cue: _Cue, in_clause: Sequence[Mention],
             rules: CueRules) -> list[Mention] | None:
    """States named after a cue as its object, as far as their list runs.

    None when no state (other than a legal basis, "under NATO") follows the cue.
    """
    stop_words = rules.co_actor_words | rules.adversary_words
    if not cue.abandonment:
        stop_words = stop_words | rules.commitment_adversary_words
    # a region or organisation inside the cue is part of it ("new members of NATO")
    after = [m for m in in_clause if m.start >= cue.start
             and not (m.start < cue.end and m.code.startswith(PSEUDO_PREFIX))]
    objects: list[Mention] = []
    previous: Mention | None = None
    has_object, listing = False, False
    for k, mention in enumerate(after):
        if rules.object_stop.search(sentence, cue.end, mention.start):
            break
        if previous is not None:
            join = _COORDINATION.fullmatch(sentence, previous.end, mention.start)
            if join is None or (join.group("conj") and _starts_clause(sentence, after[k:],
                                                                     listing, rules)):
                break
            listing = listing or bool(join.group("comma") and not join.group("conj"))
        previous = mention
        if _is_instrument(sentence, mention, rules):
            continue
        has_object = True
        gap = _words(list(_TOKEN.finditer(sentence, cue.end, mention.start)))
        # a partner or adversary is introduced right before it ("together with Britain"),
        # but "with" after a partner noun names the ally ("our security treaty with Japan")
        before = [*_words(list(_TOKEN.finditer(sentence, cue.start, cue.end)))[-1:], *gap]
        near = len(gap) - _PARTNER_REACH
        if not any(w in stop_words and i >= near
                   and not (w == "with" and before[i] in rules.partner_nouns)
                   for i, w in enumerate(gap)):
            objects.append(mention)
    return objects if has_object else None


def _is_instrument(sentence: str, mention: Mention, rules: CueRules) -> bool:
    """A state or treaty named as the legal basis ("obligations under the treaty")."""
    before = _words(list(_TOKEN.finditer(sentence, max(0, mention.start - 12),
                                         mention.start)))[-2:]
    return bool(before) and (before[-1] in rules.instrument_words
                             or (before[-1] == "the" and before[0] in rules.instrument_words))


def _starts_clause(sentence: str, rest: Sequence[Mention], listing: bool,
                   rules: CueRules) -> bool:
    """Whether a state after ", and" opens a new clause (", and Korea has sent ...").

    It does when it is the subject of a finite verb and no comma list is under way.
    """
    if listing or "," not in sentence[:rest[0].start][-8:]:
        return False
    end = rest[0].end
    for mention in rest[1:]:
        if not _COORDINATION.fullmatch(sentence, end, mention.start):
            break
        end = mention.end
    following = _TOKEN.search(sentence, end)
    return following is not None and following.group().lower() in rules.finite_verbs


def _governed(sentence: str, cue: _Cue, in_clause: Sequence[Mention],
              rules: CueRules) -> list[Mention]:
    """States a generic cue governs.

    Its direct object (with what is coordinated with it) right after it, a state
    before it in the same phrase, or the state a pronoun object refers to.
    """
    following = _words(list(_TOKEN.finditer(sentence, cue.end, cue.end + 12)))[:1]
    if following and following[0] in rules.pronouns:
        return [m for m in in_clause if m.end <= cue.start]
    governed: list[Mention] = []
    first_after = True
    for mention in _targets(sentence, cue, in_clause, rules):
        if mention.start < cue.start:
            if not _SEGMENT_END.search(sentence, mention.end, cue.start):
                governed.append(mention)
            continue
        if first_after:
            gap = sentence[cue.end:mention.start]
            gap_words = _words(list(_TOKEN.finditer(gap)))
            # the object is a noun phrase: no punctuation, no finite verb, a few words
            if len(gap_words) > rules.direct_reach or _SEGMENT_END.search(gap) \
                    or any(w in rules.finite_verbs for w in gap_words):
                break
            first_after = False
        governed.append(mention)
    return governed
