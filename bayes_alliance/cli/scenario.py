"""`bayes-alliance scenario`: counterfactual withdrawal scenarios on a saved run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, load_run

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """``"us_troops.scale=0,0.5,1"`` -> (``"us_troops.scale"``, [0.0, 0.5, 1.0])."""
    from bayes_alliance.errors import ScenarioError
    from bayes_alliance.scenarios.definition import parse_key

    key, sep, grid = text.partition("=")
    if not sep:
        raise ScenarioError(f"--sweep must look like us_troops.scale=0,0.5,1, got '{text}'")
    parse_key(key.strip())
    try:
        values = [float(v) for v in grid.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(f"--sweep values must be comma-separated numbers, got '{grid}'"
                            ) from None
    if not values:
        raise ScenarioError(f"--sweep needs at least one value after '=', got '{text}'")
    return key.strip(), values


def _fmt(row: Any) -> str:
    unit = "" if row["unit"] == "probability" else f" {row['unit']}"
    return (f"  {row['label']:<32} factual {row['factual_mean']:.4g}, counterfactual "
            f"{row['counterfactual_mean']:.4g}, effect {row['effect_mean']:+.4g}{unit} "
            f"[{row['effect_lo']:+.4g}, {row['effect_hi']:+.4g}], "
            f"P(increase) {row['p_increase']:.2f}")


@handle_errors
def scenario(
    run: Path = typer.Argument(..., help="Saved run (RUN.nc from `bayes-alliance fit --out`)."),
    scenario: str = typer.Option(..., "--scenario", "-s",
                                 help="Preset name (e.g. carter-1977-korea) or a TOML file."),
    ally: list[str] | None = typer.Option(None, "--ally",
                                          help="Ally code or group (nato, asia, nato&europe, "
                                               "...) replacing the scenario's; repeatable."),
    start: int | None = typer.Option(None, "--start",
                                     help="First year of the intervention, replacing the "
                                          "scenario's (e.g. for a panel that starts later)."),
    sweep: str | None = typer.Option(None, "--sweep",
                                     help="Dose-response grid instead of the single scenario, "
                                          "e.g. us_troops.scale=0,0.25,0.5,0.75,1."),
    out: Path | None = typer.Option(None, "--out",
                                    help="Folder for summary CSV, JSON and PNG figures."),
    force: bool = typer.Option(False, "--force", help="Replace the scenario's own files in "
                                                      "--out (other files are left alone)."),
    identification: Path | None = typer.Option(
        None, "--identification",
        help="summary.json of a robustness grid (e.g. reports/replication/robustness/"
             "summary.json): label each driving coefficient identified / not identified."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Evaluate a counterfactual scenario (factual vs intervened inputs) on a saved run.

    Effects are counterfactual minus factual, per posterior draw, on each outcome's
    natural scale (military spending: median, % of GDP; participation and exit:
    probabilities; reassurance: statements per mention), with 90% intervals. The
    coefficients the effects act through are listed with their identification
    label when --identification is given ("unchecked" otherwise).
    """
    from bayes_alliance.errors import ScenarioError
    from bayes_alliance.scenarios import load_scenario, run_scenario
    from bayes_alliance.scenarios import sweep as run_sweep
    from bayes_alliance.scenarios.drivers import read_identification
    from bayes_alliance.scenarios.result import check_outputs

    scen = load_scenario(scenario)
    grid = parse_sweep(sweep) if sweep else None
    if grid is not None and identification is not None:
        raise ScenarioError("--identification labels the coefficients a single scenario rests "
                            "on; a --sweep lists none, so drop one of the two options")
    labels = read_identification(identification) if identification is not None else None
    if out is not None:
        names = (("sweep.csv", "sweep.json") if grid
                 else ("summary.csv", "drivers.csv", "scenario.json"))
        check_outputs(out, names, force=force, inputs=[run])
    result = load_run(run)
    allies = list(ally) if ally else None
    if grid is not None:
        sw = run_sweep(result, scen, grid[0], grid[1], allies=allies, start=start)
        written = sw.save(out, force=force, inputs=[run]) if out is not None else {}
        if as_json:
            echo_json({**sw.to_json(), "written": [str(out / p) for p in written]})
            return
        typer.echo(f"{sw.name}: sweep of {sw.key} (mean effect over the scenario's "
                   "ally-years, 90% interval)")
        for value in sw.values:
            typer.echo(f"{sw.key} = {value:g}")
            for _, row in sw.table[sw.table["value"] == value].iterrows():
                typer.echo(_fmt(row))
    else:
        res = run_scenario(result, scen, allies=allies, start=start, identification=labels)
        written = res.save(out, force=force, inputs=[run]) if out is not None else {}
        if as_json:
            echo_json({**res.to_json(), "written": [str(out / p) for p in written]})
            return
        years = f"{int(res.rows['year'].min())}-{int(res.rows['year'].max())}"
        allies_run = sorted(res.rows["ally"].unique())
        typer.echo(f"{res.name}: {len(allies_run)} allies ({', '.join(allies_run[:12])}"
                   f"{' ...' if len(allies_run) > 12 else ''}), {years}, {res.n_draws} draws; "
                   "mean over ally-years, 90% intervals")
        for _, row in res.aggregate().iterrows():
            typer.echo(_fmt(row))
        if not res.drivers.empty:
            typer.echo("driven by (posterior mean [90% interval], P > 0; observational "
                       "coefficients):")
            for _, d in res.drivers.iterrows():
                typer.echo(f"  {d['coefficient']:<40} {d['mean']:+.3g} [{d['lo']:+.3g}, "
                           f"{d['hi']:+.3g}], P>0 {d['p_positive']:.2f}, {d['channel']}; "
                           f"identification: {d['identification']}")
        for note in res.notes:
            typer.echo(f"note: {note}", err=True)
    if out is not None:
        typer.echo(f"wrote {len(written)} files to {out}")
