"""The real-sentence evaluation set: its draw, its labels and the committed scores.

``data/lexicons/evaluation_sentences.csv`` holds sentences from the speeches corpus
(short quotations from public-domain presidential speeches), drawn by
``bayes_alliance.measure.sample`` and labelled blind under
``data/lexicons/labelling.md``. Lexicon 2.0.0 was tuned on ``dev`` and scored on
``heldout``; lexicon 2.1.0 was tuned on both and is scored on the fresh
``heldout2`` draw, committed in ``classifier_performance.json``.
These tests guard the set's form and keep the committed numbers regenerable; they
do not ask the classifier to meet the issue's targets, which it misses (see
``data/lexicons/README.md``).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bayes_alliance.measure import load_lexicon
from bayes_alliance.measure.allies import load_allies
from bayes_alliance.measure.corpus import read_corpus
from bayes_alliance.measure.evaluate import LABELS, evaluate_labels, performance_report, wilson
from bayes_alliance.measure.sample import draw_fresh, draw_sample, draw_supplement
from bayes_alliance.measure.statements import ally_sentences
from bayes_alliance.resources import data_path

LABELLED = data_path("lexicons", "evaluation_sentences.csv")
PERFORMANCE = data_path("lexicons", "classifier_performance.json")


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return pd.read_csv(LABELLED, dtype={"ally": str, "label": str}, keep_default_na=False)


def test_wilson_interval():
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_the_set_is_large_split_and_fully_labelled(labelled):
    sentences = labelled.drop_duplicates("sid")
    assert len(sentences) >= 400
    assert set(labelled["label"]) <= set(LABELS)
    assert set(labelled["split"]) == {"dev", "heldout", "heldout2"}
    # a sentence is in one part only, with one row per ally it names
    assert (labelled.groupby("sid")["split"].nunique() == 1).all()
    assert not labelled.duplicated(["sid", "ally"]).any()
    assert set(labelled["ally"]) <= set(load_allies().codes)
    # every decade of the panel is in both parts
    assert set(sentences.loc[sentences["split"] == "heldout", "decade"]) == set(range(1950, 2001,
                                                                                     10))
    assert (sentences["split"] == "heldout").sum() >= 300
    assert data_path("lexicons", "labelling.md").is_file()


def test_committed_scores_are_the_current_heldout_scores():
    committed = json.loads(PERFORMANCE.read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(performance_report(LABELLED, split="heldout2")))
    assert committed["lexicon_version"] == load_lexicon(None).version


def test_scores_add_up(labelled):
    scores = evaluate_labels(labelled, split="heldout2")
    unconditional = scores.classes["unconditional"]
    assert sum(scores.confusion["unconditional"].values()) == \
        unconditional.true_positives + unconditional.false_negatives
    assert sum(sum(row.values()) for row in scores.confusion.values()) == scores.n_pairs
    assert sum(c["unconditional"].true_positives for c in scores.by_decade.values()) == \
        unconditional.true_positives
    assert scores.mention_precision == scores.mention_recall == 1.0


@pytest.mark.shared_data
def test_the_draw_is_reproducible(labelled, shared_data_dir):
    path = shared_data_dir / "speeches.jsonl"
    if not path.is_file():
        pytest.skip("speeches.jsonl not in the shared data folder")
    sentences = list(ally_sentences(read_corpus(path), frozenset(load_allies().codes),
                                    load_lexicon(None)))
    first = draw_sample(sentences)
    drawn = pd.concat([first, draw_supplement(sentences, set(first["text"]))])
    drawn = pd.concat([drawn, draw_fresh(sentences, set(drawn["text"]))])
    committed = labelled.drop_duplicates("sid")
    columns = ["sid", "split", "decade", "commitment_words", "doc_id", "date", "text"]
    assert drawn[columns].reset_index(drop=True).equals(
        committed[columns].reset_index(drop=True))
