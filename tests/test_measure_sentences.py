"""Sentence splitting of statement text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bayes_alliance.measure import split_sentences
from bayes_alliance.measure.sentences import normalize_text, sentence_starts


def test_splits_on_terminal_punctuation_and_paragraphs():
    text = ("We will defend Japan! Will we? \"Yes.\" The end... Next one.\n\n"
            "A heading\nwithout a period\n\nLast paragraph.")
    assert split_sentences(text) == [
        "We will defend Japan!", "Will we?", '"Yes."', "The end...", "Next one.",
        "A heading\nwithout a period", "Last paragraph."]


def test_titles_initials_and_abbreviations_do_not_end_sentences():
    text = ("Mr. President, Gen. Ridgway and John F. Kennedy met at St. Louis with the "
            "U.S. Government and the U.N. delegates on Jan. 5 to discuss No. 10. It went well.")
    assert len(split_sentences(text)) == 2


def test_lowercase_after_a_period_does_not_split():
    assert len(split_sentences("The sum was 3.5 percent. e.g. this is the same one.")) == 1


def test_normalize_keeps_offsets():
    text = "Japan\u2019s \u201cally\u201d\u00a0Korea"
    assert len(normalize_text(text)) == len(text)
    assert normalize_text(text) == 'Japan\'s "ally" Korea'


def test_empty_text_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences("  \n\n ") == []


words = st.sampled_from(["We", "will", "defend", "Japan", "Mr.", "U.S.", "and", "Korea",
                         "the", "treaty", "is", "firm", "today", "A.", "J."])
sentences = st.lists(words, min_size=1, max_size=12).map(lambda ws: " ".join(ws))


@given(st.lists(sentences, min_size=1, max_size=8))
def test_starts_are_increasing_offsets_inside_the_text(parts):
    text = ". ".join(parts) + "."
    starts = sentence_starts(text)
    assert starts[0] == 0
    assert all(a < b for a, b in zip(starts, starts[1:], strict=False))
    assert all(0 <= s < len(text) for s in starts)
    assert "".join(text[a:b] for a, b in zip(starts, [*starts[1:], len(text)],
                                               strict=True)) == text
