"""`bayes-alliance replicate`: rerun the declared real-data fits and stages, rewrite the table."""

from __future__ import annotations

from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors
from bayes_alliance.cli.fit import quiet_pymc


@handle_errors
def replicate(
    config: str = typer.Option("real", help="Replication config: a name shipped in "
                                            "models/replication/ or a TOML path."),
    readme: Path = typer.Option(Path("README.md"),
                                help="README whose marked table is replaced by hypotheses.md."),
    no_readme: bool = typer.Option(False, "--no-readme", help="Leave every README alone."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
    verbose: bool = typer.Option(False, "--verbose", help="Show PyMC's log lines."),
    skip: list[str] = typer.Option([], "--skip", help="A declared stage not to run this time "
                                                      "('robustness', 'out_of_sample' or "
                                                      "'scenarios'; repeatable): its columns "
                                                      "say 'not run'."),
    only: str | None = typer.Option(None, "--only", help="Run one long stage alone "
                                    "('robustness' or 'out_of_sample'): its committed output "
                                    "and key only, no fits, no table; a later full run reuses "
                                    "it while its inputs are unchanged."),
) -> None:
    """Fit (or reuse) the declared runs and stages; write the hypotheses table and README table.

    Stages (each only when the config declares it): the fits, the robustness
    grid ([robustness]), the out-of-sample checks ([out_of_sample]) and the
    withdrawal scenarios on the fits, their drivers labelled by the grid's
    identification verdicts ([scenarios]). Fits
    whose saved file matches the spec, prior set, panel, seed and settings are
    reused, so an interrupted replication resumes where it stopped. The table
    gives per hypothesis the grid's verdict, the robustness and the
    out-of-sample evidence ("not run" for a stage the config lacks).

    The robustness and out-of-sample stages keep their committed output while
    their inputs are unchanged, and `--only STAGE` runs one of them alone, so
    that a long stage can run in a session of its own: `replicate --only
    robustness` (hours on 2 cores), later `replicate`, which reuses it.
    """
    from bayes_alliance.pipeline import STAGES
    from bayes_alliance.pipeline import replicate as run_replication
    from bayes_alliance.replication import load_config

    quiet_pymc(verbose)
    summary = run_replication(config, readme=None if no_readme or only else readme,
                              log=lambda line: typer.echo(line, err=True), skip=tuple(skip),
                              only=only)
    if as_json:
        echo_json(summary)
        return
    out = load_config(config).out
    if only is not None:
        stage = summary["stages"][only]
        typer.echo(f"stage {only}: {stage['status']} ({stage['wall_seconds']} s when run); "
                   f"wrote {stage['out']}/ (a later `replicate` reuses it while its inputs "
                   "are unchanged)")
        return
    for r in summary["runs"]:
        d = r["diagnostics"]
        typer.echo(f"{r['name']}: {r['status']}, {d['divergences']} divergences, max R-hat "
                   f"{d['max_rhat']}, min ESS bulk {d['min_ess_bulk']}, sampling "
                   f"{r['sampling_seconds']} s")
    for name, stage in summary["stages"].items():
        typer.echo(f"stage {name}: {stage['status']}"
                   + (f" ({stage['wall_seconds']} s)" if "wall_seconds" in stage else ""))
    written = [key for key in STAGES if summary["stages"][key]["status"] == "run"]
    typer.echo(f"wrote {out}/hypotheses.md, hypotheses.csv, summary.json, runs/"
               + "".join(f", {key}/" for key in written)
               + ("" if no_readme else f"; updated {readme}"))
    if not summary["all_converged"]:
        typer.echo("warning: sampler trouble in some run; see summary.json 'problems'", err=True)
