"""Which parameters the slow direction beta[milex, reassurance] trades off against.

Usage (after `bayes-alliance replicate`, which leaves the fits in runs/replication/):

    python reports/validation/ridge/ridge.py runs/replication/{theory,weak,measured-weak}.nc

For each run: the chain means and sds of beta[milex, reassurance], and the scalar
parameters with the largest posterior correlation with it (all chains pooled).
A correlation near -1 with a slope of the same equation means that the
reassurance effect on spending is identified only jointly with that slope.
"""

from __future__ import annotations

import sys

import numpy as np

from bayes_alliance.results import FitResult

TOP = 6


def correlations(path: str) -> tuple[np.ndarray, np.ndarray, list[tuple[float, str]]]:
    """Chain means and sds of the coefficient, and its correlations, largest first."""
    post = FitResult.load(path).idata["posterior"].to_dataset()
    target = post["beta_milex"].sel(term_milex="reassurance").to_numpy()
    flat = target.ravel()
    found = []
    for name in ("beta_milex", "beta_reassure", "u_ally", "sd_ally", "intercept"):
        if name not in post:
            continue
        x = post[name]
        dims = [d for d in x.dims if d not in ("chain", "draw")]
        stacked = x.stack(cell=dims)
        for i in range(stacked.sizes["cell"]):
            y = stacked.isel(cell=i).to_numpy().ravel()
            label = f"{name}{stacked['cell'].to_numpy()[i]}"
            if y.std() > 0 and label != "beta_milex('reassurance',)":
                found.append((float(np.corrcoef(flat, y)[0, 1]), label))
    found.sort(key=lambda t: -abs(t[0]))
    return target.mean(axis=1), target.std(axis=1), found[:TOP]


if __name__ == "__main__":
    for path in sys.argv[1:]:
        means, sds, top = correlations(path)
        print(f"{path}: chain means {np.round(means, 2).tolist()}, "
              f"sds {np.round(sds, 2).tolist()}")
        for r, label in top:
            print(f"  {r:+.2f}  {label}")
