"""Throughput of the reassurance measurement (MB of text per second, one core).

Run ``bayes-alliance bench-measure`` for a synthetic corpus (about 20 MB
of statement-like text, built here from templates), or pass ``--corpus PATH`` to
time a real one. Each run reads and measures the whole corpus; the median of
``--repeat`` runs is reported, both end to end (read + measure) and for the
measurement alone, in wall-clock time and in CPU time of this process (the
measurement is single-threaded, so CPU time is the time on one core and does
not grow when other work shares the machine). This is a benchmark, not a test:
numbers depend on the machine.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bayes_alliance.measure.aggregate import measure_corpus
from bayes_alliance.measure.corpus import read_corpus
from bayes_alliance.measure.lexicon import load_lexicon

__all__ = ["run_benchmark", "synthetic_corpus"]

_ALLIES = ("Japan", "the Republic of Korea", "Turkey", "Greece", "the Federal Republic",
           "Norway", "Thailand", "the Philippines", "Australia", "Canada", "Britain", "Italy")
_TEMPLATES = (
    "Our commitment to the defense of {a} remains firm.",
    "The Prime Minister of {a} and I discussed trade, energy and the environment.",
    "We will not abandon {a}.",
    "Unless {a} pays a larger share, the Congress may reconsider our commitment.",
    "Exports to {a} rose again last year.",
    "The United States will stand by {a} and {b} against any aggression.",
)
_FILLER = (
    "The budget I send to the Congress this year holds spending below the rate of inflation.",
    "Our farmers have harvested a record crop, and our factories are working at full capacity.",
    "I ask the Congress to act promptly on the program for schools and hospitals.",
    "We must build more houses, train more teachers and keep our rivers and harbors clean.",
    "Tonight I want to speak with you about the state of our economy and the work ahead.",
    "Mr. President, the Members of the Senate and the House have served the Nation well.",
    "No family should have to choose between paying the rent and paying the doctor.",
    "Science and technology will open new frontiers for the next generation of Americans.",
)


def synthetic_corpus(size_mb: float = 20.0, *, seed: int = 1) -> list[dict[str, str]]:
    """Statement-like documents of about ``size_mb`` MB in total (deterministic).

    About one sentence in twelve names an ally, close to the share in US
    presidential speeches; the rest is domestic filler.
    """
    rng = random.Random(seed)
    docs: list[dict[str, str]] = []
    total = 0
    target = int(size_mb * 1_000_000)
    while total < target:
        year = rng.randint(1950, 2010)
        sentences = []
        for _ in range(rng.randint(150, 400)):
            if rng.random() < 1 / 12:
                a, b = rng.sample(_ALLIES, 2)
                sentences.append(rng.choice(_TEMPLATES).format(a=a, b=b))
            else:
                sentences.append(rng.choice(_FILLER))
        text = "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))
        docs.append({"date": f"{year}-{rng.randint(1, 12):02d}-15", "text": text})
        total += len(text.encode("utf-8"))
    return docs


def run_benchmark(corpus: str | Path | None = None, *, repeat: int = 5,
                  size_mb: float = 20.0) -> dict[str, Any]:
    """Time the measurement of a corpus.

    Parameters
    ----------
    corpus
        Corpus path; None times a synthetic corpus of ``size_mb`` MB.
    repeat
        Number of timed runs (the median is reported).
    size_mb
        Size of the synthetic corpus.

    Returns
    -------
    dict
        Corpus name and size, run times in seconds, and median MB/s end to end
        (``mb_per_s``), for measuring an already read corpus
        (``mb_per_s_measure_only``) and per CPU second, end to end
        (``mb_per_s_cpu``, the throughput of one core).
    """
    load_lexicon()  # compile once, outside the timed runs
    with tempfile.TemporaryDirectory() as tmp:
        if corpus is None:
            path = Path(tmp) / "synthetic.jsonl"
            lines = (json.dumps(d) for d in synthetic_corpus(size_mb))
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            path = Path(corpus)
        totals, measures, cpu = [], [], []
        for _ in range(repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            docs = read_corpus(path)
            t1 = time.perf_counter()
            result = measure_corpus(docs)
            t2, c2 = time.perf_counter(), time.process_time()
            totals.append(t2 - t0)
            measures.append(t2 - t1)
            cpu.append(c2 - c0)
    megabytes = docs.n_bytes / 1_000_000
    return {
        "corpus": "synthetic" if corpus is None else Path(corpus).name,
        "megabytes": round(megabytes, 3),
        "n_documents": len(docs),
        "n_sentences": result.meta["n_sentences"],
        "repeat": repeat,
        "seconds": [round(t, 4) for t in totals],
        "mb_per_s": round(megabytes / statistics.median(totals), 2),
        "mb_per_s_measure_only": round(megabytes / statistics.median(measures), 2),
        "cpu_seconds": [round(t, 4) for t in cpu],
        "mb_per_s_cpu": round(megabytes / statistics.median(cpu), 2),
        "lexicon_version": result.meta["lexicon_version"],
    }
