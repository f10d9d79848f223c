r"""Precision and recall of the statement classifier on hand-labelled sentences.

Scores are over (sentence, ally) pairs. Each class ``c`` is scored one against
the rest: precision ``TP / (TP + FP)`` and recall ``TP / (TP + FN)``, each with
a 95% Wilson score interval

.. math::

    \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n},
    \qquad z = 1.96,

(``n`` the denominator; ``[0, 1]`` when it is 0). Run
``python -m bayes_alliance.measure.evaluate LABELS.csv --split heldout`` for a JSON
report.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_alliance.errors import MeasureError
from bayes_alliance.io import sha256_file, write_text_atomic
from bayes_alliance.measure.allies import load_allies
from bayes_alliance.measure.classify import CLASSES, analyse_sentence
from bayes_alliance.measure.lexicon import Lexicon, load_lexicon

__all__ = ["ClassScore", "Scores", "evaluate_labels", "main", "performance_report", "wilson"]

_REQUIRED = ("sid", "year", "text", "ally", "label")
LABELS = (*CLASSES, "neutral")
_BINARY = {"1": "unconditional", "0": "neutral"}


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (``(0, 1)`` when ``n`` is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True, slots=True)
class ClassScore:
    """One class scored against the rest, with 95% Wilson intervals."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    precision: float
    precision_ci: tuple[float, float]
    recall: float
    recall_ci: tuple[float, float]
    false_positive_rate: float
    false_positive_rate_ci: tuple[float, float]

    @classmethod
    def count(cls, tp: int, fp: int, fn: int, tn: int) -> ClassScore:
        """Scores from the counts (an empty denominator scores 1.0 with interval [0, 1]).

        The false-positive rate is ``FP / (FP + TN)``: the share of pairs of
        another class that the classifier puts in this one.
        """
        return cls(tp, fp, fn, tn, tp / (tp + fp) if tp + fp else 1.0, wilson(tp, tp + fp),
                   tp / (tp + fn) if tp + fn else 1.0, wilson(tp, tp + fn),
                   fp / (fp + tn) if fp + tn else 0.0, wilson(fp, fp + tn))


@dataclass(frozen=True, slots=True)
class Scores:
    """Agreement of the classifier with hand labels, over (sentence, ally) pairs.

    ``precision``/``recall``/``f1`` and the counts score unconditional
    reassurance; ``classes`` scores every class, ``confusion`` counts pairs by
    ``confusion[gold][predicted]``, ``by_decade`` scores every class per decade,
    and ``mention_precision``/``mention_recall`` score which allies a sentence
    names.
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
    classes: dict[str, ClassScore] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    by_decade: dict[str, dict[str, ClassScore]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON)."""
        return asdict(self)


def _gold_label(value: object, where: str) -> str:
    text = str(value).strip()
    label = _BINARY.get(text, text)
    if label not in LABELS:
        raise MeasureError(f"{where}: label {text!r} is not one of {', '.join(LABELS)} (or 1/0)")
    return label


def _scores(pairs: Sequence[tuple[str, str]]) -> dict[str, ClassScore]:
    """Per-class scores from (gold, predicted) pairs."""
    out = {}
    for c in CLASSES:
        tp = sum(g == p == c for g, p in pairs)
        fp = sum(p == c and g != c for g, p in pairs)
        fn = sum(g == c and p != c for g, p in pairs)
        out[c] = ClassScore.count(tp, fp, fn, len(pairs) - tp - fp - fn)
    return out


