"""Precision and recall of the reassurance classifier on hand-labelled sentences."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure.allies import load_allies
from bayes_alliance.measure.classify import analyse_sentence
from bayes_alliance.measure.lexicon import Lexicon, load_lexicon

__all__ = ["Scores", "evaluate_labels"]

_REQUIRED = ("sid", "year", "text", "ally", "label")


@dataclass(frozen=True, slots=True)
class Scores:
    """Agreement of the classifier with hand labels, over (sentence, ally) pairs.

    ``precision``/``recall`` score reassurance (label 1); ``mention_precision`` and
    ``mention_recall`` score which allies a sentence names (every labelled row).
    """

    n_sentences: int
    n_pairs: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    mention_precision: float
    mention_recall: float
    errors: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON)."""
        return asdict(self)


def evaluate_labels(labels: str | Path | pd.DataFrame, *, lexicon: str | Path | Lexicon | None
                    = None, allies: Any = None) -> Scores:
    """Score the classifier against a labelled sentence file.

    Parameters
    ----------
    labels
        CSV path or frame with columns ``sid`` (sentence id), ``year``, ``text``,
        ``ally`` (COW abbreviation of an ally the sentence names; empty when it
        names none) and ``label`` (1 when the sentence reassures that ally). A
        sentence naming several allies has one row per ally.
    lexicon
        Lexicon to evaluate (default: the shipped one).
    allies
        Ally set that defines which mentions count (default: US treaty allies).

    Returns
    -------
    Scores
        Precision, recall and F1 over (sentence, ally) pairs, mention precision and
        recall, and one line per disagreement in ``errors``.
    """
    frame = pd.read_csv(labels, dtype={"ally": str}, keep_default_na=False) \
        if not isinstance(labels, pd.DataFrame) else labels
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise MeasureError(f"labelled sentences lack column(s): {', '.join(missing)}")
    lex = load_lexicon(lexicon)
    wanted = set(load_allies(allies).codes)
    gold_named: set[tuple[str, str]] = set()
    gold_yes: set[tuple[str, str]] = set()
    named: set[tuple[str, str]] = set()
    yes: set[tuple[str, str]] = set()
    errors = []
    for sid, group in frame.groupby("sid", sort=False):
        first = group.iloc[0]
        result = analyse_sentence(str(first["text"]), int(first["year"]), lexicon=lex)
        key = str(sid)
        for _, row in group.iterrows():
            ally = str(row["ally"]).strip()
            if ally:
                gold_named.add((key, ally))
                if int(row["label"]) == 1:
                    gold_yes.add((key, ally))
        named |= {(key, c) for c in result.mentioned if c in wanted}
        yes |= {(key, c) for c in result.reassured if c in wanted}
        for pair in sorted((yes ^ gold_yes) & {(key, c) for c in wanted}):
            kind = "missed" if pair in gold_yes else "false alarm"
            errors.append(f"{kind}: [{sid}] {pair[1]} {first['year']}: {first['text']}")
    tp, fp, fn = len(yes & gold_yes), len(yes - gold_yes), len(gold_yes - yes)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        n_sentences=int(frame["sid"].nunique()), n_pairs=len(gold_named), true_positives=tp,
        false_positives=fp, false_negatives=fn, precision=precision, recall=recall, f1=f1,
        mention_precision=len(named & gold_named) / len(named) if named else 1.0,
        mention_recall=len(named & gold_named) / len(gold_named) if gold_named else 1.0,
        errors=tuple(errors),
    )
