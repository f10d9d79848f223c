"""The lexicon: loading, validation, year-dependent readings and disambiguation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure import analyse_sentence, default_lexicon, load_lexicon
from bayes_alliance.measure.allies import load_allies
from bayes_alliance.measure.lexicon import alias_pattern, cow_codes
from bayes_alliance.resources import data_path

ALLIES = frozenset(load_allies().codes)


def mentioned(text: str, year: int) -> tuple[str, ...]:
    """US treaty allies named in ``text``."""
    return tuple(c for c in analyse_sentence(text, year).mentioned if c in ALLIES)


def test_default_lexicon_is_versioned():
    lex = default_lexicon()
    assert lex.name == "us-reassurance"
    assert lex.version.count(".") == 2
    assert len(lex.sha256) == 64
    assert load_lexicon() is lex


def test_every_entity_code_is_a_cow_state_and_every_default_ally_has_an_alias():
    lex = default_lexicon()
    codes = {s.code for senses in lex.senses.values() for s in senses}
    states = {c for c in codes if c != "-" and not c.startswith("~")}
    assert states <= set(cow_codes())
    assert set(load_allies().codes) <= states


def test_alias_pattern_prefers_the_longest_alias():
    import re

    rx = re.compile(alias_pattern(["Korea", "South Korea", "Korean", "Koreans"]))
    assert [m.group() for m in rx.finditer("South Korea, Koreans and Korea.")] == [
        "South Korea", "Koreans", "Korea"]
    assert not rx.search("Koreana")


@pytest.mark.parametrize(("text", "year", "expected"), [
    ("Germany is our ally.", 1960, ("GFR",)),
    ("Germany is our ally.", 1995, ("GMY",)),
    ("Germany surrendered.", 1945, ("GMY",)),
    ("Germany is occupied.", 1947, ()),
    ("The Germans welcomed us.", 1975, ("GFR",)),
    ("The Federal Republic and Bonn agree.", 1970, ("GFR",)),
    ("West Berlin will stay free.", 1961, ("GFR",)),
    ("Korea is free.", 1951, ("ROK",)),
    ("North Korea attacked.", 1951, ()),
    ("Korea was a colony.", 1930, ()),
    ("China and Formosa.", 1958, ("TAW",)),
    ("Free China and Nationalist China.", 1955, ("TAW",)),
    ("The Republic of China on Taiwan.", 1965, ("TAW",)),
    ("The People's Republic of China.", 1975, ()),
    ("Red China and Peking.", 1960, ()),
    ("Great Britain and the U.K.", 1960, ("UKG",)),
    ("Estonia, Latvia and Lithuania.", 1960, ()),
    ("Estonia, Latvia and Lithuania.", 2004, ("EST", "LAT", "LIT")),
    ("The Czech Republic.", 1999, ("CZR",)),
])
def test_aliases_are_read_by_year(text, year, expected):
    assert mentioned(text, year) == expected


@pytest.mark.parametrize(("text", "year", "expected"), [
    ("Hamilton Jordan spoke to the press.", 1978, ()),
    ("Senator Nunn of Georgia spoke.", 1996, ()),
    ("Georgia Tech won the game.", 2000, ()),
    ("New Mexico and the Gulf of Mexico.", 1990, ()),
    ("Mexico and Canada.", 1990, ("CAN", "MEX")),
    ("Many Japanese-Americans served.", 1962, ()),
    ("The Treaty of Paris and the Tokyo Round.", 1979, ()),
    ("The Paris Peace Accords.", 1973, ()),
    ("The Warsaw Pact and the Manila Pact.", 1970, ()),
    ("The Federal Republic of Nigeria.", 1962, ()),
    ("New England and the English Channel.", 1950, ()),
    ("British Columbia.", 1970, ("CAN",)),
    ("A turkey for Thanksgiving and fine china.", 1970, ()),
])
def test_ambiguous_and_blocked_names(text, year, expected):
    assert mentioned(text, year) == expected


def test_jordan_and_georgia_as_states_in_context():
    lex = default_lexicon()
    from bayes_alliance.measure.mentions import find_mentions

    codes = [m.code for m in find_mentions("King Hussein of Jordan met Israel and Jordan.",
                                           1970, lex)]
    assert codes.count("JOR") == 2
    georgia = find_mentions("Russian troops must leave Georgia.", 2008, lex)
    assert "GRG" in [m.code for m in georgia]
    assert "GRG" not in [m.code for m in find_mentions("Georgia voted.", 2008, lex)]


def _copy_lexicon(tmp_path: Path) -> Path:
    for name in ("reassurance.toml", "entities.csv"):
        shutil.copy(data_path("lexicons", name), tmp_path / name)
    return tmp_path / "reassurance.toml"


def test_custom_lexicon_loads_from_its_folder(tmp_path):
    toml = _copy_lexicon(tmp_path)
    text = toml.read_text(encoding="utf-8").replace('version = "', 'version = "9.', 1)
    toml.write_text(text, encoding="utf-8")
    lex = load_lexicon(toml)
    assert lex.version.startswith("9.")
    assert lex.sha256 != default_lexicon().sha256


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t, c: (t.replace("'unwavering',", "'unwavering(',", 1), c),
     "bad regular expression"),
    (lambda t, c: (t, c + "XYZ,Nowhere,name,,,,\n"), "not a COW state"),
    (lambda t, c: (t, c + "JPN,Japan,name,1950,1960,,\n"), "overlapping year ranges"),
    (lambda t, c: (t, c + "JPN,Nippon,name,,,nosuchrule,\n"), "not defined in [rules]"),
    (lambda t, c: (t, c + "JPN,Nippon,name,19x0,,,\n"), "not an integer"),
    (lambda t, c: (t.replace('entities = "entities.csv"', 'entities = "missing.csv"'), c),
     "not found"),
    (lambda t, c: (t.replace("[cues]", "[cues", 1), c), "TOML"),
])
def test_bad_lexicons_raise_clear_errors(tmp_path, edit, message):
    toml = _copy_lexicon(tmp_path)
    entities = tmp_path / "entities.csv"
    text, rows = edit(toml.read_text(encoding="utf-8"), entities.read_text(encoding="utf-8"))
    toml.write_text(text, encoding="utf-8")
    entities.write_text(rows, encoding="utf-8")
    with pytest.raises(MeasureError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_lexicon(toml)
