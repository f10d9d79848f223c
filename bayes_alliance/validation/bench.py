"""Benchmark of the joint model: compile and sampling time, ESS per second, memory.

Each run happens in a fresh subprocess (:func:`run_once`), so that its peak
resident memory is its own and its compile time includes loading PyTensor's
on-disk cache (warm) as a user would see it. Runs are repeated and the
median reported; the machine, its load and the package versions are
recorded, since shared 2-core machines are noisy.

Panel sizes: ``scale = k`` stacks ``k`` copies of the default panel's
covariates with the years of copy ``c`` shifted back by ``61 c`` (same allies,
more years each), then draws outcomes from the joint model at the default
panel's true parameters, so the cost can be compared across sizes.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
import typer

from bayes_alliance.constants import FIRST_YEAR, LAST_YEAR
from bayes_alliance.fit import fit_model
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.results import versions
from bayes_alliance.synthetic import TRUE_PARAMS, simulate_covariates


def scaled_panel(scale: int, seed: int = 1) -> pd.DataFrame:
    """The default covariates stacked ``scale`` times with outcomes drawn from the model."""
    base = simulate_covariates()
    span = LAST_YEAR - FIRST_YEAR + 1
    frame = pd.concat([base.assign(year=base["year"] - span * c) for c in range(scale)],
                      ignore_index=True)
    gen = AllianceModel.from_spec("joint", frame, priors="weak", require_outcomes=False)
    simulated, _ = gen.simulate(TRUE_PARAMS, seed=seed)
    return simulated


def run_once(sampler: str, scale: int, draws: int, tune: int, chains: int,
             seed: int) -> dict[str, Any]:
    """Fit once in this process and measure it (used by the subprocess worker)."""
    frame = scaled_panel(scale)
    model = AllianceModel.from_spec("joint", frame, priors="weak")
    t0 = time.perf_counter()
    result = fit_model(model, draws=draws, tune=tune, chains=chains, sampler=sampler,
                       random_seed=seed, prior_draws=0, predictive=False)
    wall = time.perf_counter() - t0
    diag = result.diagnostics()
    sampling = result.info["sampling_s"]
    return {
        "sampler": sampler, "scale": scale, "rows": len(frame), "draws": draws, "tune": tune,
        "chains": chains, "seed": seed,
        "compile_s": round(wall - sampling, 2), "sampling_s": round(sampling, 2),
        "total_s": round(wall, 2),
        "divergences": diag.divergences, "max_rhat": round(diag.max_rhat, 4),
        "min_ess_bulk": round(diag.min_ess_bulk, 1),
        "ess_bulk_per_s": round(diag.min_ess_bulk / sampling, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_1min_at_end": round(os.getloadavg()[0], 2),
    }


def run_in_subprocess(sampler: str, scale: int, draws: int, tune: int, chains: int,
                      seed: int, timeout: float = 3600) -> dict[str, Any]:
    """Run :func:`run_once` in a fresh Python process and parse its JSON line."""
    cmd = [sys.executable, "-m", "bayes_alliance.validation.bench", sampler, str(scale),
           str(draws), str(tune), str(chains), str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-2000:]
        return {"sampler": sampler, "scale": scale, "error": tail}
    return json.loads(lines[-1][len("BENCH "):])


def machine() -> dict[str, Any]:
    """What the benchmark ran on."""
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "versions": versions()}


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Median of each measure per (sampler, scale)."""
    keys = ("compile_s", "sampling_s", "total_s", "min_ess_bulk", "ess_bulk_per_s",
            "peak_rss_mb", "max_rhat", "divergences")
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in runs:
        if "error" not in r:
            groups.setdefault((r["sampler"], r["scale"]), []).append(r)
    out = []
    for (sampler, scale), rs in sorted(groups.items()):
        row = {"sampler": sampler, "scale": scale, "rows": rs[0]["rows"], "runs": len(rs)}
        for k in keys:
            row[f"median_{k}"] = float(statistics.median(r[k] for r in rs))
        # a median hides a failed run: convergence is judged on the worst one
        row["worst_max_rhat"] = float(max(r["max_rhat"] for r in rs))
        row["worst_divergences"] = int(max(r["divergences"] for r in rs))
        row["worst_min_ess_bulk"] = float(min(r["min_ess_bulk"] for r in rs))
        out.append(row)
    return out


