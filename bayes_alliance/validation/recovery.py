"""Parameter recovery: fit data simulated at known parameters on growing panels.

For each panel size (the first ``n`` allies of
:data:`~bayes_alliance.validation.panels.ALLY_ORDER`, every treaty year
1950-2010) and replicate, outcomes are drawn by the model's own generative
graph at the default panel's true parameters
(:data:`~bayes_alliance.synthetic.TRUE_PARAMS`; the ally effects are drawn
afresh each time), the model is fitted with nutpie, and each population-level
parameter's posterior mean, sd and 50 % / 90 % central intervals are compared
with the truth. Coverage pools parameters and replicates per size: with a
calibrated posterior it is close to 0.5 and 0.9 (exactly so only on average
over the prior, which SBC checks; at one fixed truth, prior shrinkage can move
it), and the error shrinks as the panel grows. One Dask task per fit.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.errors import ValidationRunError
from bayes_alliance.io import write_text_atomic, write_with
from bayes_alliance.models.families import aux_parameters
from bayes_alliance.synthetic import TRUE_PARAMS
from bayes_alliance.validation.cluster import dask_client
from bayes_alliance.validation.panels import generating_model
from bayes_alliance.validation.sampling import simulate_and_fit


@dataclass(frozen=True)
class RecoveryConfig:
    """Settings of a recovery sweep."""

    sizes: tuple[int, ...] = (6, 12, 24)
    reps: int = 4
    spec: str = "joint"
    priors: str = "weak"
    draws: int = 500
    tune: int = 500
    chains: int = 2
    target_accept: float = 0.9
    seed: int = 7

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly mapping."""
        return {**asdict(self), "sizes": list(self.sizes)}


def off_scale(parameters: pd.Series) -> pd.Series:
    """True for readable names of parameters off the linear predictor's scale.

    Dispersions and degrees of freedom (family auxiliary parameters with
    ``on_link_scale = False``, e.g. ``phi[reassure]``, ``nu[milex]``) are left
    out of the scatter plots and the RMSE, kept in the coverage and the table.
    """
    off = {a.name for a in aux_parameters().values() if not a.on_link_scale}
    return parameters.str.split("[").str[0].isin(off)


def fit_one(config: dict[str, Any], n_allies: int, rep: int) -> dict[str, Any]:
    """Simulate one panel at the true parameters, fit it, summarise each parameter."""
    cfg = RecoveryConfig(**{**config, "sizes": tuple(config["sizes"])})
    seed = int(np.random.SeedSequence([cfg.seed, n_allies, rep]).generate_state(1)[0])
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = generating_model(cfg.spec, cfg.priors, n_allies)
        frame, true_values, params, stats = simulate_and_fit(
            gen, TRUE_PARAMS, seed=seed, draws=cfg.draws, tune=cfg.tune, chains=cfg.chains,
            target_accept=cfg.target_accept)
    rows = []
    for name, value in true_values.items():
        x = np.asarray(params[name].values, float).ravel()
        q05, q25, q75, q95 = np.quantile(x, [0.05, 0.25, 0.75, 0.95])
        rows.append({"parameter": name, "truth": value, "mean": float(x.mean()),
                     "sd": float(x.std()), "q05": float(q05), "q25": float(q25),
                     "q75": float(q75), "q95": float(q95)})
    return {"n_allies": n_allies, "rep": rep, "seed": seed, "rows_in_panel": len(frame),
            "divergences": stats["divergences"], "seconds": round(time.perf_counter() - t0, 1),
            "parameters": rows}


