"""`bayes-alliance data ...`: validate, describe and build panels."""

from __future__ import annotations

from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.

app = typer.Typer(help="Validate, describe and build ally-year panels.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("validate")
@handle_errors
def validate(
    path: Path = typer.Argument(..., help="Panel file (CSV or Parquet) to check."),
    drop_missing: bool = typer.Option(False, "--drop-missing",
                                      help="Drop rows with missing covariates instead of failing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Check a panel file against the data contract; exit 1 listing every problem."""
    from bayes_alliance.data.load import load_panel

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
    drop_missing: bool = typer.Option(False, "--drop-missing",
                                      help="Drop rows with missing covariates instead of failing."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Describe a panel: rows, missing counts and provenance.

    For the real panel also every column's unit, source, construction and coverage
    (the codebook's table).
    """
    from bayes_alliance.data.build_codebook import column_table
    from bayes_alliance.data.load import load_panel

    panel = load_panel(source, drop_missing=drop_missing)
    summary = panel.overview()
    columns = column_table(panel.frame) if source == "real" else []
    if as_json:
        echo_json({**summary, "columns": columns})
        return
    typer.echo(format_overview(summary))
    if columns:
        typer.echo(format_columns(columns))


def format_columns(columns: list[dict[str, str]]) -> str:
    """Plain-text rendering of :func:`~bayes_alliance.data.build_codebook.column_table`."""
    lines = ["  columns (data/codebook.md has the full table):"]
    for c in columns:
        lines.append(f"    {c['column']} [{c['unit']}]: {c['meaning']}")
        lines.append(f"      source: {c['source']}")
        lines.append(f"      construction: {c['construction']}")
        lines.append(f"      coverage: {c['coverage']}")
    return "\n".join(lines)


def format_overview(summary: dict) -> str:
    """Plain-text rendering of :meth:`Panel.overview`."""
    lines = [
        f"panel: {summary['source']}",
        f"  {summary['n_rows']} ally-years, {summary['n_allies']} allies, "
        f"{summary['first_year']}-{summary['last_year']}"
        + (f" ({summary['dropped_rows']} rows with missing covariates dropped)"
           if summary.get("dropped_rows") else ""),
    ]
    if summary["synthetic_outcomes"]:
        lines.append("  NOTE: outcomes are SYNTHETIC (simulated from the joint model with known "
                     "parameters); use --data real for the panel built from public sources")
    lines.append("  missing values per column:")
    for col, n in summary["missing"].items():
        share = n / summary["n_rows"] if summary["n_rows"] else 0.0
        lines.append(f"    {col:<20} {n:>6}  ({share:.0%})")
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
    from bayes_alliance.synthetic import write_default_panel

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


@app.command("build")
@handle_errors
def build(
    out: Path = typer.Option(..., "--out", help="CSV file to write the built panel to."),
    source_dir: Path | None = typer.Option(
        None, "--source-dir",
        help="Folder holding the source files of data/sources.toml (default: "
             "BAYES_ALLIANCE_DATA_DIR, then the cache / BAYES_ALLIANCE_DATA_URL mirror)."),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Text corpus to measure reassure/exposure from."),
    force: bool = typer.Option(False, "--force", help="Replace the file --out if it exists "
                                                      "(never an input file)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Build the real ally-year panel (1950-2010) from public sources and write it as CSV.

    OUT.json beside it records the provenance (version, code and source hashes,
    per-column source). `data ship` writes the shipped panel and the codebook.
    """
    from bayes_alliance.data.build import build_panel, write_panel
    from bayes_alliance.data.panel import validate_frame
    from bayes_alliance.io import check_output_file

    check_output_file(out, force=force, inputs=[corpus])
    frame = build_panel(source_dir, corpus)
    panel = validate_frame(frame, source="real", notes=tuple(frame.attrs.get("notes", ())))
    write_panel(frame, out, force=force)
    f = panel.frame
    summary = {
        "out": str(out),
        "rows": int(len(f)),
        "allies": int(f["ally"].nunique()),
        "years": int(f["year"].nunique()),
        "first_year": int(f["year"].min()),
        "last_year": int(f["year"].max()),
        "missing": {c: int(f[c].isna().sum()) for c in f.columns},
        "milex_source": {str(k): int(v) for k, v in
                         f["milex_source"].value_counts(dropna=False).items()},
        "notes": list(panel.notes),
    }
    if as_json:
        echo_json(summary)
    else:
        typer.echo(f"wrote {out}: {summary['rows']} ally-years, {summary['allies']} allies, "
                   f"{summary['first_year']}-{summary['last_year']}")


@app.command("ship")
@handle_errors
def ship(
    source_dir: Path = typer.Option(
        ..., "--source-dir",
        help="Folder holding the source files of data/sources.toml (checked by SHA-256)."),
) -> None:
    """Rebuild the shipped real panel: data/real_panel.csv, data/real_panel.json, data/codebook.md.

    One command after any change to the builder, the fact tables or the sources;
    the shared_data tests check that the shipped files equal a fresh build.
    """
    from bayes_alliance.data.build import build_panel, shipped_paths, write_panel
    from bayes_alliance.data.build_codebook import missing_entries, write_codebook
    from bayes_alliance.data.panel import validate_frame
    from bayes_alliance.errors import DataSourceError

    frame = build_panel(source_dir)
    validate_frame(frame, source="real", notes=tuple(frame.attrs.get("notes", ())))
    undocumented = missing_entries(frame)
    if undocumented:
        raise DataSourceError(f"columns {undocumented} are not described in the codebook; add "
                              f"them to ENTRIES in bayes_alliance/data/build_codebook.py")
    csv, meta = write_panel(frame, shipped_paths()[0], force=True)
    book = write_codebook(frame, source_dir)
    typer.echo(f"wrote {csv}, {meta} and {book}: {len(frame)} ally-years")
