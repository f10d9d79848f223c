"""`bayes-alliance demo`: the quickstart on the shipped default panel."""

from __future__ import annotations

import typer

from bayes_alliance.cli._common import echo_json, handle_errors


@handle_errors
def demo(
    data: str = typer.Option("default", help="'default' (synthetic outcomes) or 'real'."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Load and validate the default panel and print its overview."""
    from bayes_alliance.cli.data import format_overview
    from bayes_alliance.data.panel import load_panel

    panel = load_panel(data)
    if as_json:
        echo_json({"panel": panel.overview()})
        return
    typer.echo(format_overview(panel.overview()))