#: the performance targets (README, Performance), for the default panel (scale 1), 4 x 1000 draws.
TARGETS = {"total_s": 120.0, "max_rhat": 1.01, "min_ess_bulk": 400.0, "divergences": 0,
           "ess_ratio_vs_pymc": 2.0, "size_exponent": 1.25}


def size_exponent(rows: list[float], seconds: list[float]) -> float | None:
    r"""Least-squares slope :math:`b` of :math:`\log t = a + b \log n` (1 = linear cost)."""
    if len(rows) < 2:
        return None
    return float(np.polyfit(np.log(rows), np.log(seconds), 1)[0])


def check_targets(summary: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each performance target: the measured value, the target, and whether it is met.

    Times and ESS per second are medians over runs; R-hat, ESS and divergences
    are those of the worst run, since every fit must converge. ``met`` is None
    where the bench did not measure what the target needs (e.g. no PyMC run, or a
    single panel size).
    """
    by = {(s["sampler"], s["scale"]): s for s in summary}
    base = by.get(("nutpie", 1))
    out: dict[str, dict[str, Any]] = {}

    def put(name: str, value: float | None, target: float, ok_if_below: bool) -> None:
        met = None if value is None else (value <= target if ok_if_below else value >= target)
        out[name] = {"value": value, "target": target, "met": met}

    put("total_s", base and base["median_total_s"], TARGETS["total_s"], True)
    put("max_rhat", base and base["worst_max_rhat"], TARGETS["max_rhat"], True)
    put("min_ess_bulk", base and base["worst_min_ess_bulk"], TARGETS["min_ess_bulk"], False)
    put("divergences", base and base["worst_divergences"], TARGETS["divergences"], True)
    pymc = by.get(("pymc", 1))
    ratio = (base["median_ess_bulk_per_s"] / pymc["median_ess_bulk_per_s"]
             if base and pymc and pymc["median_ess_bulk_per_s"] > 0 else None)
    put("ess_ratio_vs_pymc", ratio, TARGETS["ess_ratio_vs_pymc"], False)
    rows = [s for s in summary if s["sampler"] == "nutpie"]
    slope = size_exponent([s["rows"] for s in rows], [s["median_total_s"] for s in rows])
    put("size_exponent", slope, TARGETS["size_exponent"], True)
    return out


def done_runs(previous: dict[str, Any] | None, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Successful runs of an earlier bench.json made with the same settings (to resume)."""
    if not previous:
        return []
    same = all(previous.get("settings", {}).get(k) == settings[k]
               for k in ("draws", "tune", "chains"))
    return [r for r in previous.get("runs", []) if same and "error" not in r]


def plot_cost(summary: list[dict[str, Any]]):
    """Figure: cost and ESS per second against ally-years, per sampler (log-log axes).

    On log-log axes a slope of 1 is linear cost; the dotted line shows it from the
    smallest panel, and the legend gives each sampler's fitted exponent.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    for sampler in sorted({s["sampler"] for s in summary}):
        rows = [s for s in summary if s["sampler"] == sampler]
        x = np.array([s["rows"] for s in rows], float)
        t = np.array([s["median_total_s"] for s in rows], float)
        slope = size_exponent(list(x), list(t))
        label = sampler if slope is None else f"{sampler} (time ~ rows^{slope:.2f})"
        (line,) = axes[0].plot(x, t, "o-", label=label)
        if len(x) > 1:
            axes[0].plot(x, t[0] * x / x[0], ":", color=line.get_color(), lw=1)
        ess = np.maximum([s["median_ess_bulk_per_s"] for s in rows], 1e-3)
        axes[1].plot(x, ess, "o-", color=line.get_color(), label=sampler)
    axes[0].set(xlabel="ally-years in the panel", ylabel="compile + sampling (s, median)",
                title="Cost of a 4 x 1000-draw fit (dotted: linear)", xscale="log", yscale="log")
    axes[1].set(xlabel="ally-years in the panel", ylabel="min ESS bulk per second (median)",
                title="Sampling efficiency", xscale="log", yscale="log")
    sizes = sorted({float(s["rows"]) for s in summary})
    for ax in axes:
        ax.set_xticks(sizes, [f"{v:,.0f}" for v in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3, which="both")
    return fig


def _worker(sampler: str, scale: int, draws: int, tune: int, chains: int, seed: int) -> None:
    """Entry of :func:`run_in_subprocess`: one run, printed as a ``BENCH {json}`` line."""
    res = run_once(sampler, scale, draws, tune, chains, seed)
    print("BENCH " + json.dumps(res), flush=True)


if __name__ == "__main__":
    typer.run(_worker)
