r"""What the default panel's minor mode is: the parameters on which a stuck chain differs.

Usage:

    python reports/validation/minor_mode/minor_mode.py --seed 2 --out runs/minor_mode
    python reports/validation/minor_mode/minor_mode.py --seed 2 --entry within

Fits the benchmark's model (the joint spec, weak priors, on the benchmark's simulated
default panel, :func:`bayes_alliance.validation.bench.scaled_panel`) with the stuck-chain
guard off, saves the run, and for the chain whose log density sits furthest below the
best (:func:`bayes_alliance.convergence.logp_gaps`) prints every scalar parameter's
distance from the other chains, in the other chains' posterior sds:

.. math:: d_k = (\bar\theta_{k,c} - \bar\theta_{k,-c}) / s_{k,-c}

A minor mode shows as a few parameters with |d| of many sds; the rest follow them.
An existing run file is read instead of refitting. ``--entry within`` fits the same
spec with ``latent_entry = "within"`` (:mod:`bayes_alliance.models.joint`): the
remedy this script tests.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bayes_alliance.convergence import logp_gaps
from bayes_alliance.errors import SpecError
from bayes_alliance.fit import fit_model
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.resources import read_shipped_toml
from bayes_alliance.results import FitResult
from bayes_alliance.validation.bench import scaled_panel

TOP = 30


def joint_spec(entry: str) -> dict | str:
    """The joint spec, with the latent's ``entry`` into the other equations."""
    if entry == "total":
        return "joint"
    raw, _ = read_shipped_toml("joint", (), kind="spec", error=SpecError)
    return {**raw, "name": f"joint-{entry}", "latent_entry": entry}


def run(seed: int, out: Path, init: str, entry: str = "total") -> FitResult:
    """The seed's fit, read from ``out`` when it was saved before."""
    path = out / (f"seed{seed}-{init}.nc" if entry == "total" else f"seed{seed}-{init}-{entry}.nc")
    if path.exists():
        return FitResult.load(path)
    model = AllianceModel.from_spec(joint_spec(entry), scaled_panel(1), priors="weak")
    result = fit_model(model, draws=1000, tune=1000, chains=4, random_seed=seed,
                       prior_draws=0, predictive=False, max_restarts=0, init=init)
    out.mkdir(parents=True, exist_ok=True)
    result.save(path)
    return result


def distances(result: FitResult) -> tuple[np.ndarray, int, list[tuple[float, str, float, float]]]:
    """Chains' log-density gaps, the worst chain, and its largest parameter distances."""
    gaps = logp_gaps(result.idata["sample_stats"].to_dataset())
    worst = int(np.argmax(gaps))
    post = result.idata["posterior"].to_dataset()
    found = []
    for name, x in post.data_vars.items():
        dims = [d for d in x.dims if d not in ("chain", "draw")]
        stacked = x.stack(cell=dims) if dims else x.expand_dims("cell", axis=-1)
        values = stacked.transpose("chain", "draw", "cell").to_numpy()
        others = np.delete(values, worst, axis=0).reshape(-1, values.shape[2])
        sd = others.std(axis=0)
        for k in range(values.shape[2]):
            if sd[k] > 0:
                mean_c = values[worst, :, k].mean()
                mean_o = others[:, k].mean()
                label = f"{name}{list(stacked['cell'].to_numpy()[k]) if dims else ''}"
                found.append(((mean_c - mean_o) / sd[k], label, mean_c, mean_o))
    found.sort(key=lambda t: -abs(t[0]))
    return gaps, worst, found


def main() -> None:
    """Fit (or read) the seed's run and print the worst chain's largest distances."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/minor_mode"))
    parser.add_argument("--init", choices=("default", "mode"), default="default",
                        help="chains' start (bayes_alliance.starts)")
    parser.add_argument("--entry", choices=("total", "within"), default="total",
                        help="how the latent enters the other equations (latent_entry)")
    args = parser.parse_args()
    result = run(args.seed, args.out, args.init, args.entry)
    gaps, worst, found = distances(result)
    diag = result.diagnostics()
    cell = result.idata["posterior"]["beta_milex"].sel(term_milex="reassurance").values
    print(f"seed {args.seed}, init {args.init}, entry {args.entry}: log-density gaps "
          f"(within-chain sds) {np.round(gaps, 1).tolist()}; worst chain {worst}; "
          f"{len(found)} scalar parameters; max R-hat {diag.max_rhat:.3f}, min ESS bulk "
          f"{diag.min_ess_bulk:.0f}, divergences {diag.divergences}, sampling "
          f"{result.info['sampling_s']:.0f} s; beta[milex, reassurance] by chain "
          f"{np.round(cell.mean(axis=1), 2).tolist()} (true -0.12)")
    print(f"{'distance (sds)':>15}  {'worst chain':>12}  {'other chains':>12}  parameter")
    for d, label, mean_c, mean_o in found[:TOP]:
        print(f"{d:15.1f}  {mean_c:12.3f}  {mean_o:12.3f}  {label}")


if __name__ == "__main__":
    main()
