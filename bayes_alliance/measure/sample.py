"""Draw the evaluation sentences: a seeded, stratified random sample of real ally sentences.

Population: every sentence the measure reads (the sitting president's own words,
repeats left out, see :mod:`~bayes_alliance.measure.statements`) that names an
ally, in the panel's years ``first_year``..``last_year``. Strata: decade (the
last year joins the decade before it, so 2010 is in "2000s") crossed with
whether the sentence holds a commitment-related word (:data:`COMMITMENT_WORDS`,
a broad list that is not the classifier's cue list). Each decade gets an equal
share of ``n``, split equally between the two word strata; a stratum with too
few sentences gives its remainder to the other stratum of its decade. Within a
stratum sentences are drawn without replacement by ``random.Random(seed)``,
and the first ``dev_share`` of each stratum's draw (rounded down) is the
development part; the rest is held out. The split is fixed by the draw, before
any sentence is labelled.

A supplementary draw (:func:`draw_supplement`, seed 20261203) then adds
``supplement`` sentences with a narrower list of commitment, force-posture and
burden words (:data:`STRONG_WORDS`; stratum ``commitment_words = 2``), equal
shares per decade, split the same way: the first draw holds too few positive
sentences for useful intervals.

A third, fresh draw (:func:`draw_fresh`, seed 20261204) is the held-out set of
lexicon 2.1, which was tuned on the first two: every remaining sentence of
1945-2020 with a commitment-related word and 100 without one (split
``heldout2``).

Run ``python -m bayes_alliance.measure.sample --corpus speeches.jsonl --out draw.csv``.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from bayes_alliance.io import write_with
from bayes_alliance.measure.allies import load_allies
from bayes_alliance.measure.corpus import read_corpus
from bayes_alliance.measure.lexicon import load_lexicon
from bayes_alliance.measure.statements import AllySentence, ally_sentences

__all__ = ["COMMITMENT_WORDS", "draw_sample", "main"]

#: words that make a sentence "commitment-related" for stratification
COMMITMENT_WORDS = re.compile(
    r"\b(?:defen[cs]e|defend\w*|commit\w*|pledg\w*|treat(?:y|ies)|allian\w*|all(?:y|ies)|"
    r"securit\w*|troops?|forces|guarant\w*|protect\w*|stand\s+(?:by|with|behind)|abandon\w*|"
    r"withdr[ae]w\w*|burden\w*|obligat\w*|assur\w*|reassur\w*|militar\w*|deter\w*|attack\w*|"
    r"aggress\w*|share\s+of|pay\s+(?:more|for))\b", re.IGNORECASE)
#: the narrower word list of the supplementary draw (commitment, force posture, burden)
STRONG_WORDS = re.compile(
    r"\b(?:commit\w*|defen[cs]e\s+of|defend\w*|pledg\w*|treat(?:y|ies)|allian\w*|obligat\w*|"
    r"guarant\w*|troops|forces|withdr[ae]w\w*|burden\w*|abandon\w*|security|"
    r"stand\s+(?:by|with|behind)|protect\w*|share\s+of)\b", re.IGNORECASE)
COLUMNS = ("sid", "split", "decade", "commitment_words", "doc_id", "date", "speaker", "allies",
           "text")


def _decade(year: int, last_year: int) -> int:
    return (min(year, last_year - 1) // 10) * 10


def draw_sample(sentences: Sequence[AllySentence], *, n: int = 440, seed: int = 20261202,
                dev_share: float = 0.4, first_year: int = 1950, last_year: int = 2010
                ) -> pd.DataFrame:
    """The stratified draw, one row per sentence (columns :data:`COLUMNS`), in draw order."""
    strata: dict[tuple[int, bool], list[AllySentence]] = defaultdict(list)
    for s in sentences:
        if first_year <= s.doc.year <= last_year:
            key = (_decade(s.doc.year, last_year), bool(COMMITMENT_WORDS.search(s.text)))
            strata[key].append(s)
    decades = sorted({d for d, _ in strata})
    rng = random.Random(seed)
    rows = []
    per_decade = n // len(decades)
    for decade in decades:
        pools = {flag: strata.get((decade, flag), []) for flag in (True, False)}
        want = {True: per_decade - per_decade // 2, False: per_decade // 2}
        for flag, other in ((True, False), (False, True)):
            spare = want[flag] - len(pools[flag])
            if spare > 0:
                want[flag] -= spare
                want[other] += spare
        for flag in (True, False):
            drawn = rng.sample(pools[flag], min(want[flag], len(pools[flag])))
            n_dev = int(len(drawn) * dev_share)
            for k, s in enumerate(drawn):
                rows.append({"split": "dev" if k < n_dev else "heldout", "decade": decade,
                             "commitment_words": int(flag), "doc_id": s.doc.doc_id,
                             "date": s.doc.date.isoformat(), "speaker": s.speaker,
                             "allies": " ".join(s.allies), "text": s.text})
    frame = pd.DataFrame(rows, columns=list(COLUMNS[1:]))
    frame.insert(0, "sid", [f"s{i:03d}" for i in range(1, len(frame) + 1)])
    return frame


def _allocate(sizes: dict[int, int], n: int) -> dict[int, int]:
    """Equal shares of ``n`` per stratum; what a small stratum cannot take goes to the others."""
    quota = dict.fromkeys(sizes, 0)
    left = min(n, sum(sizes.values()))
    while left > 0:
        open_ = sorted(k for k in sizes if quota[k] < sizes[k])
        share = max(1, left // len(open_))
        for k in open_:
            take = min(share, sizes[k] - quota[k], left)
            quota[k] += take
            left -= take
    return quota


def draw_supplement(sentences: Sequence[AllySentence], exclude: set[str], *, n: int = 120,
                    seed: int = 20261203, dev_share: float = 0.4, first_year: int = 1950,
                    last_year: int = 2010) -> pd.DataFrame:
    """A second draw that adds sentences with :data:`STRONG_WORDS`, equal shares per decade.

    A decade with fewer sentences than its share gives them all and passes the
    rest of its share to the other decades.

    Sentences whose text is in ``exclude`` (the first draw) are left out; rows are
    numbered ``t001``, ... and split like :func:`draw_sample`.
    """
    by_decade: dict[int, list[AllySentence]] = defaultdict(list)
    for s in sentences:
        if first_year <= s.doc.year <= last_year and s.text not in exclude \
                and STRONG_WORDS.search(s.text):
            by_decade[_decade(s.doc.year, last_year)].append(s)
    rng = random.Random(seed)
    rows = []
    quota = _allocate({d: len(v) for d, v in by_decade.items()}, n)
    for decade in sorted(by_decade):
        drawn = rng.sample(by_decade[decade], quota[decade])
        n_dev = int(len(drawn) * dev_share)
        for k, s in enumerate(drawn):
            rows.append({"split": "dev" if k < n_dev else "heldout", "decade": decade,
                         "commitment_words": 2, "doc_id": s.doc.doc_id,
                         "date": s.doc.date.isoformat(), "speaker": s.speaker,
                         "allies": " ".join(s.allies), "text": s.text})
    frame = pd.DataFrame(rows, columns=list(COLUMNS[1:]))
    frame.insert(0, "sid", [f"t{i:03d}" for i in range(1, len(frame) + 1)])
    return frame


def draw_fresh(sentences: Sequence[AllySentence], exclude: set[str], *, n_other: int = 100,
               seed: int = 20261204, first_year: int = 1945, last_year: int = 2020
               ) -> pd.DataFrame:
    """A fresh held-out set for a lexicon tuned on the first two draws (split ``heldout2``).

    All sentences of ``first_year``..``last_year`` not in ``exclude`` that hold a
    :data:`COMMITMENT_WORDS` word (stratum 1), and ``n_other`` of those without one
    (stratum 0), in equal shares per decade (:func:`_allocate`), drawn by
    ``random.Random(seed)``; rows are numbered ``u001``, ... .
    """
    pools: dict[tuple[int, bool], list[AllySentence]] = defaultdict(list)
    for s in sentences:
        if first_year <= s.doc.year <= last_year and s.text not in exclude:
            pools[(s.doc.year // 10) * 10, bool(COMMITMENT_WORDS.search(s.text))].append(s)
    rng = random.Random(seed)
    quota = _allocate({d: len(v) for (d, flag), v in pools.items() if not flag}, n_other)
    rows = []
    for (decade, flag) in sorted(pools, key=lambda k: (not k[1], k[0])):
        pool = pools[decade, flag]
        drawn = pool if flag else rng.sample(pool, quota[decade])
        for s in drawn:
            rows.append({"split": "heldout2", "decade": decade, "commitment_words": int(flag),
                         "doc_id": s.doc.doc_id, "date": s.doc.date.isoformat(),
                         "speaker": s.speaker, "allies": " ".join(s.allies), "text": s.text})
    frame = pd.DataFrame(rows, columns=list(COLUMNS[1:]))
    frame.insert(0, "sid", [f"u{i:03d}" for i in range(1, len(frame) + 1)])
    return frame


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: draw the sample from a corpus and write it as CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--n", type=int, default=440)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--supplement", type=int, default=120,
                        help="size of the supplementary draw (0: none)")
    parser.add_argument("--fresh", type=int, default=100,
                        help="sentences without commitment words in the fresh held-out draw "
                             "(0: no fresh draw)")
    args = parser.parse_args(argv)
    allies = frozenset(load_allies(None).codes)
    sentences = list(ally_sentences(read_corpus(args.corpus), allies, load_lexicon(None)))
    frame = draw_sample(sentences, n=args.n, seed=args.seed)
    if args.supplement:
        frame = pd.concat([frame, draw_supplement(sentences, set(frame["text"]),
                                                  n=args.supplement)], ignore_index=True)
    if args.fresh:
        frame = pd.concat([frame, draw_fresh(sentences, set(frame["text"]), n_other=args.fresh)],
                          ignore_index=True)
    write_with(args.out, lambda tmp: frame.to_csv(tmp, index=False), force=True)
    print(f"{args.out}: {len(frame)} sentences ({(frame['split'] == 'dev').sum()} dev)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
