"""Benchmark of the joint model: compile and sampling time, ESS per second, memory.

Each run happens in a fresh subprocess (:func:`run_once`), so that its peak
resident memory is its own and its compile time includes loading PyTensor's
on-disk cache (warm) as a user would see it. Runs are repeated over seeds and
summarised per sampler by the median and the worst run (:func:`summarise`);
speed ratios between samplers use only seeds where both converged
(:func:`paired_ratio`). The machine, its load and the package versions are
recorded, since shared 2-core machines are noisy. :func:`render_markdown`
writes the README's Performance tables from the report.

Panel sizes: ``scale = k`` is an alliance system ``k`` times as large: ``k``
sets of the default panel's allies over the same years, each set with its own
simulated covariates (copy ``c`` of ally ``ROK`` is ``ROK-c``; ``k = 40`` gives
102,800 ally-years of 2,320 allies), then outcomes drawn from the spec (joint by default) at
the default panel's true parameters, with fresh ally effects for every ally. So
the cost curve grows what a larger system grows: rows *and* ally effects, with
the same number of years per ally (stacking years instead, as this benchmark
once did, sharpens each ally's effect and makes NUTS cheaper per row).
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

from bayes_alliance.data.panel import Panel, validate_frame
from bayes_alliance.fit import fit_model
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.results import versions
from bayes_alliance.synthetic import SEED, TRUE_PARAMS, simulate_covariates


def scaled_panel(scale: int, seed: int = 1, spec: str = "joint") -> Panel:
    """An alliance system ``scale`` times the default's, with outcomes drawn from the model.

    Copy 0 is the default panel's covariates (validated against the panel
    contract); copy ``c >= 1`` draws the same allies' covariates again
    (:func:`~bayes_alliance.synthetic.simulate_covariates` with seed
    ``SEED + c``) under the ally codes ``<code>-<c>``, which the contract
    rejects for real data, so the stacked frame is passed to the model as a
    :class:`~bayes_alliance.data.panel.Panel` as it is (a synthetic panel for
    timing, marked ``synthetic``). The outcomes are drawn from ``spec`` (a
    shipped spec name or a TOML path whose outcomes are the joint spec's).
    """
    base = validate_frame(simulate_covariates(), synthetic=True).frame
    copies = [base] + [simulate_covariates(SEED + c).assign(ally=lambda f, c=c: f["ally"] + f"-{c}")
                       for c in range(1, scale)]
    frame = pd.concat(copies, ignore_index=True).sort_values(["ally", "year"], ignore_index=True)
    source = f"simulated alliance system, {scale}x the default panel's allies"
    gen = AllianceModel.from_spec(spec, Panel(frame=frame, source=source, synthetic=True),
                                  priors="weak", require_outcomes=False)
    simulated, _ = gen.simulate(TRUE_PARAMS, seed=seed)
    return Panel(frame=simulated, source=source, synthetic=True)


def run_once(sampler: str, scale: int, draws: int, tune: int, chains: int,
             seed: int, spec: str = "joint") -> dict[str, Any]:
    """Fit once in this process and measure it (used by the subprocess worker).

    ESS per second divides the smallest bulk (tail) ESS by the sampling time;
    ESS per 1,000 gradient evaluations divides it by the leapfrog steps of the
    kept draws (``n_steps``; tuning steps and chains the guard replaced are not
    counted, their time is). ``converged`` is the package's verdict
    (:func:`~bayes_alliance.convergence.diagnose`: R-hat, ESS, divergences,
    BFMI, no stuck chain after the guard).
    """
    panel = scaled_panel(scale, spec=spec)
    model = AllianceModel.from_spec(spec, panel, priors="weak")
    t0 = time.perf_counter()
    result = fit_model(model, draws=draws, tune=tune, chains=chains, sampler=sampler,
                       random_seed=seed, prior_draws=0, predictive=False)
    wall = time.perf_counter() - t0
    diag = result.diagnostics()
    sampling = result.info["sampling_s"]
    stats = result.idata["sample_stats"]
    grads = int(stats["n_steps"].sum()) if "n_steps" in stats.data_vars else None
    restarts = result.info.get("restarts", [])
    return {
        "sampler": sampler, "spec": spec, "scale": scale, "rows": len(panel.frame),
        "draws": draws, "tune": tune,
        "chains": chains, "seed": seed,
        "compile_s": round(wall - sampling, 2), "sampling_s": round(sampling, 2),
        "total_s": round(wall, 2),
        "divergences": diag.divergences, "max_rhat": round(diag.max_rhat, 4),
        "min_ess_bulk": round(diag.min_ess_bulk, 1), "min_ess_tail": round(diag.min_ess_tail, 1),
        "ess_bulk_per_s": round(diag.min_ess_bulk / sampling, 3),
        "ess_tail_per_s": round(diag.min_ess_tail / sampling, 3),
        "gradient_evals": grads,
        "ess_bulk_per_1k_grad": None if not grads else round(1000 * diag.min_ess_bulk / grads, 3),
        "chains_rerun": sum(len(r["chains"]) for r in restarts), "restarts": restarts,
        "stuck_chains": list(diag.stuck_chains),
        "converged": diag.ok, "problems": list(diag.problems),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_1min_at_end": round(os.getloadavg()[0], 2),
    }


def run_in_subprocess(sampler: str, scale: int, draws: int, tune: int, chains: int,
                      seed: int, spec: str = "joint", timeout: float = 3600) -> dict[str, Any]:
    """Run :func:`run_once` in a fresh Python process and parse its JSON line."""
    cmd = [sys.executable, "-m", "bayes_alliance.validation.bench", sampler, str(scale),
           str(draws), str(tune), str(chains), str(seed), "--spec", spec]
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


#: measures summarised by their median over runs (per sampler and panel size)
MEDIAN_KEYS = ("compile_s", "sampling_s", "total_s", "min_ess_bulk", "min_ess_tail",
               "ess_bulk_per_s", "ess_tail_per_s", "ess_bulk_per_1k_grad", "peak_rss_mb")


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (sampler, scale): the median of each measure, the worst run, and how many converged.

    A median hides a failed run, so the worst value of each convergence measure
    (over all runs) is given too, and ``worst_seed`` names the run with the
    lowest ESS bulk per second.
    """
    groups: dict[tuple[str, int], list[dict]] = {}
    for r in runs:
        if "error" not in r and "skipped" not in r:
            groups.setdefault((r["sampler"], r["scale"]), []).append(r)
    out = []
    for (sampler, scale), rs in sorted(groups.items()):
        row = {"sampler": sampler, "scale": scale, "rows": rs[0]["rows"], "runs": len(rs),
               "converged_runs": sum(bool(r.get("converged")) for r in rs),
               "chains_rerun": sum(r.get("chains_rerun", 0) for r in rs)}
        for k in MEDIAN_KEYS:
            values = [r[k] for r in rs if r.get(k) is not None]
            row[f"median_{k}"] = float(statistics.median(values)) if values else None
        worst = min(rs, key=lambda r: r["ess_bulk_per_s"])
        row.update({"worst_seed": worst["seed"], "worst_total_s": float(max(r["total_s"]
                                                                            for r in rs)),
                    "worst_ess_bulk_per_s": float(worst["ess_bulk_per_s"]),
                    "worst_max_rhat": float(max(r["max_rhat"] for r in rs)),
                    "worst_divergences": int(max(r["divergences"] for r in rs)),
                    "worst_min_ess_bulk": float(min(r["min_ess_bulk"] for r in rs)),
                    "worst_min_ess_tail": float(min(r.get("min_ess_tail", r["min_ess_bulk"])
                                                    for r in rs))})
        out.append(row)
    return out


def paired_ratio(runs: list[dict[str, Any]], key: str = "ess_bulk_per_s", scale: int = 1,
                 sampler: str = "nutpie", against: str = "pymc") -> dict[str, Any]:
    """Median over seeds of ``sampler``'s ``key`` over ``against``'s, where both converged.

    A ratio against a run that did not converge measures nothing, so seeds
    where either sampler failed are left out; ``pairs`` says how many remain
    (``ratio`` is None when none does).
    """
    def converged(name: str) -> dict[int, dict]:
        return {r["seed"]: r for r in runs if r.get("sampler") == name
                and r.get("scale") == scale and r.get("converged")}

    a, b = converged(sampler), converged(against)
    ratios = [a[s][key] / b[s][key] for s in sorted(a.keys() & b.keys()) if b[s][key] > 0]
    return {"ratio": float(statistics.median(ratios)) if ratios else None,
            "pairs": len(ratios), "seeds": sorted(a.keys() & b.keys()), "key": key}


#: the settings the performance targets (README, Performance) are stated for, and the targets
TARGET_SETTINGS = {"chains": 4, "draws": 1000, "tune": 1000}
TARGETS = {"total_s": 120.0, "max_rhat": 1.01, "min_ess_bulk": 400.0, "divergences": 0,
           "non_converged_runs": 0, "ess_ratio_vs_pymc": 2.0, "size_exponent": 1.25}


def size_exponent(rows: list[float], seconds: list[float]) -> float | None:
    r"""Least-squares slope :math:`b` of :math:`\log t = a + b \log n` (1 = linear cost)."""
    if len(rows) < 2:
        return None
    return float(np.polyfit(np.log(rows), np.log(seconds), 1)[0])


def check_targets(summary: list[dict[str, Any]],
                  runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each performance target: the measured value, the target, and whether it is met.

    Times are medians over runs; R-hat, ESS and divergences are those of the
    worst run, since every fit must converge; the ESS ratio against PyMC's NUTS
    is :func:`paired_ratio` (seeds where both converged). ``met`` is None where
    the bench did not measure what the target needs (e.g. no PyMC run, no seed
    where both converged, or a single panel size).
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
    put("non_converged_runs", base and base["runs"] - base["converged_runs"],
        TARGETS["non_converged_runs"], True)
    put("ess_ratio_vs_pymc", paired_ratio(runs)["ratio"], TARGETS["ess_ratio_vs_pymc"], False)
    rows = [s for s in summary if s["sampler"] == "nutpie"]
    slope = size_exponent([s["rows"] for s in rows], [s["median_total_s"] for s in rows])
    put("size_exponent", slope, TARGETS["size_exponent"], True)
    return out


def done_runs(previous: dict[str, Any] | None, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Successful runs of an earlier bench.json made with the same settings (to resume).

    A bench.json without a ``spec`` setting was made with the joint spec.
    """
    if not previous:
        return []
    earlier = {"spec": "joint", **previous.get("settings", {})}
    same = all(earlier.get(k) == settings.get(k, "joint" if k == "spec" else None)
               for k in ("draws", "tune", "chains", "spec"))
    return [r for r in previous.get("runs", []) if same and "error" not in r]


#: README markers around the generated Performance tables (:func:`render_markdown`)
BEGIN = "<!-- bench:performance -->"
END = "<!-- /bench:performance -->"
#: the full benchmark, as the README states it
FULL_COMMAND = ("bayes-alliance bench --samplers nutpie,pymc,numpyro --scales 1 --repeats 5 "
                "--out reports/validation/bench --readme README.md")
#: the cost curve over alliance systems of 1, 10 and 40 times the default's allies
CURVE_COMMAND = ("bayes-alliance bench --samplers nutpie --scales 1,10,40 --repeats 1 "
                 "--draws 300 --tune 300 --out reports/validation/bench/scale")


def missing_samplers(samplers: list[str]) -> dict[str, str]:
    """Samplers of ``samplers`` whose optional packages are not installed, with the fix."""
    import importlib.util

    needs = {"numpyro": ("numpyro", "jax"), "blackjax": ("blackjax", "jax")}
    return {s: f"not installed (pip install 'bayes-alliance[{s}]')" for s in samplers
            if any(importlib.util.find_spec(m) is None for m in needs.get(s, ()))}


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "-" if x is None else format(x, fmt)


def render_markdown(report: dict[str, Any]) -> str:
    """The README's Performance tables from a bench report (``bench.json``), as Markdown."""
    st, m = report["settings"], report["machine"]
    loads = [r["load_1min_at_end"] for r in report["runs"] if "load_1min_at_end" in r]
    v = m["versions"]
    lines = [
        "<!-- generated by `bayes-alliance bench --readme README.md`; do not edit -->",
        f"Each run: the `{st.get('spec', 'joint')}` spec (weak priors) on a simulated panel "
        f"drawn from it, {st['chains']} chains x "
        f"{st['draws']} draws after {st['tune']} tuning steps, in a fresh process (compile time "
        f"with PyTensor's cache warm). Machine: {m['cpus']} CPUs, load "
        + (f"{min(loads):.1f}-{max(loads):.1f}" if loads else "unknown")
        + f" at the end of the runs; Python {m['python']}, nutpie {v.get('nutpie')}, "
        f"PyMC {v.get('pymc')}. Medians over the runs (seeds 1, 2, ...); `worst` is the run "
        "with the lowest ESS bulk per second, or the largest value. Converged: R-hat <= 1.01, "
        "ESS bulk and tail >= 400, no divergence, BFMI >= 0.3 and no stuck chain after the "
        "stuck-chain guard (`chains re-run` counts the guard's restarts).",
        "",
        "| sampler | panel (ally-years) | runs (converged) | compile + sampling s | worst total s "
        "| min ESS bulk / tail per s | worst ESS bulk/s (seed) | ESS bulk per 1k gradients "
        "| peak MB | chains re-run |",
        "|---" * 10 + "|",
    ]
    for r in report["summary"]:
        lines.append(
            f"| {r['sampler']} | {r['scale']}x ({r['rows']:,}) | {r['runs']} "
            f"({r['converged_runs']}) | {_num(r['median_total_s'], '.0f')} "
            f"({_num(r['median_compile_s'], '.0f')} + {_num(r['median_sampling_s'], '.0f')}) | "
            f"{_num(r['worst_total_s'], '.0f')} | {_num(r['median_ess_bulk_per_s'], '.2f')} / "
            f"{_num(r['median_ess_tail_per_s'], '.2f')} | {_num(r['worst_ess_bulk_per_s'], '.2f')}"
            f" ({r['worst_seed']}) | {_num(r['median_ess_bulk_per_1k_grad'], '.2f')} | "
            f"{_num(r['median_peak_rss_mb'], '.0f')} | {r['chains_rerun']} |")
    ratio = report["ratio_vs_pymc"]
    lines += ["", "nutpie : PyMC NUTS, min ESS bulk per second: " + (
        f"{ratio['ratio']:.1f}x (median over the {ratio['pairs']} seeds where both converged)"
        if ratio["ratio"] is not None else
        "not stated (no seed where both samplers converged at these settings)") + "."]
    for name, why in report.get("skipped", {}).items():
        lines.append(f"{name}: skipped, {why}.")
    if {k: st[k] for k in TARGET_SETTINGS} != TARGET_SETTINGS:
        lines += ["", f"These runs used fewer draws than the targets' {TARGET_SETTINGS['chains']}"
                  f" chains x {TARGET_SETTINGS['draws']:,} draws after "
                  f"{TARGET_SETTINGS['tune']:,} tuning steps, so the verdicts below do not "
                  "test the targets (ESS and R-hat need the full draws)."]
    lines += ["", "| target (default panel, nutpie) | measured | target | met |",
              "|---|---|---|---|"]
    verdicts = {True: "yes", False: "**no**", None: "not measured"}
    for name, t in report["targets"].items():
        lines.append(f"| {name} | {_num(t['value'], '.3g')} | {t['target']:g} | "
                     f"{verdicts[t['met']]} |")
    lines += ["", f"Full settings (the targets' 4 x 1,000 draws): `{FULL_COMMAND}`; the cost "
              f"curve (short chains, its own folder): `{CURVE_COMMAND}`."]
    return "\n".join(lines) + "\n"


def plot_cost(summary: list[dict[str, Any]], runs: list[dict[str, Any]]):
    """Figure: each run's ESS per second by sampler, and the cost curve against panel size.

    Left: min ESS bulk per second of every run on the default panel, filled
    when the run converged and hollow when not, so a median cannot hide a failed
    run, and a triangle marks a run that converged only because the stuck-chain
    guard re-ran a chain (its time includes the re-run). Right: compile + sampling
    time against ally-years (log-log; dotted:
    linear cost from the smallest panel; legend: each sampler's fitted exponent).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    samplers = sorted({s["sampler"] for s in summary})
    for i, sampler in enumerate(samplers):
        rs = [r for r in runs if r.get("sampler") == sampler and r.get("scale") == 1
              and "ess_bulk_per_s" in r]
        ok = [r["ess_bulk_per_s"] for r in rs if r.get("converged")
              and not r.get("chains_rerun")]
        rerun = [r["ess_bulk_per_s"] for r in rs if r.get("converged") and r.get("chains_rerun")]
        bad = [r["ess_bulk_per_s"] for r in rs if not r.get("converged")]
        (dots,) = axes[0].plot([i] * len(ok), np.maximum(ok, 1e-3), "o")
        axes[0].plot([i] * len(rerun), np.maximum(rerun, 1e-3), "^", color=dots.get_color(),
                     label="converged after the guard re-ran a chain" if i == 0 else None)
        axes[0].plot([i] * len(bad), np.maximum(bad, 1e-3), "o", mfc="none",
                     color=dots.get_color())
        rows = [s for s in summary if s["sampler"] == sampler]
        x = np.array([s["rows"] for s in rows], float)
        t = np.array([s["median_total_s"] for s in rows], float)
        slope = size_exponent(list(x), list(t))
        label = sampler if slope is None else f"{sampler} (time ~ rows^{slope:.2f})"
        axes[1].plot(x, t, "o-", color=dots.get_color(), label=label)
        if len(x) > 1:
            axes[1].plot(x, t[0] * x / x[0], ":", color=dots.get_color(), lw=1)
    axes[0].set_xticks(range(len(samplers)), samplers)
    axes[0].set(ylabel="min ESS bulk per second", yscale="log",
                title="1x panel, one dot per seed (hollow: not converged)")
    if any(r.get("chains_rerun") for r in runs):
        axes[0].legend(fontsize="small")
    axes[1].set(xlabel="ally-years in the panel", ylabel="compile + sampling (s, median)",
                title="Cost against panel size (dotted: linear)", xscale="log", yscale="log")
    sizes = sorted({float(s["rows"]) for s in summary})
    axes[1].set_xticks(sizes, [f"{v:,.0f}" for v in sizes])
    totals = [s["median_total_s"] for s in summary if s["median_total_s"]]
    if len(sizes) == 1 and totals:  # one size: no curve, so no zoom onto rounding noise
        axes[1].set_ylim(min(totals) / 3, max(totals) * 3)
    axes[1].xaxis.set_minor_locator(NullLocator())
    axes[1].legend(fontsize="small")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    return fig


def _worker(sampler: str, scale: int, draws: int, tune: int, chains: int, seed: int,
            spec: str = "joint") -> None:
    """Entry of :func:`run_in_subprocess`: one run, printed as a ``BENCH {json}`` line."""
    res = run_once(sampler, scale, draws, tune, chains, seed, spec)
    print("BENCH " + json.dumps(res), flush=True)


#: the command line of :func:`run_in_subprocess`'s worker process
WORKER = typer.Typer(add_completion=False)
WORKER.command()(_worker)

if __name__ == "__main__":
    WORKER()
