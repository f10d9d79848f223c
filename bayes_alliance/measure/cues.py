"""The sentence-level rules of a lexicon: cues, negators, conditions, clause boundaries.

Parsed from the ``[cues]``, ``[conditions]``, ``[clauses]`` and (optional)
``[pressure]`` tables of a lexicon's TOML file into compiled regular expressions and word sets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bayes_alliance.errors import MeasureError

__all__ = ["CueRules", "compile_pattern", "parse_cues", "string_list"]


@dataclass(frozen=True, slots=True)
class CueRules:
    """Compiled sentence-level rules of a lexicon (see ``[cues]`` in the TOML file)."""

    commitment: re.Pattern[str]
    commitment_generic: re.Pattern[str]
    abandonment: re.Pattern[str]
    abandonment_generic: re.Pattern[str]
    any_cue: re.Pattern[str]
    security_context: re.Pattern[str]
    direct_reach: int
    window: int
    post_window: int
    negators: frozenset[str]
    negation_exempt: frozenset[str]
    reversers: frozenset[str]
    post_reversers: re.Pattern[str]
    third_party_possessives: frozenset[str]
    patron_markers: frozenset[str]
    reflexives: frozenset[str]
    help_words: frozenset[str]
    co_actor_words: frozenset[str]
    adversary_words: frozenset[str]
    commitment_adversary_words: frozenset[str]
    venue_words: frozenset[str]
    partner_nouns: frozenset[str]
    instrument_words: frozenset[str]
    pronouns: frozenset[str]
    subordinators: frozenset[str]
    finite_verbs: frozenset[str]
    object_stop: re.Pattern[str]
    reversing_conditions: re.Pattern[str]
    open_conditions: re.Pattern[str]
    effort: re.Pattern[str]
    attack: re.Pattern[str]
    clause_split: re.Pattern[str]
    burden_demand: re.Pattern[str]
    threat_blockers: frozenset[str]
    void_words: frozenset[str]
    object_determiners: frozenset[str]
    void_clause: re.Pattern[str]


def string_list(table: Mapping, key: str, where: str) -> list[str]:
    """The list of strings at ``table[key]`` (empty when absent)."""
    values = table.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise MeasureError(f"lexicon {where}: '{key}' must be a list of strings")
    return values


def compile_pattern(pattern: str, where: str, *, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """Compile ``pattern``, naming the lexicon file when it is invalid."""
    try:
        return re.compile(pattern, flags)
    except re.error as err:
        raise MeasureError(f"lexicon {where}: bad regular expression {pattern!r}: {err}") from err


def _words_re(table: Mapping, key: str, where: str, *, bounded: bool = True) -> re.Pattern[str]:
    """One case-insensitive alternation of the patterns in ``table[key]``."""
    patterns = string_list(table, key, where)
    for pattern in patterns:
        compile_pattern(pattern, f"{where} [{key}]")
    if not patterns:
        return re.compile(r"(?!)")
    body = "|".join(f"(?:{p})" for p in patterns)
    return compile_pattern(rf"(?<!\w)(?:{body})(?!\w)" if bounded else body, where)


def parse_cues(spec: Mapping, where: str) -> CueRules:
    """Compile the cue, condition and clause tables of a parsed lexicon TOML file."""
    cues, conditions, clauses = spec["cues"], spec["conditions"], spec["clauses"]
    pressure = spec.get("pressure", {})

    def words(key: str) -> frozenset[str]:
        return frozenset(w.lower() for w in string_list(cues, key, where))

    def integer(key: str, default: int) -> int:
        value = cues.get(key, default)
        if not isinstance(value, int) or value < 1:
            raise MeasureError(f"lexicon {where}: cues.{key} must be a positive integer")
        return value

    return CueRules(
        commitment=_words_re(cues, "commitment", where),
        commitment_generic=_words_re(cues, "commitment_generic", where),
        abandonment=_words_re(cues, "abandonment", where),
        abandonment_generic=_words_re(cues, "abandonment_generic", where),
        # one pass that rules out most sentences before the four cue searches
        any_cue=compile_pattern(r"(?<!\w)(?:" + "|".join(
            f"(?:{p})" for key in ("abandonment", "abandonment_generic", "commitment",
                                   "commitment_generic")
            for p in string_list(cues, key, where)) + r")(?!\w)", where),
        security_context=_words_re(cues, "security_context", where),
        direct_reach=integer("direct_reach", 5),
        window=integer("window", 5),
        post_window=integer("post_window", 6),
        negators=words("negators"),
        negation_exempt=words("negation_exempt"),
        reversers=words("reversers"),
        post_reversers=_words_re(cues, "post_reversers", where),
        third_party_possessives=words("third_party_possessives"),
        patron_markers=words("patron_markers"),
        reflexives=words("reflexives"),
        help_words=words("help_words"),
        co_actor_words=words("co_actor_words"),
        adversary_words=words("adversary_words"),
        commitment_adversary_words=words("commitment_adversary_words"),
        venue_words=words("venue_words"),
        partner_nouns=words("partner_nouns"),
        instrument_words=words("instrument_words"),
        pronouns=words("pronouns"),
        subordinators=words("subordinators"),
        finite_verbs=words("finite_verbs"),
        object_stop=compile_pattern(r"[;:]|,\s*(?:" + "|".join(
            re.escape(w) for w in string_list(cues, "subordinators", where)) + r")(?!\w)", where),
        reversing_conditions=_words_re(conditions, "reversing", where),
        open_conditions=_words_re(conditions, "open", where),
        effort=_words_re(conditions, "effort", where),
        attack=_words_re(conditions, "attack", where),
        clause_split=_words_re(clauses, "split", where, bounded=False),
        void_words=words("void_words"),
        object_determiners=words("object_determiners"),
        void_clause=_words_re(cues, "void_clause", where),
        burden_demand=_words_re(pressure, "demand", where),
        threat_blockers=frozenset(w.lower() for w in string_list(pressure, "threat_blockers",
                                                                  where)),
    )
