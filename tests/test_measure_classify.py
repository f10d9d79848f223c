"""The reassurance classifier: hard cases and agreement with hand labels.

The labelled sentences were written for this package in the style of US
presidential and State Department statements, 1950-2010. A sentence has one row
per US treaty ally it names (label 1 when it reassures that ally); a sentence
naming none has one row with an empty ally.

Annotation rule: label 1 when the sentence, spoken for the United States,
expresses or affirms a US commitment to the security or defence of the ally (or
to the alliance with it), and neither negates it, makes it conditional on the
ally's own effort or conduct, asks it as a question, nor reports it only as
someone's doubt. Commitments of the ally itself, and commitments to states that
are not US treaty allies, are 0 for the ally named alongside.

* ``reassurance_sentences.csv``: the development set the rules were built on.
* ``reassurance_heldout.csv``: sentences written after freezing the lexicon
  version in ``frozen_at``, in three batches (1.0.0, 1.1.0, 1.2.0). Each batch was
  held out for that version only; the errors found on it then shaped the next
  version (see ``data/lexicons/CHANGELOG.md``). The 1.2.0 batch is the honest
  estimate for the shipped lexicon (1.2.1 changed entities only); its recall
  (about 0.55) shows what a dictionary misses on paraphrase, and is guarded here
  as a floor against regressions.

The three classes (unconditional, conditional, pressure) and the estimate on
real corpus sentences are tested in ``test_measure_evaluation.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure import analyse_sentence, evaluate_labels, load_allies

FIXTURES = Path(__file__).parent / "fixtures"
DEV = FIXTURES / "reassurance_sentences.csv"
HELDOUT = FIXTURES / "reassurance_heldout.csv"


ALLIES = frozenset(load_allies().codes)


def reassured(text: str, year: int) -> tuple[str, ...]:
    """US treaty allies that ``text`` reassures."""
    return tuple(c for c in analyse_sentence(text, year).reassured if c in ALLIES)


@pytest.mark.parametrize(("text", "year", "expected"), [
    # plain commitments
    ("Our commitment to the defense of Japan is unshakable.", 1983, ("JPN",)),
    ("An attack on Norway would be an attack on us all.", 1960, ("NOR",)),
    ("We will honor our pledge to Belgium, the Netherlands and Luxembourg.", 1968,
     ("BEL", "LUX", "NTH")),
    # negation, double negation, reversal
    ("We will never abandon the Republic of Korea.", 1976, ("ROK",)),
    ("We cannot and will not guarantee the security of Thailand.", 1971, ()),
    ("There should be no doubt that we will defend Korea.", 1977, ("ROK",)),
    ("Our commitment to Korea is under review.", 1977, ()),
    ("Our commitment to Korea will not change.", 1977, ("ROK",)),
    ("We will not commit American troops to the defense of Pakistan.", 1966, ()),
    # conditions
    ("If Japan is attacked, we will defend it.", 1986, ("JPN",)),
    ("We will stay in Korea only as long as the Koreans pay their share.", 1990, ()),
    ("Unless Germany pays more, we will reconsider our commitment.", 1971, ()),
    # threats and questions
    ("We may have to withdraw our forces from Germany.", 1971, ()),
    ("Will the United States still defend Korea?", 1977, ()),
    # ownership and targets
    ("Japan has pledged to increase its defense spending.", 1981, ()),
    ("Together with Britain and France, we pledge to defend Kuwait.", 1990, ()),
    ("We will defend Israel, and we discussed trade with Japan.", 1985, ()),
    ("We reaffirm our obligations under the treaty with the Philippines.", 1966, ("PHI",)),
    ("If Turkey is attacked, we will meet our obligations under NATO.", 1962, ("TUR",)),
    ("Poland and Romania sent troops, and we will stand by them.", 2005, ("POL", "ROM")),
    # generic commitment words need a security context or a direct object
    ("Our commitment to democracy is tested in Cuba.", 2003, ()),
    # disaster relief is not a security commitment (real-sentence protocol, lexicon 2.1)
    ("We pledge our help to Pakistan after the floods.", 2010, ()),
    ("We pledge our help to Pakistan.", 2010, ("PAK",)),
    ("After the visit to Pakistan, we pledged our help.", 2010, ()),
])
def test_hard_cases(text, year, expected):
    assert reassured(text, year) == expected


@pytest.mark.parametrize(("text", "year", "code", "label"), [
    ("We will stay in Korea only as long as the Koreans pay their share.", 1990, "ROK",
     "conditional"),
    ("We will defend Japan, and Japan must do more for its own defense.", 1985, "JPN",
     "conditional"),
    ("Unless Germany pays more, we will reconsider our commitment.", 1971, "GFR", "pressure"),
    ("We have reduced American forces in Japan and Korea.", 1971, "ROK", "pressure"),
    ("Japan must assume a greater share of the burden of its defense.", 1981, "JPN",
     "pressure"),
    ("If we withdraw our forces from Korea, war will follow.", 1977, "ROK", "neutral"),
    ("The withdrawal of Soviet forces from Hungary is overdue.", 1957, "HUN", "neutral"),
    ("Our commitment to the defense of Japan is unshakable.", 1983, "JPN", "unconditional"),
    ("It costs us hundreds of millions of dollars to keep our troops in Germany.", 1961, "GFR",
     "neutral"),
    ("Many applauded our decision to defend Korea.", 1951, "ROK", "neutral"),
    ("We will not eliminate or forget our obligation to the people of Taiwan.", 1976, "TAW",
     "unconditional"),
    ("Will the United States still defend Korea?", 1977, "ROK", "neutral"),
])
def test_classes(text, year, code, label):
    result = analyse_sentence(text, year)
    assert result.label(code) == label, result.decisions


def test_decisions_name_the_cue():
    result = analyse_sentence("We will never abandon the Republic of Korea.", 1976)
    assert result.decisions["ROK"].cue == "abandon"


def test_development_set_meets_the_targets():
    scores = evaluate_labels(DEV)
    assert scores.n_sentences >= 150
    assert scores.precision > 0.85, scores.errors
    assert scores.recall > 0.75, scores.errors
    assert scores.mention_precision == scores.mention_recall == 1.0


def test_development_set_covers_the_hard_cases():
    cases = set(pd.read_csv(DEV)["case"])
    assert {"negation", "conditional", "threat", "no_commitment", "non_ally", "multi_ally",
            "ambiguous", "ally_subject", "question"} <= cases


def test_heldout_sentences_are_not_in_the_development_set():
    dev = set(pd.read_csv(DEV)["text"])
    held = set(pd.read_csv(HELDOUT)["text"])
    assert not dev & held


def test_heldout_batches():
    """The written batches guard against regressions; the honest estimate is the real set.

    Since lexicon 2.0.0 the rules are tuned on real corpus sentences and scored on
    a held-out part of them (``tests/test_measure_evaluation.py``); the written
    batches stay as a floor.
    """
    frame = pd.read_csv(HELDOUT, dtype={"ally": str}, keep_default_na=False)
    pooled = evaluate_labels(frame)
    assert pooled.precision > 0.85 and pooled.recall > 0.75, pooled.errors
    latest = frame[frame["frozen_at"] == "1.2.0"]
    scores = evaluate_labels(latest)
    assert scores.precision > 0.85, scores.errors
    assert scores.recall > 0.5, scores.errors


def test_evaluate_requires_columns():
    with pytest.raises(MeasureError, match="lack column"):
        evaluate_labels(pd.DataFrame({"text": ["x"]}))
