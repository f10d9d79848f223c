"""Measuring the real corpus of US presidential speeches in ../shared/data (never copied)."""

from __future__ import annotations

import pytest

from bayes_alliance.measure import measure_corpus

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def speeches(shared_data_dir):
    path = shared_data_dir / "speeches.jsonl"
    if not path.is_file():
        pytest.skip("speeches.jsonl not in the shared data folder")
    return measure_corpus(path)


def test_corpus_metadata(speeches):
    meta = speeches.meta
    assert meta["n_documents"] == 1010
    assert meta["corpus_sha256"] == (
        "2f426e089b8a1d23c5d8ec76b17833d8b8de02e6c12106cd9859cbfce232f158")
    assert meta["n_sentences"] > 100_000
    assert meta["n_repeats"] > 0


def test_counts_are_well_formed(speeches):
    counts = speeches.counts
    classes = counts[["reassure", "reassure_conditional", "pressure"]].sum(axis=1)
    assert (classes <= counts["exposure"]).all()
    assert (counts["exposure"] >= 1).all()
    assert not counts.duplicated(["ally", "year"]).any()


def test_plausible_patterns(speeches):
    counts = speeches.counts
    panel = counts[counts["year"].between(1950, 2010)]
    by_ally = panel.groupby("ally")["exposure"].sum().sort_values(ascending=False)
    assert {"UKG", "JPN"} <= set(by_ally.index[:10])
    korea = panel[panel["ally"] == "ROK"].set_index("year")["exposure"]
    assert 1950 <= korea.idxmax() <= 1953
    # West Germany only before unification, unified Germany only after
    assert panel.loc[panel["ally"] == "GFR", "year"].max() <= 1990
    assert panel.loc[panel["ally"] == "GMY", "year"].min() >= 1991
    # the Quemoy-Matsu debates of 1960 were between candidates, not the sitting president
    taiwan = panel[panel["ally"] == "TAW"].set_index("year")
    assert 1960 not in taiwan.index or taiwan.loc[1960, "reassure"] == 0
    # Kennedy's Berlin pledges of 1961
    berlin = panel[panel["ally"] == "GFR"].set_index("year")
    assert berlin.loc[1961, "reassure"] >= 3
