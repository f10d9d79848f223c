"""The throughput benchmark runs (a smoke test: timings are not asserted)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bayes_alliance.cli import app
from bayes_alliance.measure.bench import run_benchmark, synthetic_corpus


def test_synthetic_corpus_is_deterministic_and_sized():
    docs = synthetic_corpus(0.2, seed=3)
    assert docs == synthetic_corpus(0.2, seed=3)
    assert sum(len(d["text"]) for d in docs) >= 200_000


def test_run_benchmark_reports_throughput(tmp_path):
    report = run_benchmark(repeat=1, size_mb=0.1)
    assert report["corpus"] == "synthetic" and report["repeat"] == 1
    assert report["mb_per_s"] > 0 and report["mb_per_s_cpu"] > 0
    out = tmp_path / "bench.json"
    run = CliRunner().invoke(app, ["bench-measure", "--repeat", "1", "--size-mb", "0.05",
                                   "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert json.loads(out.read_text())["n_documents"] >= 1
    assert json.loads(run.stdout)["mb_per_s"] > 0
    again = CliRunner().invoke(app, ["bench-measure", "--repeat", "1", "--size-mb", "0.05",
                                     "--out", str(out)])
    assert again.exit_code == 1 and "error:" in again.output and "--force" in again.output