def coverage_table(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the 50 % and 90 % intervals and RMSE of the posterior mean, per size."""
    on_scale = ~off_scale(table.parameter)
    t = table.assign(in50=(table.truth >= table.q25) & (table.truth <= table.q75),
                     in90=(table.truth >= table.q05) & (table.truth <= table.q95),
                     err2=np.where(on_scale, (table["mean"] - table.truth) ** 2, np.nan),
                     sd_on=np.where(on_scale, table["sd"], np.nan))
    g = t.groupby("n_allies")
    out = pd.DataFrame({
        "rows": g["rows_in_panel"].first(), "fits": g["rep"].nunique(),
        "cells": g.size(), "cover50": g["in50"].mean(), "cover90": g["in90"].mean(),
        "rmse": np.sqrt(g["err2"].mean()), "mean_post_sd": g["sd_on"].mean(),
    })
    return out.reset_index()


def plot_recovery(table: pd.DataFrame, coverage: pd.DataFrame):
    """True value vs posterior mean (90 % intervals) per size, and coverage by size."""
    from matplotlib.figure import Figure

    sizes = sorted(table.n_allies.unique())
    table = table[~off_scale(table.parameter)]
    fig = Figure(figsize=(4.2 * (len(sizes) + 1), 4.3), layout="constrained")
    axes = fig.subplots(1, len(sizes) + 1)
    lo = float(min(table.truth.min(), table.q05.min()))
    hi = float(max(table.truth.max(), table.q95.max()))
    lo, hi = max(lo, -5.0) - 0.2, min(hi, 5.0) + 0.2
    for ax, n in zip(axes, sizes, strict=False):
        t = table[table.n_allies == n]
        rng = np.random.default_rng(0)
        jitter = rng.uniform(-0.04, 0.04, len(t)) * (hi - lo)
        inside = (t.truth >= t.q05) & (t.truth <= t.q95)
        for ok, colour, label in ((True, "C0", "90% interval covers truth"),
                                  (False, "C3", "misses truth")):
            s = t[inside == ok]
            ax.errorbar(s.truth + jitter[(inside == ok).to_numpy()], s["mean"],
                        yerr=[s["mean"] - s.q05, s.q95 - s["mean"]], fmt="o", ms=2.5,
                        lw=0.6, color=colour, alpha=0.7, label=label)
        ax.plot([lo, hi], [lo, hi], color="0.4", lw=0.8)
        ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="true value",
               ylabel="posterior mean (90% interval)")
        row = coverage[coverage.n_allies == n].iloc[0]
        ax.set_title(f"{n} allies, {int(row['rows'])} ally-years, {int(row['fits'])} fits\n"
                     f"coverage 50%: {row.cover50:.2f}, 90%: {row.cover90:.2f} "
                     "(phi, nu not drawn)", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    ax = axes[-1]
    x = np.arange(len(sizes))
    ax.bar(x - 0.18, coverage.cover50, width=0.36, label="50% intervals")
    ax.bar(x + 0.18, coverage.cover90, width=0.36, label="90% intervals")
    ax.axhline(0.5, color="C0", ls="--", lw=0.8)
    ax.axhline(0.9, color="C1", ls="--", lw=0.8)
    ax.set_xticks(x, [f"{n} allies" for n in sizes])
    ax.set(ylabel="share of (parameter, replicate) covered",
           title="Coverage (dashed: nominal)")
    ax2 = ax.twinx()
    ax2.plot(x, coverage.rmse, "k^-", label="RMSE of posterior mean (no phi, nu)")
    ax2.set_ylabel("RMSE of posterior mean")
    ax2.set_ylim(0, float(coverage.rmse.max()) * 1.3)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left", framealpha=0.9)
    ax.set_ylim(0, 1.3)
    return fig


def run_recovery(cfg: RecoveryConfig, out: str | Path, *, scheduler: str | None = None,
                 workers: int = 2, progress: Any = None,
                 command: str | None = None) -> dict[str, Any]:
    """Run the sweep on Dask and write ``recovery.csv``, ``coverage.csv``, a figure, a summary.

    Returns
    -------
    dict
        Settings, per-size coverage and RMSE, divergences, timings.
    """
    from dask.distributed import as_completed


    if not cfg.sizes or cfg.reps < 1:
        raise ValidationRunError("need at least one size and one replicate")
    out = Path(out)
    results = []
    jobs = [(n, r) for n in sorted(cfg.sizes, reverse=True) for r in range(cfg.reps)]
    with dask_client(scheduler, workers) as client:
        futures = [client.submit(fit_one, cfg.to_dict(), n, r, pure=False) for n, r in jobs]
        for k, fut in enumerate(as_completed(futures), start=1):
            res = fut.result()
            results.append(res)
            if progress is not None:
                progress(k, f"{res['n_allies']} allies, rep {res['rep']}: {res['seconds']} s, "
                            f"{res['divergences']} div.")
    rows = [{"n_allies": r["n_allies"], "rep": r["rep"], "rows_in_panel": r["rows_in_panel"],
             **p} for r in results for p in r["parameters"]]
    table = pd.DataFrame(rows).sort_values(["n_allies", "rep", "parameter"])
    coverage = coverage_table(table)
    div = {n: int(sum(r["divergences"] for r in results if r["n_allies"] == n))
           for n in cfg.sizes}
    coverage["divergences"] = coverage.n_allies.map(div)
    summary = {
        "config": cfg.to_dict(),
        "coverage": json.loads(coverage.to_json(orient="records")),
        "seconds_per_fit": {str(n): float(np.median([r["seconds"] for r in results
                                                     if r["n_allies"] == n]))
                            for n in cfg.sizes},
        "command": command,
    }
    write_text_atomic(out / "recovery.csv", table.round(5).to_csv(index=False), force=True)
    write_text_atomic(out / "coverage.csv", coverage.round(4).to_csv(index=False), force=True)
    fig = plot_recovery(table, coverage)
    write_with(out / "recovery.png", lambda p: fig.savefig(p, format="png", dpi=80), force=True)
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n", force=True)
    return summary
