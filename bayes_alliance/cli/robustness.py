"""`bayes-alliance robustness`: fit the declared grid on Dask and write the robustness table."""

from __future__ import annotations

import typer

from bayes_alliance.cli._common import echo_json, handle_errors
from bayes_alliance.cli.fit import quiet_pymc


@handle_errors
def robustness(
    grid: str = typer.Option("real", help="Robustness grid: a name shipped in "
                                          "models/robustness/ or a TOML path."),
    scheduler: str | None = typer.Option(None, help="Address of a running Dask scheduler "
                                                    "(default: a local cluster)."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
    verbose: bool = typer.Option(False, "--verbose", help="Show PyMC's log lines."),
) -> None:
    """Fit (or reuse) every cell of a grid (specs x prior sets x panels) in parallel on Dask.

    Writes, per hypothesis and cell, P(predicted sign), the prior-only P(sign),
    ArviZ's power-scaling prior-sensitivity / prior-data-conflict flag and a
    verdict (supported / contradicted / not identified / prior-driven /
    inconclusive, rules in the output), plus the identification table. Cells
    whose saved run matches are reused, so an interrupted grid resumes.
    """
    from bayes_alliance.robustness import load_grid, run_grid

    quiet_pymc(verbose)
    summary = run_grid(grid, scheduler=scheduler, log=lambda line: typer.echo(line, err=True))
    if as_json:
        echo_json(summary)
        return
    cfg = load_grid(grid)
    fitted = sum(c["status"] == "fitted" for c in summary["cells"])
    troubled = [c["name"] for c in summary["cells"] if not c["diagnostics"]["ok"]]
    typer.echo(f"{len(summary['cells'])} cells ({fitted} fitted, "
               f"{len(summary['cells']) - fitted} reused) in {summary['wall_seconds']} s")
    for hid, verdict in summary["verdicts"].items():
        if verdict != "not estimated":
            typer.echo(f"{hid}: {verdict}")
    typer.echo(f"wrote {cfg.out}/robustness.md, robustness.csv, robustness.json, summary.json"
               + (", identification.md, identification.csv" if cfg.identification else ""))
    if troubled:
        typer.echo(f"warning: sampler trouble in {', '.join(troubled)}; see summary.json",
                   err=True)
