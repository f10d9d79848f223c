"""`bayes-alliance demo`: the quickstart on the shipped default panel."""

from __future__ import annotations

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, is_terminal

#: quick settings: enough for a readable summary in about a minute on 2 cores
DEMO_SETTINGS = {"draws": 300, "tune": 400, "chains": 2, "random_seed": 1}


@handle_errors
def demo(
    data: str = typer.Option("default", help="'default' (synthetic outcomes) or 'real'."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Validate the default panel, fit the joint model with quick settings, print the summary."""
    from bayes_alliance.cli.data import format_overview
    from bayes_alliance.cli.fit import fit_summary, format_fit_summary, quiet_pymc, warn_problems
    from bayes_alliance.data.panel import load_panel
    from bayes_alliance.models.model import AllianceModel

    quiet_pymc(verbose=False)
    panel = load_panel(data)
    if not as_json:
        typer.echo(format_overview(panel.overview()))
        typer.echo(f"\nfitting the joint model ({DEMO_SETTINGS['chains']} chains x "
                   f"{DEMO_SETTINGS['draws']} draws; the first run compiles for about a "
                   "minute)...", err=True)
    model = AllianceModel.from_spec("joint", panel)
    result = model.fit(**DEMO_SETTINGS, progressbar=is_terminal())
    summary = fit_summary(result)
    if as_json:
        echo_json({"panel": panel.overview(), "fit": summary})
        return
    typer.echo("")
    typer.echo(format_fit_summary(summary))
    warn_problems(summary, strict=False)