def evaluate_labels(labels: str | Path | pd.DataFrame, *, lexicon: str | Path | Lexicon | None
                    = None, allies: Any = None, split: str | None = None) -> Scores:
    """Score the classifier against a labelled sentence file.

    Parameters
    ----------
    labels
        CSV path or frame with columns ``sid`` (sentence id), ``year``, ``text``,
        ``ally`` (COW abbreviation of an ally the sentence names; empty when it
        names none) and ``label`` (``unconditional``, ``conditional``,
        ``pressure`` or ``neutral``; ``1``/``0`` read as unconditional/neutral).
        A sentence naming several allies has one row per ally. An optional
        ``decade`` column groups ``by_decade`` (else the decade of ``year``).
    lexicon
        Lexicon to evaluate (default: the shipped one).
    allies
        Ally set that defines which mentions count (default: US treaty allies).
    split
        Keep only rows whose ``split`` column equals this (e.g. ``heldout``).

    Returns
    -------
    Scores
    """
    frame = pd.read_csv(labels, dtype={"ally": str, "label": str}, keep_default_na=False) \
        if not isinstance(labels, pd.DataFrame) else labels
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise MeasureError(f"labelled sentences lack column(s): {', '.join(missing)}")
    if split is not None:
        if "split" not in frame.columns:
            raise MeasureError("labelled sentences have no 'split' column to select "
                               f"'{split}' from")
        frame = frame[frame["split"] == split]
    lex = load_lexicon(lexicon)
    wanted = set(load_allies(allies).codes)
    gold_named: set[tuple[str, str]] = set()
    named: set[tuple[str, str]] = set()
    pairs: list[tuple[str, str, str]] = []  # gold, predicted, decade
    errors = []
    for sid, group in frame.groupby("sid", sort=False):
        first = group.iloc[0]
        year = int(first["year"])
        decade = str(first["decade"]) if "decade" in group else str(year // 10 * 10)
        result = analyse_sentence(str(first["text"]), year, lexicon=lex)
        key = str(sid)
        gold: dict[str, str] = {}
        for _, row in group.iterrows():
            ally = str(row["ally"]).strip()
            if ally:
                gold[ally] = _gold_label(row["label"], f"sentence {sid}, ally {ally}")
                gold_named.add((key, ally))
        named |= {(key, c) for c in result.mentioned if c in wanted}
        predicted = {c: result.label(c) for c in result.decisions if c in wanted}
        for ally in sorted(set(gold) | set(predicted)):
            g, p = gold.get(ally, "neutral"), predicted.get(ally, "neutral")
            pairs.append((g, p, decade))
            if g != p:
                cue = result.decisions[ally].cue if ally in result.decisions else ""
                errors.append(f"gold {g}, predicted {p} [{cue}]: [{sid}] {ally} {year}: "
                              f"{first['text']}")
    classes = _scores([(g, p) for g, p, _ in pairs])
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for (g, p), n in Counter((g, p) for g, p, _ in pairs).items():
        confusion[g][p] = n
    by_decade = {d: _scores([(g, p) for g, p, dd in pairs if dd == d])
                 for d in sorted({d for _, _, d in pairs})}
    main = classes["unconditional"]
    f1 = 2 * main.precision * main.recall / (main.precision + main.recall) \
        if main.precision + main.recall else 0.0
    return Scores(
        n_sentences=int(frame["sid"].nunique()), n_pairs=len(gold_named),
        true_positives=main.true_positives, false_positives=main.false_positives,
        false_negatives=main.false_negatives, precision=main.precision, recall=main.recall,
        f1=f1,
        mention_precision=len(named & gold_named) / len(named) if named else 1.0,
        mention_recall=len(named & gold_named) / len(gold_named) if gold_named else 1.0,
        errors=tuple(errors), classes=classes, confusion=confusion, by_decade=by_decade,
    )


def performance_report(labels: str | Path, *, split: str | None = "heldout") -> dict[str, Any]:
    """The scores a model can read: per class overall and per word stratum, and provenance.

    ``by_stratum`` scores the rows of each ``commitment_words`` value (0: no
    commitment-related word; 1 and 2: with one) so that the rates can be
    reweighted to the corpus, where sentences without such words dominate.
    """
    path = Path(labels)
    frame = pd.read_csv(path, dtype={"ally": str, "label": str}, keep_default_na=False)
    scores = evaluate_labels(frame, split=split)
    report = scores.to_dict()
    report.pop("errors")
    report["by_stratum"] = {}
    if "commitment_words" in frame.columns:
        chosen = frame if split is None else frame[frame["split"] == split]
        for name, rows in (("no_commitment_words", chosen["commitment_words"] == 0),
                           ("commitment_words", chosen["commitment_words"] > 0)):
            report["by_stratum"][name] = asdict(evaluate_labels(chosen[rows]))["classes"]
    return {"labels": path.name, "labels_sha256": sha256_file(path), "split": split or "all",
            "lexicon_version": load_lexicon(None).version, **report}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: score a labelled file and print (or write) the JSON report."""
    parser = argparse.ArgumentParser(description="Score the statement classifier.")
    parser.add_argument("labels", type=Path)
    parser.add_argument("--split", default=None, help="dev, heldout or (default) all rows")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    parser.add_argument("--errors", action="store_true", help="print the disagreements")
    args = parser.parse_args(argv)
    report = performance_report(args.labels, split=args.split)
    text = json.dumps(report, indent=2) + "\n"
    if args.out is not None:
        write_text_atomic(args.out, text, force=True)
    else:
        print(text, end="")
    if args.errors:
        print("\n".join(evaluate_labels(args.labels, split=args.split).errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
