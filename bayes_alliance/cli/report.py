"""`bayes-alliance report`: the HTML report of one or more saved runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, load_run
from bayes_alliance.io import check_output_dir

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.


def format_numbers(out: Path, numbers: dict[str, Any]) -> str:
    """Plain-text rendering of the report's headline numbers."""
    lines = [f"report written: {out / 'index.html'}"]
    for run, r in numbers["runs"].items():
        c = r["convergence"]
        verdict = "ok" if c["ok"] else "PROBLEMS: " + "; ".join(c["problems"])
        lines.append(f"  {run}: divergences {c['divergences']}, max R-hat {c['max_rhat']}, "
                     f"min ESS bulk {c['min_ess_bulk']}, tail {c['min_ess_tail']} ({verdict})")
        for outcome, v in r["loo"].items():
            lines.append(f"    LOO {outcome}: elpd {v['elpd']} (se {v['se']}), "
                         f"{v['k_above_good']} Pareto k above good_k, max k {v['max_k']}")
    for h in numbers["hypotheses"]:
        probs = ", ".join(f"{k} {'-' if p is None else p}" for k, p in h["probabilities"].items())
        lines.append(f"  {h['id']} {h['coefficient']} ({h['sign']}): P(sign) {probs}")
    for run, hyps in numbers.get("structural_hypotheses", {}).items():
        lines.extend(f"  {h['id']} ({run}, structural): contrast {h['mean']}, "
                     f"P(predicted) {h['p_predicted']}" for h in hyps)
    return "\n".join(lines)


def run_names(paths: list[Path]) -> list[str]:
    """Label runs by file name (``joint-weak.nc`` -> ``joint-weak``), by path if names repeat."""
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    labels = [str(p) for p in paths]
    return labels if len(set(labels)) == len(labels) else [f"{x} ({i + 1})"
                                                           for i, x in enumerate(labels)]


@handle_errors
def report(
    runs: list[Path] = typer.Argument(..., help="Saved runs (RUN.nc from `bayes-alliance fit "
                                                "--out`); the first is the primary one."),
    out: Path = typer.Option(..., "--out", help="Report folder, e.g. reports/joint."),
    force: bool = typer.Option(False, "--force", help="Replace --out if an earlier report "
                                                      "wrote it (never another folder)."),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", "-s", help="Scenario (preset name or TOML) to evaluate on the "
                                       "primary run and show in the report; repeatable. One "
                                       "with a [history] table (the Korea presets) is run on "
                                       "every run and set beside what happened."),
    identification: Path | None = typer.Option(
        None, "--identification",
        help="summary.json of a robustness grid: label the scenarios' driving coefficients "
             "identified / not identified."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary numbers as JSON."),
) -> None:
    """Write an HTML report (index.html, summary.md, figures/, tables/) of saved runs."""
    from bayes_alliance.diagnostics import require_groups
    from bayes_alliance.report import KIND, build_report
    from bayes_alliance.scenarios import load_scenario, run_scenario
    from bayes_alliance.scenarios.drivers import read_identification

    check_output_dir(out, kind=KIND, force=force, inputs=runs)
    scenarios = [load_scenario(s) for s in scenario or []]
    labels = read_identification(identification) if identification is not None else None
    results = []
    for path in runs:
        result = load_run(path)
        require_groups(result, where=f"run file {path}")
        results.append(result)
    if not as_json:
        typer.echo(f"writing the report of {len(results)} run(s) to {out} ...", err=True)
    named = dict(zip(run_names(runs), results, strict=True))
    evaluated = [run_scenario(results[0], s, identification=labels) for s in scenarios]
    # a scenario with a [history] is also asked of every other run, beside what happened
    comparisons = {
        sc.name: {name: (first if i == 0 else run_scenario(r, sc, identification=labels))
                  for i, (name, r) in enumerate(named.items())}
        for sc, first in zip(scenarios, evaluated, strict=True) if sc.history}
    folder, numbers = build_report(named, out, force=force, inputs=runs,
                                   scenarios=evaluated or None, comparisons=comparisons or None)
    if as_json:
        echo_json({"out": str(folder), **numbers})
    else:
        typer.echo(format_numbers(folder, numbers))
