"""`bayes-alliance demo`: the quickstart on the shipped default panel."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from bayes_alliance.cli._common import echo_json, handle_errors, is_terminal

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.

#: quick settings that still converge on the default panel (R-hat <= 1.01, ESS >= 400,
#: no divergences with this seed); measured in the README's Quickstart
DEMO_SETTINGS = {"draws": 1800, "tune": 800, "chains": 2, "random_seed": 1}
#: the counterfactual shown in the demo report
DEMO_SCENARIO = "carter-1977-korea"
#: recorded in the run's ``info`` so that a later demo may replace its own run file
MADE_BY = "bayes-alliance demo"


def demo_owned(path: Path) -> bool:
    """Whether ``path`` is a run file that ``bayes-alliance demo`` wrote.

    Reads only the run's metadata attributes; any unreadable or foreign file is
    not the demo's.
    """
    import xarray as xr

    from bayes_alliance.results import META_GROUP

    try:
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            info = json.loads(tree[META_GROUP].attrs["info"])
    except Exception:  # noqa: BLE001 - whatever the file is, it is not a demo run
        return False
    return isinstance(info, dict) and info.get("made_by") == MADE_BY


def check_run_target(path: Path, force: bool) -> None:
    """Refuse to replace a file at ``path`` that the demo did not write, unless ``force``."""
    from bayes_alliance.errors import ResultError

    if path.is_dir():
        raise ResultError(f"--run {path} is a folder; give a file name such as runs/demo.nc")
    if path.exists() and not force and not demo_owned(path):
        raise ResultError(f"{path} exists and was not written by `bayes-alliance demo`; "
                          "it is left alone. Move it, choose another file with --run, or "
                          "pass --force to replace it")


def next_steps(run: Path) -> list[str]:
    """The three commands a user can try after the demo, on its saved run."""
    return [
        f"bayes-alliance report {run} --out reports/demo-run      # the full HTML report",
        f"bayes-alliance scenario {run} --scenario nixon-1971-korea   # another episode",
        "bayes-alliance fit --data default --spec joint --out runs/joint.nc   # a full fit "
        "(4 chains x 1000 draws)",
    ]


@handle_errors
def demo(
    data: str = typer.Option("default", help="'default' (synthetic outcomes) or 'real'."),
    out: Path = typer.Option(Path("reports/demo"), help="Folder of the HTML report "
                                                        "(replaced if it exists)."),
    run: Path = typer.Option(Path("runs/demo.nc"), help="Save the fitted run here, for "
                                                        "`report` and `scenario`."),
    force: bool = typer.Option(False, "--force", help="Replace --run even if a previous "
                                                      "demo did not write it."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Fit the joint model on the default panel with quick settings, save it and report.

    With --data real the shipped real panel (data/real_panel.csv, no network) is
    used and the joint-real spec is fitted. Validates the panel, prints its
    overview, fits (2 chains x 1800 draws), saves the run (RUN, default
    runs/demo.nc), prints the posterior summary and the Carter 1977 Korea
    withdrawal scenario's effects, and writes OUT/index.html.
    """
    from bayes_alliance.cli.data import format_overview
    from bayes_alliance.cli.fit import format_fit_summary, quiet_pymc, warn_problems
    from bayes_alliance.cli.scenario import _fmt as format_effect
    from bayes_alliance.data.load import load_panel
    from bayes_alliance.fit import fit_model
    from bayes_alliance.models.model import AllianceModel
    from bayes_alliance.report import write_report
    from bayes_alliance.results import fit_summary
    from bayes_alliance.scenarios import run_scenario

    check_run_target(run, force)
    quiet_pymc(verbose=False)

    def say(message: str) -> None:
        if not as_json:
            typer.echo(message, err=True)

    panel = load_panel(data)
    if not as_json:
        typer.echo(format_overview(panel.overview()))
    say(f"\nfitting the joint model ({DEMO_SETTINGS['chains']} chains x "
        f"{DEMO_SETTINGS['draws']} draws after {DEMO_SETTINGS['tune']} tuning steps)")
    model = AllianceModel.from_spec("joint-real" if data == "real" else "joint", panel)
    result = fit_model(model, **DEMO_SETTINGS, progressbar=is_terminal() and not as_json,
                       progress=say)
    result.info["made_by"] = MADE_BY
    result.save(run, force=True)
    summary = fit_summary(result)
    if not as_json:
        typer.echo("")
        typer.echo(format_fit_summary(summary))
        typer.echo(f"\nsaved the run: {run}")
    say(f"\nscenario {DEMO_SCENARIO} and the report...")
    scenario = run_scenario(result, DEMO_SCENARIO)
    report_dir = write_report(result, out, force=True, scenarios=[scenario])
    index = (report_dir / "index.html").resolve()
    effects = scenario.aggregate()
    if as_json:
        echo_json({"panel": panel.overview(), "fit": summary, "run": str(run),
                   "scenario": {"name": scenario.name,
                                "effects": effects.to_dict(orient="records")},
                   "report": str(index)})
        return
    years = f"{int(scenario.rows['year'].min())}-{int(scenario.rows['year'].max())}"
    allies = ", ".join(sorted(scenario.rows["ally"].unique()))
    typer.echo(f"\n{scenario.name} ({allies}, {years}): effect of the withdrawal, mean over "
               "ally-years with 90% intervals")
    for _, row in effects.iterrows():
        typer.echo(format_effect(row))
    for note in scenario.notes:
        say(f"note: {note}")
    warn_problems(summary, strict=False)
    typer.echo(f"\nreport: {index}")
    typer.echo("next, try:")
    for line in next_steps(run):
        typer.echo(f"  {line}")
