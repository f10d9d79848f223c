"""`bayes-alliance theory ...`: the formal model, its hypotheses and the priors it implies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bayes_alliance.cli._common import echo_json, handle_errors

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.

app = typer.Typer(help="The formal bargaining model: equilibrium, hypotheses, theory priors.",
                  no_args_is_help=True, rich_markup_mode=None)


def _opt(default: float, text: str) -> Any:
    return typer.Option(default, help=text, show_default=True)


@app.command("solve")
@handle_errors
def solve(
    threat: float = _opt(0.4, "Threat tau (> 0)."),
    protection_value: float = _opt(1.0, "Value of protection V (> 0)."),
    effort_cost: float = _opt(1.0, "Ally's marginal cost of effort c (> 0)."),
    outside_option: float = _opt(0.4, "Outside option o, share of tau*V (exit credibility)."),
    exit_noise: float = _opt(0.1, "Scale s of the ally's logistic outside-option shock (> 0)."),
    exit_cost: float = _opt(2.0, "Patron's cost of the ally's exit kappa (>= 0)."),
    burden_weight: float = _opt(0.5, "Patron's weight on burden-sharing lambda (>= 0)."),
    reassurance_cost: float = _opt(0.05, "Patron's marginal cost of reassurance psi (> 0)."),
    retrench: float = _opt(0.4, "Patron's retrenchment pressure rho in [0, 1]."),
    credibility: float = _opt(0.6, "Share theta of protection withheld per unit rho, [0, 1]."),
    baseline_belief: float = _opt(0.3, "Belief p0 in protection without reassurance, [0, 1)."),
    troops: float = _opt(0.3, "Patron troops T on the ally's soil (>= 0)."),
    conditional: bool = typer.Option(False, "--conditional/--unconditional",
                                     help="Whether reassurance is conditional on effort."),
    statics: bool = typer.Option(False, "--statics",
                                 help="Also show derivatives of r*, b*, q* in each primitive."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Solve the game at the given primitives and show the equilibrium."""
    from bayes_alliance.theory.game import solve_equilibrium
    from bayes_alliance.theory.primitives import PRIMITIVE_NAMES, Primitives
    from bayes_alliance.theory.statics import comparative_statics

    prims = Primitives(
        threat=threat, protection_value=protection_value, effort_cost=effort_cost,
        outside_option=outside_option, exit_noise=exit_noise, exit_cost=exit_cost,
        burden_weight=burden_weight, reassurance_cost=reassurance_cost, retrench=retrench,
        credibility=credibility, baseline_belief=baseline_belief, troops=troops,
        conditional=conditional)
    eq = solve_equilibrium(prims)
    payload: dict[str, Any] = {
        "primitives": {k: v.item() for k, v in prims.to_dict().items()},
        "equilibrium": {k: v.item() for k, v in eq.to_dict().items() if k != "conditional"},
    }
    if statics:
        st = comparative_statics(prims, scale="natural",
                                 quantities=("reassurance", "effort", "exit"))
        payload["statics"] = {f"d {q} / d {d}": float(v) for (q, d), v in st.derivatives.items()}
    if as_json:
        echo_json(payload)
        return
    typer.echo(f"equilibrium ({'conditional' if conditional else 'unconditional'} reassurance)")
    for k, v in payload["equilibrium"].items():
        typer.echo(f"  {k:<16}{v:>10.4f}")
    if statics:
        typer.echo("\n  derivative (natural scale)      reassurance    effort      exit")
        for name in PRIMITIVE_NAMES:
            row = [payload["statics"][f"d {q} / d {name}"] for q in ("reassurance", "effort",
                                                                       "exit")]
            typer.echo(f"  {name:<30}" + "".join(f"{v:>12.4f}" for v in row))


@app.command("hypotheses")
@handle_errors
def hypotheses(
    draws: int = typer.Option(4000, help="Prior draws per regime."),
    seed: int = typer.Option(20180501, help="Seed of the prior draws."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """List the hypotheses with predicted signs and the signs the solver computes."""
    from bayes_alliance.theory.hypotheses import check_hypotheses

    checks = [c.to_dict() for c in check_hypotheses(draws=draws, random_seed=seed)]
    if as_json:
        echo_json(checks)
        return
    sign = {1: "+", -1: "-", 0: "0"}
    typer.echo(f"{'id':<5}{'outcome':<14}{'driver':<26}{'regime':<14}{'pred':>5}{'comp':>5}"
               f"{'share':>7}  {'coefficient':<38}statement")
    for c in checks:
        typer.echo(f"{c['id']:<5}{c['outcome']:<14}{c['driver']:<26}{c['regime']:<14}"
                   f"{sign[c['predicted_sign']]:>5}{sign[c['computed_sign']]:>5}"
                   f"{c['share_among_responsive']:>7.2f}  {c['coefficient'] or '-':<38}"
                   f"{c['statement']}")
    failing = [c["id"] for c in checks if not c["holds"]]
    typer.echo("\nshare: draws with the predicted sign among draws that respond. "
               + (f"NOT holding: {', '.join(failing)}" if failing else "All hypotheses hold."))


@app.command("priors")
@handle_errors
def priors(
    confidence: float = typer.Option(1.0, help="Divides the prior sd; < 1 widens it."),
    seed: int = typer.Option(20180501, help="Seed of the primitive draws."),
    draws: int = typer.Option(100_000, help="Primitive draws (a multiple of --worlds)."),
    worlds: int = typer.Option(200, help="Populations the draws are split into."),
    out: Path = typer.Option(None, help="Write the prior set here (TOML); without it, only show."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Derive the theory prior set from the game; show it, or write it with --out.

    Regenerate the shipped set with: --out models/priors/theory.toml --force
    """
    from bayes_alliance.theory.priors import derive_priors, write_priors

    tp = derive_priors(seed=seed, draws=draws, worlds=worlds, confidence=confidence)
    written = str(write_priors(out, force=force, priors=tp)) if out is not None else None
    if as_json:
        echo_json({"settings": tp.settings, "written": written,
                   "coefficients": [c.to_dict() for c in tp.coefficients]})
        return
    typer.echo(f"theory priors: seed {seed}, {draws} draws in {worlds} worlds, "
               f"confidence {confidence:g}")
    typer.echo(f"  {'coefficient':<44}{'mean':>8}{'sd':>8}{'prior sd':>10}  hypothesis")
    for c in tp.coefficients:
        typer.echo(f"  {c.selector:<44}{c.mean:>8.3f}{c.sd:>8.3f}{c.sigma:>10.3f}  "
                   f"{c.hypothesis or '- (weak prior)'}")
    typer.echo(f"wrote {written}" if written else "(not written; pass --out PATH to write)")


@app.command("figure")
@handle_errors
def figure(
    out: Path = typer.Option(..., help="PNG file to write."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Draw the comparative-statics figure (reassurance, effort, exit vs o and tau)."""
    from bayes_alliance.io import check_output_file, write_with
    from bayes_alliance.theory.plots import plot_statics

    check_output_file(out, force=force)
    fig = plot_statics()
    path = write_with(out, lambda tmp: fig.savefig(tmp, format="png", dpi=120), force=force)
    if as_json:
        echo_json({"written": str(path)})
    else:
        typer.echo(f"wrote {path}")
