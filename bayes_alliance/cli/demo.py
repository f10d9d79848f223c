"""`bayes-alliance demo`: the quickstart on the shipped default panel."""

from __future__ import annotations

from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, is_terminal

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.

#: quick settings: enough for a readable summary in about a minute on 2 cores
DEMO_SETTINGS = {"draws": 300, "tune": 600, "chains": 2, "random_seed": 1}
#: the counterfactual shown in the demo report
DEMO_SCENARIO = "carter-1977-korea"


@handle_errors
def demo(
    data: str = typer.Option("default", help="'default' (synthetic outcomes) or 'real'."),
    out: Path = typer.Option(Path("reports/demo"), help="Folder of the HTML report "
                                                        "(replaced if it exists)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Fit the joint model on the default panel with quick settings and write its report.

    With --data real the shipped real panel (data/real_panel.csv, no network) is
    used and the joint-real spec is fitted. Validates the panel, prints its
    overview, fits (2 chains x 300 draws), prints the posterior summary, runs
    the Carter 1977 Korea withdrawal scenario and writes OUT/index.html.
    """
    from bayes_alliance.cli.data import format_overview
    from bayes_alliance.cli.fit import fit_summary, format_fit_summary, quiet_pymc, warn_problems
    from bayes_alliance.data.load import load_panel
    from bayes_alliance.fit import fit_model
    from bayes_alliance.models.model import AllianceModel
    from bayes_alliance.report import write_report
    from bayes_alliance.scenarios import run_scenario

    quiet_pymc(verbose=False)
    panel = load_panel(data)
    if not as_json:
        typer.echo(format_overview(panel.overview()))
        typer.echo(f"\nfitting the joint model ({DEMO_SETTINGS['chains']} chains x "
                   f"{DEMO_SETTINGS['draws']} draws; the first run compiles for about a "
                   "minute)...", err=True)
    model = AllianceModel.from_spec("joint-real" if data == "real" else "joint", panel)
    result = fit_model(model, **DEMO_SETTINGS, progressbar=is_terminal())
    summary = fit_summary(result)
    if not as_json:
        typer.echo("")
        typer.echo(format_fit_summary(summary))
        typer.echo(f"\nscenario {DEMO_SCENARIO} and the report...", err=True)
    scenario = run_scenario(result, DEMO_SCENARIO)
    report_dir = write_report(result, out, force=True, scenarios=[scenario])
    index = (report_dir / "index.html").resolve()
    if as_json:
        echo_json({"panel": panel.overview(), "fit": summary, "report": str(index)})
        return
    if not summary["ok"]:
        typer.echo("note: the demo samples only 2 x 300 draws to stay quick; the ESS threshold "
                   "(400) is meant for full fits (bayes-alliance fit: 4 x 1000 draws).", err=True)
    warn_problems(summary, strict=False)
    typer.echo(f"\nreport: {index}")
