"""`bayes-alliance bench`: speed and memory of the joint model, nutpie vs PyMC's NUTS."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.


def _ints(text: str, name: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"{name} must be comma-separated integers, got '{text}'") from None
    if not values or min(values) < 1:
        raise typer.BadParameter(f"{name} must be positive integers, got '{text}'")
    return values


@handle_errors
def bench(
    samplers: str = typer.Option("nutpie,pymc,numpyro",
                                 help="Comma-separated: nutpie, pymc, numpyro (JAX; skipped "
                                      "when the optional extra is not installed)."),
    scales: str = typer.Option("1", help="Panel sizes as multiples of the default panel "
                                         "(e.g. 1,10,40 for the cost curve)."),
    repeats: int = typer.Option(5, help="Runs (seeds 1..N) per configuration; medians reported."),
    draws: int = typer.Option(1000, help="Draws per chain."),
    tune: int = typer.Option(1000, help="Tuning steps per chain."),
    chains: int = typer.Option(4, help="Chains."),
    spec: str = typer.Option("joint", help="Spec to fit (a shipped name or a TOML path with "
                                           "the joint spec's outcomes); outcomes are drawn "
                                           "from it. Runs of another spec are not resumed."),
    out: Path = typer.Option(Path("reports/bench"), help="Folder for bench.json and bench.png."),
    readme: Path | None = typer.Option(None, help="README whose Performance tables (between "
                                                  "the bench:performance markers) are "
                                                  "regenerated from OUT/bench.json."),
    fresh: bool = typer.Option(False, "--fresh",
                               help="Discard the runs already in OUT/bench.json."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary on stdout."),
) -> None:
    """Time compile + sampling, ESS per second and per gradient, and peak memory of a fit.

    Every run is a fresh process; per sampler and size the medians of --repeats
    seeds and the worst run, how many converged, and the nutpie : PyMC ESS ratio
    over the seeds where both converged, checked against the performance targets
    in the README. The model is the joint spec (or --spec) with weak priors, on
    a panel of the default's allies (times --scales) drawn from that spec.
    OUT/bench.json is rewritten after each run and later calls add to it (same
    draws/tune/chains/spec), so that an interrupted bench resumes and sizes can
    be run separately, e.g. `bench --scales 1` then `bench --samplers nutpie
    --scales 10,40 --repeats 1`. Writes OUT/bench.json and OUT/bench.png, and with
    --readme the README's Performance tables.
    """
    from bayes_alliance.io import write_text_atomic, write_with
    from bayes_alliance.replication import paste_into
    from bayes_alliance.validation.bench import (
        BEGIN,
        END,
        check_targets,
        done_runs,
        machine,
        missing_samplers,
        paired_ratio,
        plot_cost,
        render_markdown,
        run_in_subprocess,
        summarise,
    )

    sampler_list = [s.strip() for s in samplers.split(",") if s.strip()]
    unknown = sorted(set(sampler_list) - {"nutpie", "pymc", "numpyro"})
    if unknown:
        raise typer.BadParameter(f"unknown sampler(s) {', '.join(unknown)}; "
                                 "valid: nutpie, pymc, numpyro")
    skipped = missing_samplers(sampler_list)
    for name, why in skipped.items():
        typer.echo(f"bench: skipping {name}: {why}", err=True)
    from bayes_alliance.models.spec import load_spec

    load_spec(spec)  # a bad spec fails here, not in every subprocess
    settings = {"draws": draws, "tune": tune, "chains": chains, "spec": spec}
    path = out / "bench.json"
    previous = None if fresh or not path.is_file() else json.loads(path.read_text())
    runs = done_runs(previous, settings)
    done = {(r["sampler"], r["scale"], r["seed"]) for r in runs}
    if runs:
        typer.echo(f"bench: keeping {len(runs)} earlier runs from {path} (--fresh drops them)",
                   err=True)

    def write() -> dict:
        summary = summarise(runs)
        report = {"machine": machine(), "settings": settings, "summary": summary,
                  "ratio_vs_pymc": paired_ratio(runs), "targets": check_targets(summary, runs),
                  "skipped": skipped, "runs": runs}
        write_text_atomic(path, json.dumps(report, indent=1) + "\n", force=True)
        if summary:
            fig = plot_cost(summary, runs)
            write_with(out / "bench.png", lambda p: fig.savefig(p, format="png", dpi=110),
                       force=True)
        return report

    for scale in _ints(scales, "--scales"):
        for sampler in (s for s in sampler_list if s not in skipped):
            for rep in range(repeats):
                if (sampler, scale, rep + 1) in done:
                    continue
                typer.echo(f"bench: {sampler} at {scale}x, run {rep + 1}/{repeats}...", err=True)
                r = run_in_subprocess(sampler, scale, draws, tune, chains, seed=rep + 1,
                                      spec=spec)
                if "error" in r:
                    typer.echo(f"  failed: {r['error'][-300:]}", err=True)
                    continue
                typer.echo(f"  total {r['total_s']:.0f} s, ESS bulk/s {r['ess_bulk_per_s']:.2f}, "
                           f"divergences {r['divergences']}, R-hat {r['max_rhat']:.3f}, "
                           f"chains re-run {r['chains_rerun']}, converged {r['converged']}, "
                           f"peak {r['peak_rss_mb']:.0f} MB", err=True)
                runs.append(r)
                write()
    report = write()
    if readme is not None:
        paste_into(readme, render_markdown(report), begin=BEGIN, end=END)
    if as_json:
        echo_json(report)
        return
    for row in report["summary"]:
        typer.echo(f"{row['sampler']:<8} {row['scale']:>3}x ({row['rows']} ally-years, "
                   f"{row['runs']} runs, {row['converged_runs']} converged): total "
                   f"{row['median_total_s']:.0f} s (worst {row['worst_total_s']:.0f}), ESS "
                   f"bulk/s {row['median_ess_bulk_per_s']:.2f} (worst "
                   f"{row['worst_ess_bulk_per_s']:.2f}, seed {row['worst_seed']}), peak "
                   f"{row['median_peak_rss_mb']:.0f} MB")
    for name, t in report["targets"].items():
        verdict = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        value = "-" if t["value"] is None else f"{t['value']:.3g}"
        typer.echo(f"target {name:<18} {value:>8} (target {t['target']:g}): {verdict}")
    typer.echo(f"wrote {path}" + (f" and the Performance tables of {readme}" if readme else ""))


@handle_errors
def bench_measure(
    corpus: Path | None = typer.Option(None, help="Corpus to time (default: a synthetic one)."),
    repeat: int = typer.Option(5, min=1, help="Timed runs (the median is reported)."),
    size_mb: float = typer.Option(20.0, min=0.01, help="Size of the synthetic corpus (MB)."),
    out: Path | None = typer.Option(None, help="Also write the JSON here."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it exists."),
) -> None:
    """Throughput of the reassurance measurement (MB of text per second), as JSON.

    Times a synthetic corpus of about --size-mb MB of statement-like text, or a
    real one with --corpus; reports the median of --repeat runs, wall-clock and
    CPU time. A benchmark, not a test: the numbers depend on the machine.
    """
    from bayes_alliance.io import write_text_atomic
    from bayes_alliance.measure.bench import run_benchmark

    if out is not None and out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass --force to replace it")
    report = run_benchmark(corpus, repeat=repeat, size_mb=size_mb)
    echo_json(report)
    if out is not None:
        write_text_atomic(out, json.dumps(report, indent=2) + "\n", force=force)


@handle_errors
def bench_scenario(
    run: Path = typer.Argument(..., help="Saved run (RUN.nc) from `bayes-alliance fit --out`."),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", help="Scenario(s) to time; repeat the option for several "
        "(default: full-withdrawal and mansfield-1971-europe)."),
    repeats: int = typer.Option(5, min=1, help="Timed runs per scenario (median reported)."),
    resample: str | None = typer.Option(
        None, help="CxD, e.g. 4x1000: time on C chains x D draws resampled from the run."),
) -> None:
    """Wall time of scenario evaluation, draws and figures on a saved run, as JSON."""
    from bayes_alliance.results import FitResult
    from bayes_alliance.scenarios.bench import bench_scenario as time_scenario
    from bayes_alliance.scenarios.bench import resample_posterior

    result = FitResult.load(run)
    if resample:
        try:
            chains, draws = (int(v) for v in resample.lower().split("x"))
        except ValueError:
            raise typer.BadParameter(f"--resample must look like 4x1000, got '{resample}'",
                                     param_hint="--resample") from None
        result = resample_posterior(result, chains, draws)
    names = scenario or ["full-withdrawal", "mansfield-1971-europe"]
    echo_json([time_scenario(result, n, repeats=repeats) for n in names])
