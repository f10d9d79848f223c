"""`bayes-alliance fit`: sample a model and save the run."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from bayes_alliance.cli._common import SPEC_NAMES, echo_json, handle_errors, is_terminal
from bayes_alliance.constants import MAX_RESTARTS
from bayes_alliance.convergence import advice, describe_restarts

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.
from bayes_alliance.io import check_output_file


def _number(x: float | None, width: int) -> str:
    """``x`` to 3 decimals, or '-' where the summary has None (e.g. R-hat of one chain)."""
    return f"{x:>{width}.3f}" if x is not None else f"{'-':>{width}}"


def format_fit_summary(summary: dict[str, Any]) -> str:
    """Plain-text rendering of :func:`~bayes_alliance.results.fit_summary`."""
    lines = [
        f"fit: spec {summary['spec']} ({summary['spec_hash']}), priors {summary['priors']}, "
        f"panel {summary['panel']}" + (" (SYNTHETIC outcomes)" if summary["synthetic_outcomes"]
                                       else ""),
        f"  sampler {summary['sampler']}: {summary['chains']} chains x {summary['draws']} draws "
        f"after {summary['tune']} tuning steps; compile {summary['compile_seconds']:.1f} s, "
        f"sampling {summary['sampling_seconds']:.1f} s",
        f"  divergences {summary['divergences']}, max R-hat {summary['max_rhat']}, "
        f"min ESS bulk {summary['min_ess_bulk']}, tail {summary['min_ess_tail']}",
        *(f"  stuck-chain guard, {line}" for line in describe_restarts(summary["restarts"])),
        "",
        f"  {'parameter':<42}{'mean':>8}{'sd':>8}{'5%':>8}{'95%':>8}{'R-hat':>7}",
    ]
    for name, p in summary["parameters"].items():
        lines.append(f"  {name:<42}" + "".join(_number(p[k], w) for k, w in (
            ("mean", 8), ("sd", 8), ("lo", 8), ("hi", 8), ("r_hat", 7))))
    if summary.get("structural_hypotheses"):
        lines += ["", "  structural hypotheses (contrast of the re-solved game: mean [90%], "
                      "P(predicted sign))"]
        lines += [f"  {h['id']} {h['quantity']:<12}{h['mean']:>8.3f} [{h['lo']:.3f}, "
                  f"{h['hi']:.3f}]  P = {h['p_predicted']:.3f}  {h['statement']}"
                  for h in summary["structural_hypotheses"]]
    return "\n".join(lines)


def warn_problems(summary: dict[str, Any], strict: bool) -> None:
    """Print the trouble in a :func:`~bayes_alliance.results.fit_summary`; ``strict``: exit 1.

    This replaces the API's :class:`~bayes_alliance.errors.ConvergenceWarning`,
    which the CLI silences (see :func:`bayes_alliance.cli._common.handle_errors`).
    """
    if summary["ok"]:
        return
    typer.echo("warning: sampler trouble: " + "; ".join(summary["problems"]) + ". "
               + advice(cli=True) + ".", err=True)
    if strict:
        raise typer.Exit(code=1)


def quiet_pymc(verbose: bool) -> None:
    """Silence PyMC's INFO lines unless ``verbose``."""
    if not verbose:
        for name in ("pymc", "pymc.sampling", "pymc.stats"):
            logging.getLogger(name).setLevel(logging.WARNING)


@handle_errors
def fit(
    data: str = typer.Option("default", help="'default', 'real', or a panel CSV/Parquet path."),
    spec: str = typer.Option("joint", help=f"Shipped spec ({SPEC_NAMES}) or a TOML path; a "
                                           "joint-real* or the strategic spec for --data real."),
    priors: str = typer.Option(None, help="Prior set: weak, theory, skeptical or a TOML path "
                                          "(default: the spec's own)."),
    draws: int = typer.Option(1000, help="Posterior draws per chain."),
    tune: int = typer.Option(1000, help="Tuning steps per chain."),
    chains: int = typer.Option(4, help="Number of chains."),
    target_accept: float = typer.Option(0.9, help="NUTS target acceptance rate."),
    seed: int = typer.Option(1, help="Random seed (same seed + sampler = same draws)."),
    sampler: str = typer.Option("nutpie", help="nutpie (default), pymc, or numpyro."),
    drop_missing: bool = typer.Option(False, "--drop-missing",
                                      help="Drop rows with missing covariates instead of failing "
                                           "(the count is printed)."),
    out: Path = typer.Option(None, help="Save the run here (NetCDF, e.g. runs/joint.nc)."),
    force: bool = typer.Option(False, "--force", help="Replace the run file --out if it exists "
                                                      "(never an input file)."),
    strict: bool = typer.Option(False, "--strict",
                                help="Exit 1 on divergences, R-hat > 1.01 or ESS < 400."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    verbose: bool = typer.Option(False, "--verbose", help="Show PyMC's log lines."),
    max_restarts: int = typer.Option(MAX_RESTARTS, min=0,
                                     help="Rounds of re-running a chain stuck far below the "
                                          "others (0: off); each is reported."),
    init: str = typer.Option("default", help="Chains' start: 'default' (the model's initial "
                                              "point, jittered) or 'mode' (the main posterior "
                                              "mode, found by climbing from the initial point "
                                              "and from its sign-reversed mirror image; for "
                                              "statements-only specs under weak priors)."),
) -> None:
    """Fit a model with NUTS and print its summary (and save it with --out)."""
    from bayes_alliance.data.load import load_panel
    from bayes_alliance.fit import fit_model
    from bayes_alliance.models.model import AllianceModel
    from bayes_alliance.results import fit_summary

    if out is not None:
        check_output_file(out, force=force, inputs=[data, spec, priors])
    quiet_pymc(verbose)
    panel = load_panel(data, drop_missing=drop_missing)
    model = AllianceModel.from_spec(spec, panel, priors)
    if not as_json:
        dropped = (f", {panel.dropped_rows} rows with missing covariates dropped"
                   if panel.dropped_rows else "")
        typer.echo(f"fitting spec '{model.spec.name}' on {model.panel.source} "
                   f"({len(model.panel.frame)} ally-years{dropped}) with {sampler}...", err=True)
    result = fit_model(model, draws=draws, tune=tune, chains=chains,
                       target_accept=target_accept, sampler=sampler, random_seed=seed,
                       progressbar=is_terminal(), max_restarts=max_restarts, init=init,
                       progress=None if as_json else lambda msg: typer.echo(msg, err=True))
    if out is not None:
        result.save(out, force=force)
    summary = fit_summary(result)
    summary["out"] = str(out) if out is not None else None
    if as_json:
        echo_json(summary)
    else:
        typer.echo(format_fit_summary(summary))
        if out is not None:
            typer.echo(f"\nsaved: {out}")
    warn_problems(summary, strict)
