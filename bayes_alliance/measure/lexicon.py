"""Versioned lexicons: who is mentioned (entity aliases) and what counts as reassurance (cues).

A lexicon is two data files in one folder: a TOML file of rules (name, version,
commitment and abandonment cues, negators, conditions, clause boundaries, mention
disambiguation rules) and the CSV entity table it names (alias -> COW state code,
valid for a range of years). The shipped lexicon is ``data/lexicons/reassurance.toml``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure.cues import CueRules, compile_pattern, parse_cues, string_list
from bayes_alliance.resources import data_path

__all__ = [
    "BLOCK",
    "Lexicon",
    "MentionRule",
    "Sense",
    "alias_pattern",
    "cow_codes",
    "default_lexicon",
    "load_lexicon",
]

#: code of an entity row that only blocks a phrase ("New Mexico") from matching
BLOCK = "-"
#: entity codes starting with this are regions or organisations: objects of
#: commitment that are never counted ("~REGION", "~ORG")
PSEUDO_PREFIX = "~"
_KINDS = frozenset({"name", "demonym", "capital", "historical", "territory", "region",
                    "organisation", "block"})
_RULE_KEYS = frozenset({"reject_if_preceded_by_capitalised", "reject_if_followed_by_capitalised",
                        "reject_if_followed_by", "require_context"})


@dataclass(frozen=True, slots=True)
class Sense:
    """One reading of an alias: the state it names and the years it names it."""

    code: str
    kind: str
    first_year: int | None = None
    last_year: int | None = None
    rule: str | None = None

    def covers(self, year: int) -> bool:
        """Whether the alias names ``code`` in ``year``."""
        return ((self.first_year is None or year >= self.first_year)
                and (self.last_year is None or year <= self.last_year))


@dataclass(frozen=True, slots=True)
class MentionRule:
    """Context checks for an ambiguous alias (a person's name, a US state)."""

    reject_if_preceded_by_capitalised: bool = False
    reject_if_followed_by_capitalised: bool = False
    reject_if_followed_by: frozenset[str] = frozenset()
    require_context: re.Pattern[str] | None = None


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A loaded, validated lexicon.

    Attributes
    ----------
    name, version
        Identify the lexicon; both are recorded with every measurement.
    sha256
        Digest of the TOML file followed by the entity table (bytes as stored).
    senses
        Alias -> readings, each valid for a range of years.
    mention_re
        One regular expression matching every alias (a character trie, so one
        pass over a document finds all candidate mentions).
    """

    name: str
    version: str
    sha256: str
    source: str
    senses: Mapping[str, tuple[Sense, ...]]
    mention_re: re.Pattern[str]
    rules: Mapping[str, MentionRule]
    ethnic_suffix: re.Pattern[str]
    capital_after: re.Pattern[str]
    capital_before: re.Pattern[str]
    function_words: frozenset[str]
    cues: CueRules
    _sense_cache: dict[tuple[str, int], Sense | None] = field(
        default_factory=dict, repr=False, compare=False)

    def sense(self, alias: str, year: int) -> Sense | None:
        """Reading of ``alias`` in ``year`` (None when it names no state that year)."""
        key = (alias, year)
        try:
            return self._sense_cache[key]
        except KeyError:
            pass
        senses = self.senses.get(alias)
        if senses is None:
            senses = self.senses.get(" ".join(alias.split()), ())
        found = next((s for s in senses if s.covers(year)), None)
        self._sense_cache[key] = found
        return found


def alias_pattern(aliases: Iterable[str]) -> str:
    """Regular expression matching any alias, longest first, built as a character trie.

    A plain alternation of hundreds of names makes Python's engine try each name at
    every position; sharing prefixes keeps one pass over the text fast. A space in an
    alias matches any run of whitespace (line breaks inside a name).
    """
    trie: dict[str, dict] = {}
    for alias in aliases:
        node = trie
        for char in alias:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [(r"\s+" if char == " " else re.escape(char)) + emit(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return r"(?<!\w)(?:" + emit(trie) + r")(?!\w)"


@cache
def cow_codes() -> Mapping[str, int]:
    """COW state abbreviation -> COW code, from ``data/facts/cow_country_codes.csv``."""
    path = data_path("facts", "cow_country_codes.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["abbrev"]: int(row["ccode"]) for row in csv.DictReader(fh)}


def default_lexicon() -> Lexicon:
    """The lexicon shipped with the package (``data/lexicons/reassurance.toml``)."""
    return _load_cached(str(data_path("lexicons", "reassurance.toml")))


def load_lexicon(path: str | Path | Lexicon | None = None) -> Lexicon:
    """Load and validate a lexicon.

    Parameters
    ----------
    path
        The lexicon's TOML file (its entity CSV is named inside and read from the
        same folder), an already loaded :class:`Lexicon`, or None for the default.

    Returns
    -------
    Lexicon

    Raises
    ------
    MeasureError
        When a file is missing or malformed, a regular expression does not compile,
        an entity code is not a COW state, or an alias has overlapping year ranges.
    """
    if isinstance(path, Lexicon):
        return path
    if path is None:
        return default_lexicon()
    return _load_cached(str(Path(path).resolve()), _mtime(Path(path)))


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@cache
def _load_cached(path: str, _mtime_ns: int = 0) -> Lexicon:
    """Load a lexicon once per file version (the mtime only keys the cache)."""
    toml_path = Path(path)
    toml_bytes = _read_bytes(toml_path)
    try:
        spec = tomllib.loads(toml_bytes.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise MeasureError(f"lexicon {toml_path.name} is not valid UTF-8 TOML: {err}") from err
    where = toml_path.name
    for key in ("name", "version", "entities", "mentions", "rules", "cues", "conditions",
                "clauses"):
        if key not in spec:
            raise MeasureError(f"lexicon {where}: missing required key '{key}'")
    csv_path = toml_path.parent / str(spec["entities"])
    csv_bytes = _read_bytes(csv_path)
    rules = _parse_rules(spec["rules"], where)
    senses = _parse_entities(csv_bytes, csv_path.name, rules)
    mentions = spec["mentions"]
    after = "|".join(re.escape(w) for w in string_list(mentions, "capital_event_after", where))
    before = "|".join(re.escape(w) for w in string_list(mentions, "capital_event_before", where))
    return Lexicon(
        name=str(spec["name"]),
        version=str(spec["version"]),
        sha256=hashlib.sha256(toml_bytes + b"\0" + csv_bytes).hexdigest(),
        source=where,
        senses=senses,
        mention_re=re.compile(alias_pattern(senses)),
        rules=rules,
        ethnic_suffix=compile_pattern(str(mentions.get("ethnic_suffix", r"(?!)")), where, flags=0),
        capital_after=re.compile(rf"\s+(?:{after})(?!\w)" if after else r"(?!)"),
        capital_before=re.compile(rf"(?<!\w)(?:{before})\s+$" if before else r"(?!)"),
        function_words=frozenset(string_list(mentions, "function_words", where)),
        cues=parse_cues(spec, where),
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise MeasureError(f"lexicon file not found: {path}") from err
    except OSError as err:
        raise MeasureError(f"cannot read lexicon file {path}: {err.strerror}") from err


def _parse_rules(table: Mapping, where: str) -> dict[str, MentionRule]:
    rules = {}
    for name, body in table.items():
        if not isinstance(body, dict) or set(body) - _RULE_KEYS:
            unknown = sorted(set(body) - _RULE_KEYS) if isinstance(body, dict) else body
            raise MeasureError(f"lexicon {where}: [rules.{name}] has unknown keys {unknown}; "
                               f"known: {', '.join(sorted(_RULE_KEYS))}")
        context = string_list(body, "require_context", where)
        rules[name] = MentionRule(
            reject_if_preceded_by_capitalised=bool(
                body.get("reject_if_preceded_by_capitalised", False)),
            reject_if_followed_by_capitalised=bool(
                body.get("reject_if_followed_by_capitalised", False)),
            reject_if_followed_by=frozenset(string_list(body, "reject_if_followed_by", where)),
            require_context=(re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, context))
                                        + r")(?!\w)") if context else None),
        )
    return rules


def _parse_entities(raw: bytes, where: str,
                    rules: Mapping[str, MentionRule]) -> dict[str, tuple[Sense, ...]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MeasureError(f"lexicon {where} is not valid UTF-8 ({err.reason})") from err
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "alias", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise MeasureError(f"lexicon {where}: missing columns {sorted(missing)}")
    known = cow_codes()
    senses: dict[str, list[Sense]] = {}
    for row in reader:
        line = f"{where}, line {reader.line_num}"
        code, alias, kind = ((row.get(k) or "").strip() for k in ("code", "alias", "kind"))
        if not alias:
            raise MeasureError(f"lexicon {line}: empty alias")
        if code != BLOCK and not code.startswith(PSEUDO_PREFIX) and code not in known:
            raise MeasureError(f"lexicon {line}: '{code}' is not a COW state abbreviation "
                               "(see data/facts/cow_country_codes.csv)")
        if kind not in _KINDS:
            raise MeasureError(f"lexicon {line}: kind '{kind}' is not one of "
                               f"{', '.join(sorted(_KINDS))}")
        rule = (row.get("rule") or "").strip() or None
        if rule is not None and rule not in rules:
            raise MeasureError(f"lexicon {line}: rule '{rule}' is not defined in [rules]")
        first, last = (_year(row.get(k), line) for k in ("first_year", "last_year"))
        senses.setdefault(alias, []).append(Sense(code, kind, first, last, rule))
    for alias, items in senses.items():
        items.sort(key=lambda s: -10**6 if s.first_year is None else s.first_year)
        for a, b in zip(items, items[1:], strict=False):
            if a.last_year is None or b.first_year is None or b.first_year <= a.last_year:
                raise MeasureError(f"lexicon {where}: alias '{alias}' has overlapping year "
                                   f"ranges ({a.code} and {b.code})")
    if not senses:
        raise MeasureError(f"lexicon {where} has no entities")
    return {alias: tuple(items) for alias, items in senses.items()}


def _year(value: str | None, line: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as err:
        raise MeasureError(f"lexicon {line}: year '{value}' is not an integer") from err
