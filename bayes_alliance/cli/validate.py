"""`bayes-alliance sbc | recovery | baseline | oos`: validation runs."""

from __future__ import annotations

from pathlib import Path

import typer

from bayes_alliance.cli._common import SPEC_NAMES, echo_json, handle_errors, is_terminal

# The verbs import the library inside their bodies so that `bayes-alliance --help`
# stays fast (PyMC/ArviZ load only when a verb runs); not to dodge import cycles.


def _command(name: str, options: dict[str, object], flags: tuple[str, ...] = ()) -> str:
    """The command line that reproduces a run (relative paths as given, no machine paths)."""
    parts = ["bayes-alliance", name]
    for key, value in options.items():
        if value is None:
            continue
        parts += [f"--{key}", str(value)]
    parts += list(flags)
    return " ".join(parts)


@handle_errors
def sbc(
    spec: str = typer.Option("joint", help=f"Shipped spec ({SPEC_NAMES}) or TOML."),
    priors: str = typer.Option("sbc", help="Prior set that both generates and fits the data "
                                           "(default 'sbc': weak with two tails trimmed)."),
    sims: int = typer.Option(200, help="Number of simulations (finished ones are reused)."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler "
                                             "(default: start a local cluster)."),
    workers: int = typer.Option(2, help="Worker processes of the local cluster."),
    out: Path = typer.Option(Path("reports/validation/sbc"), help="Output folder."),
    seed: int = typer.Option(2018, help="Run seed (simulation i uses a stream of it)."),
    skeleton: str = typer.Option("synthetic", help="Covariate skeleton: 'synthetic' (simulated "
                                                   "covariates) or 'real' (the real panel's "
                                                   "design: covariates and missingness)."),
    allies: str = typer.Option("10", help="Synthetic: number of allies (fixed order); real: "
                                          "comma-separated ally codes, e.g. ROK,JPN,FRN."),
    first_year: int = typer.Option(1962, help="First year of the skeleton."),
    years: int = typer.Option(18, help="Years in the skeleton."),
    draws: int = typer.Option(1000, help="Posterior draws per chain."),
    tune: int = typer.Option(500, help="Tuning steps per chain."),
    chains: int = typer.Option(2, help="Chains per fit."),
    ranks: int = typer.Option(99, help="L: draws kept after thinning (ranks in 0..L)."),
    target_accept: float = typer.Option(0.9, help="NUTS target acceptance rate."),
    centered: bool = typer.Option(None, "--centered/--non-centered",
                                  help="Override the spec's ally-effect parameterisation."),
    force: bool = typer.Option(False, "--force", help="Discard a run with other settings in OUT."),
    analyse_only: bool = typer.Option(False, "--analyse-only",
                                      help="Only (re)write the analysis of finished sims."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary on stdout."),
) -> None:
    """Simulation-based calibration: ranks of true parameters among posterior draws.

    Each simulation draws parameters from the prior, outcomes from the model on
    a small skeleton (ALLIES x YEARS; with --skeleton real the real panel's
    covariates and missingness pattern on the named allies, never its outcome
    values), fits with nutpie and ranks the truth among
    RANKS thinned draws. One Dask task per simulation; results stream to
    OUT/sims/ and a rerun resumes. Writes ranks.csv, uniformity.csv (chi-square,
    Holm-corrected at 1%), ecdf.png and summary.json to OUT. Exit code 1 when a
    parameter fails.
    """
    from bayes_alliance.progress import progress_bar
    from bayes_alliance.validation.sbc import (
        SBCConfig,
        finished_indices,
        parse_allies,
        run_sbc,
        summarise,
    )

    n_allies, codes = parse_allies(skeleton, allies)
    cfg = SBCConfig(spec=spec, priors=priors, skeleton=skeleton, n_allies=n_allies,
                    allies=codes, first_year=first_year, n_years=years, draws=draws, tune=tune,
                    chains=chains, target_accept=target_accept, n_ranks=ranks, seed=seed,
                    centered=centered)
    flags = () if centered is None else ("--centered",) if centered else ("--non-centered",)
    command = _command("sbc", {"spec": spec, "priors": priors, "sims": sims,
                               "workers": None if scheduler else workers, "out": out,
                               "seed": seed,
                               "skeleton": None if skeleton == "synthetic" else skeleton,
                               "allies": allies, "first-year": first_year,
                               "years": years, "draws": draws, "tune": tune, "chains": chains,
                               "ranks": ranks, "target-accept": target_accept}, flags)
    if not analyse_only:
        before = len(finished_indices(out) & set(range(sims))) if out.exists() else 0
        if not as_json:
            typer.echo(f"sbc: {sims} simulations of spec '{spec}' (priors '{priors}'), "
                       f"{before} already finished in {out}", err=True)
        with progress_bar(sims, "sbc", terminal=is_terminal()) as report:
            run = run_sbc(cfg, sims, out, scheduler=scheduler, workers=workers, force=force,
                          progress=report)
    else:
        run = {"new": 0, "reused": sims, "failed": 0, "out": str(out)}
    summary = summarise(out, n_sims=sims, command=command)
    summary["run"] = run
    if as_json:
        echo_json(summary)
    else:
        typer.echo(f"sbc: {summary['successful']}/{summary['simulations']} simulations "
                   f"({run['new']} new); median {summary['seconds_per_sim']['median']:.1f} s "
                   f"per simulation; {summary['sims_with_divergences']} with divergences")
        typer.echo(f"  {'parameter':<42}{'mean rank':>10}{'p':>8}{'Holm p':>8}")
        for name, row in summary["table"].items():
            mark = "" if row["passed"] else "  FAIL"
            typer.echo(f"  {name:<42}{row['mean_rank']:>10.1f}{row['p']:>8.3f}"
                       f"{row['p_holm']:>8.3f}{mark}")
        typer.echo(f"{summary['n_failing']} parameter(s) fail uniformity at 1% (Holm); "
                   f"{len(summary['outside_band'])} leave the {summary['band_prob']:.0%} "
                   "simultaneous ECDF band"
                   + (f" ({', '.join(summary['outside_band'])})" if summary["outside_band"]
                      else ""))
        typer.echo(f"wrote {out / 'uniformity.csv'}, {out / 'ecdf.png'}")
    if summary["sims_with_divergences"] > 0.1 * summary["successful"]:
        typer.echo(f"warning: {summary['sims_with_divergences']} of {summary['successful']} "
                   "fits had divergent transitions; on a small skeleton centred ally "
                   "effects hit a funnel: if they are centred, try --non-centered", err=True)
    if summary["n_failing"] or summary["failed"]:
        raise typer.Exit(code=1)


@handle_errors
def recovery(
    sizes: str = typer.Option("6,12,24", help="Comma-separated numbers of allies."),
    reps: int = typer.Option(4, help="Simulated panels per size."),
    spec: str = typer.Option("joint", help="Spec (the default panel's true parameters "
                                           "fit the joint spec)."),
    priors: str = typer.Option("weak", help="Prior set of the fits."),
    draws: int = typer.Option(500, help="Posterior draws per chain."),
    tune: int = typer.Option(500, help="Tuning steps per chain."),
    chains: int = typer.Option(2, help="Chains per fit."),
    seed: int = typer.Option(7, help="Run seed."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    workers: int = typer.Option(2, help="Worker processes of the local cluster."),
    out: Path = typer.Option(Path("reports/validation/recovery"), help="Output folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON summary on stdout."),
) -> None:
    """Parameter recovery at the default panel's true parameters on growing panels.

    Simulates REPS panels per size (the first N allies, all their treaty years),
    fits each, and reports posterior mean vs truth and the coverage of the 50%
    and 90% central intervals. Writes recovery.csv, coverage.csv, recovery.png
    and summary.json to OUT.
    """
    from bayes_alliance.progress import progress_bar
    from bayes_alliance.validation.recovery import RecoveryConfig, run_recovery

    size_list = [int(s) for s in sizes.split(",") if s.strip()]
    cfg = RecoveryConfig(sizes=tuple(size_list), reps=reps, spec=spec, priors=priors,
                         draws=draws, tune=tune, chains=chains, seed=seed)
    command = _command("recovery", {"sizes": sizes, "reps": reps, "spec": spec,
                                    "priors": priors, "draws": draws, "tune": tune,
                                    "chains": chains, "seed": seed,
                                    "workers": None if scheduler else workers, "out": out})
    with progress_bar(len(size_list) * reps, "recovery", terminal=is_terminal()) as report:
        summary = run_recovery(cfg, out, scheduler=scheduler, workers=workers, progress=report,
                               command=command)
    if as_json:
        echo_json(summary)
    else:
        for row in summary["coverage"]:
            typer.echo(f"  {row['n_allies']:>3} allies ({row['rows']} ally-years): coverage "
                       f"50% {row['cover50']:.2f}, 90% {row['cover90']:.2f}, RMSE "
                       f"{row['rmse']:.3f}, divergences {row['divergences']}")
        typer.echo(f"wrote {out / 'recovery.csv'}, {out / 'recovery.png'}")


@handle_errors
def baseline(
    run: Path = typer.Argument(None, help="A saved run (RUN.nc) to compare; omit with --data."),
    data: str = typer.Option(None, help="Fit the Bayesian comparators on this panel instead "
                                        "('default', 'real' or a CSV path)."),
    draws: int = typer.Option(1000, help="Posterior draws per chain (with --data)."),
    tune: int = typer.Option(1000, help="Tuning steps per chain (with --data)."),
    chains: int = typer.Option(2, help="Chains (with --data)."),
    seed: int = typer.Option(1, help="Sampler seed (with --data)."),
    workers: int = typer.Option(2, help="Worker processes of the local cluster (with --data)."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    out: Path = typer.Option(Path("reports/validation/baseline"), help="Output folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON on stdout."),
) -> None:
    """Frequentist baseline: per-outcome GLMs (statsmodels) vs posterior means.

    Negative binomial with log(exposure) offset for reassure, OLS on log
    milex_gdp, conditional (fixed-effects) logit for intervene and exit, all
    with ally fixed effects on the model's standardised covariates. With RUN
    the run's posterior is compared for outcomes without latent-reassurance
    terms; with --data the single-outcome Bayesian models (weak priors) and the
    joint model are fitted too. Writes baseline.csv, baseline.md, summary.json.
    """
    from bayes_alliance.errors import ValidationRunError
    from bayes_alliance.validation.baseline import run_baseline

    if (run is None) == (data is None):
        raise ValidationRunError("give either a run file (bayes-alliance baseline RUN.nc) or "
                                 "--data default, not both or neither")
    options = {"data": data, "draws": draws, "tune": tune, "chains": chains, "seed": seed,
               "workers": None if scheduler else workers, "out": out} if data else {"out": out}
    command = _command("baseline", options)
    if run is not None:
        command = command.replace("baseline", f"baseline {run}", 1)
    summary = run_baseline(run=run, data=data, draws=draws, tune=tune, chains=chains,
                           seed=seed, workers=workers, scheduler=scheduler, out=out,
                           command=command)
    if as_json:
        echo_json(summary)
    else:
        typer.echo(summary["markdown"])
        typer.echo(f"\nmax |difference| {summary['max_abs_diff_sd']:.2f} posterior sds; "
                   f"wrote {out / 'baseline.csv'}")


@handle_errors
def oos(
    spec: str = typer.Option("joint-real", help="The joint model's spec (shipped name or TOML)."),
    data: str = typer.Option("real", help="Panel: 'real', 'default' or a CSV path."),
    priors: str = typer.Option(None, help="Prior set (default: the spec's own)."),
    splits: str = typer.Option("time,loao,cases", help="Comma-separated splits: time, loao, "
                                                      "cases."),
    last_train_year: int = typer.Option(1989, help="Time split: last training year."),
    folds: int = typer.Option(3, help="Leave-allies-out: number of folds of allies."),
    separate: bool = typer.Option(True, "--separate/--no-separate",
                                  help="Also fit the single-outcome models."),
    draws: int = typer.Option(300, help="Posterior draws per chain."),
    tune: int = typer.Option(300, help="Tuning steps per chain."),
    chains: int = typer.Option(2, help="Chains per fit."),
    seed: int = typer.Option(1, help="Run seed (fold assignment and samplers)."),
    workers: int = typer.Option(2, help="Worker processes of the local cluster."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    out: Path = typer.Option(Path("reports/validation/oos"), help="Output folder."),
    runs_dir: Path = typer.Option(Path("runs/oos"), help="Finished fits' scores, reused by a "
                                                         "rerun with the same inputs."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Out-of-sample validation: time split, leave-allies-out folds, held-out case studies.

    Fits the joint model, the single-outcome models and the GLM baselines on the
    training rows of each split and scores their predictions of the test rows:
    held-out log predictive density per outcome (differences from the joint
    model with SEs), coverage of the central 50%/90% predictive intervals, PIT
    (continuous outcomes) and Brier score (binary). Allies absent from training
    get ally effects drawn from the fitted population. The case split holds out
    West Germany, Japan, South Korea and the UK in 1960-1979 and plots their
    predictions. Writes oos.md, oos.csv, summary.json (and cases.csv, cases.png);
    finished fits are kept in RUNS_DIR, so an interrupted run resumes.
    """
    from bayes_alliance.validation.out_of_sample import run_oos

    kinds = tuple(s.strip() for s in splits.split(",") if s.strip())
    command = _command("oos", {"spec": spec, "data": data, "priors": priors, "splits": splits,
                               "last-train-year": last_train_year, "folds": folds,
                               "draws": draws, "tune": tune, "chains": chains, "seed": seed,
                               "workers": None if scheduler else workers, "out": out,
                               "runs-dir": runs_dir},
                       () if separate else ("--no-separate",))
    summary = run_oos(spec=spec, data=data, priors=priors, splits=kinds,
                      last_train_year=last_train_year, folds=folds, separate=separate,
                      draws=draws, tune=tune, chains=chains, seed=seed, workers=workers,
                      scheduler=scheduler, out=out, runs_dir=runs_dir, command=command)
    if as_json:
        echo_json(summary)
    else:
        typer.echo(summary["markdown"])
        bad = [f"{f['kind']}/{f['fold']}/{f['model']}" for f in summary["fits"]
               if not f["diagnostics"]["ok"]]
        if bad:
            typer.echo(f"warning: {len(bad)} fit(s) did not pass the convergence checks: "
                       f"{', '.join(bad)}", err=True)
        typer.echo(f"wrote {out / 'oos.md'}, {out / 'summary.json'}")
