"""The ``bayes-alliance`` command line (typer).

Each verb lives in its own module; this file only assembles them. Heavy imports
(PyMC, ArviZ) happen inside the commands, so ``--help`` stays fast: those
function-level imports exist for start-up speed, not to dodge import cycles
(the import contract in pyproject.toml counts them like any other import).
"""

from __future__ import annotations

import typer

from bayes_alliance.cli import bench as bench_cli
from bayes_alliance.cli import data as data_cli
from bayes_alliance.cli import demo as demo_cli
from bayes_alliance.cli import fit as fit_cli
from bayes_alliance.cli import measure as measure_cli
from bayes_alliance.cli import replicate as replicate_cli
from bayes_alliance.cli import report as report_cli
from bayes_alliance.cli import robustness as robustness_cli
from bayes_alliance.cli import scenario as scenario_cli
from bayes_alliance.cli import theory as theory_cli
from bayes_alliance.cli import validate as validate_cli

app = typer.Typer(
    name="bayes-alliance",
    help=(
        "Bayesian models of patron reassurance and allied burden-sharing.\n\n"
        "Start with `bayes-alliance demo`; every verb has --help, and --json prints a "
        "machine-readable summary on stdout."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich mode shows flags as "--json <bool>"
    add_completion=False,
)
app.add_typer(data_cli.app, name="data")
app.add_typer(theory_cli.app, name="theory")
app.command("demo")(demo_cli.demo)
app.command("measure")(measure_cli.measure)
app.command("fit")(fit_cli.fit)
app.command("report")(report_cli.report)
app.command("replicate")(replicate_cli.replicate)
app.command("robustness")(robustness_cli.robustness)
app.command("scenario")(scenario_cli.scenario)
app.command("bench")(bench_cli.bench)
app.command("bench-measure")(bench_cli.bench_measure)
app.command("bench-scenario")(bench_cli.bench_scenario)
app.command("sbc")(validate_cli.sbc)
app.command("recovery")(validate_cli.recovery)
app.command("baseline")(validate_cli.baseline)
app.command("oos")(validate_cli.oos)


def main() -> None:
    """Console entry point."""
    app()
