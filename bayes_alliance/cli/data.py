"""`bayes-alliance data ...`: validate, describe and build panels."""

from __future__ import annotations

from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors

app = typer.Typer(help="Validate, describe and build ally-year panels.", no_args_is_help=True)


@app.command("validate")
@handle_errors
def validate(
    path: Path = typer.Argument(..., help="Panel file (CSV or Parquet) to check."),
    drop_missing: bool = typer.Option(False, "--drop-missing",
                                      help="Drop rows with missing covariates instead of failing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Check a panel file against the data contract; exit 1 listing every problem."""
    from bayes_alliance.data.panel import load_panel

    panel = load_panel(path, drop_missing=drop_missing)
    summary = {"valid": True, **panel.overview()}
    if as_json:
        echo_json(summary)
    else:
        typer.echo(f"{path}: valid panel, {summary['n_rows']} rows, {summary['n_allies']} allies, "
                   f"{summary['first_year']}-{summary['last_year']}"
                   + (f", {panel.dropped_rows} rows dropped for missing covariates"
                      if panel.dropped_rows else ""))


@app.command("info")
@handle_errors
def info(
    source: str = typer.Argument("default", help="'default', 'real', or a panel file path."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Describe a panel: allies, years, rows, per-column missing counts, provenance."""
    from bayes_alliance.data.panel import load_panel

    panel = load_panel(source)
    summary = panel.overview()
    if as_json:
        echo_json(summary)
        return
    typer.echo(format_overview(summary))


def format_overview(summary: dict) -> str:
    """Plain-text rendering of :meth:`Panel.overview`."""
    lines = [
        f"panel: {summary['source']}",
        f"  {summary['n_rows']} ally-years, {summary['n_allies']} allies, "
        f"{summary['first_year']}-{summary['last_year']}",
    ]
    if summary["synthetic_outcomes"]:
        lines.append("  NOTE: outcomes are SYNTHETIC (simulated from the joint model with known "
                     "parameters); use --data real for the panel built from public sources")
    lines.append("  missing values per column:")
    for col, n in summary["missing"].items():
        share = n / summary["n_rows"] if summary["n_rows"] else 0.0
        lines.append(f"    {col:<14} {n:>6}  ({share:.0%})")
    for note in summary["notes"]:
        lines.append(f"  {note}")
    return "\n".join(lines)


@app.command("regenerate-default")
@handle_errors
def regenerate_default(
    out_dir: Path = typer.Option(None, help="Folder to write into (default: the package's "
                                            "data/ folder)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the existing files."),
) -> None:
    """Redraw the default panel from the joint model at its known true parameters."""
    from bayes_alliance.data.default import write_default_panel

    panel_path, truth_path = write_default_panel(out_dir, force=force)
    typer.echo(f"wrote {panel_path} and {truth_path}")


@app.command("codes")
@handle_errors
def codes(
    as_json: bool = typer.Option(False, "--json", help="Print the codes as JSON."),
) -> None:
    """List the valid ally codes (Correlates of War state abbreviations and codes)."""
    from bayes_alliance.data.panel import cow_codes

    table = cow_codes()
    if as_json:
        echo_json(table.to_dict(orient="records"))
        return
    for row in table.itertuples():
        typer.echo(f"{row.abbrev:<5}{row.ccode:>5}  {row.name}")
