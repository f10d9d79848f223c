"""Speaker attribution: only the sitting president's own words are read."""

from __future__ import annotations

import datetime as dt

from bayes_alliance.measure.corpus import Document
from bayes_alliance.measure.speakers import load_presidents, president_turns, sitting


def spoken(date: str, speaker: str, text: str, title: str = "") -> list[str]:
    doc = Document("d", dt.date.fromisoformat(date), text, "d", speaker, title)
    return [text[t.start:t.end].strip() for t in president_turns(doc, text)]


def test_presidents_in_office():
    assert [p.name for p in sitting(dt.date(1977, 3, 9))] == ["Jimmy Carter"]
    # both on an inauguration day
    assert [p.name for p in sitting(dt.date(1961, 1, 20))] == ["Dwight D. Eisenhower",
                                                               "John F. Kennedy"]
    assert len(load_presidents()) >= 45


def test_campaign_speeches_of_candidates_are_not_read():
    assert spoken("1960-09-12", "John F. Kennedy", "We will defend Formosa.") == []
    assert spoken("1962-09-12", "John F. Kennedy", "We will defend Formosa.") == [
        "We will defend Formosa."]
    # a corpus without a speaker field is read as the president's
    assert spoken("1962-09-12", "", "We will defend Formosa.") == ["We will defend Formosa."]


def test_press_conference_keeps_the_presidents_answers():
    text = ("THE PRESIDENT. Good afternoon.\n\nQ. Mr. President, will you defend Korea?\n\n"
            "THE PRESIDENT. We will defend Japan.\n\nAnd we will stay there.")
    assert spoken("1967-08-18", "Lyndon B. Johnson", text, "press conference") == [
        "Good afternoon.", "We will defend Japan.\n\nAnd we will stay there."]


def test_unlabelled_answers_after_questions_are_the_presidents():
    text = "Thank you.\n\nQ: Will you defend Korea?\n\nWe will defend Korea."
    assert spoken("2020-08-08", "Donald Trump", text, "press conference") == [
        "Thank you.", "We will defend Korea."]


def test_debates_keep_only_the_sitting_president():
    text = ("Good evening, I am the moderator.\n\nMR. FRANKEL. Governor, a question.\n\n"
            "MR. CARTER. We will defend Korea.\n\nTHE PRESIDENT. We will defend Taiwan.\n\n"
            "MR. FRANKEL. Thank you.")
    # Ford was president in October 1976; the corpus files the debate under Carter
    assert spoken("1976-10-06", "Jimmy Carter", text, "debate") == ["We will defend Taiwan."]
    candidates = "MR. KENNEDY: We will defend Formosa.\n\nMR. NIXON: So will we."
    assert spoken("1960-10-07", "John F. Kennedy", candidates, "debate") == []


def test_headings_and_section_numbers_are_not_speakers():
    text = "I. Taxes: we cut them.\n\nII. Defense: we will defend Japan.\n\nFirst: more."
    assert spoken("1961-04-20", "John F. Kennedy", text) == [text]
