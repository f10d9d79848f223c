"""Covariate scaling and design matrices.

Each covariate ``x`` is transformed (``identity``, ``log``, ``log1p``) and then
standardised with the *training* panel's mean and sd:
``z = (f(x) - mean_f) / sd_f``. Interactions are products of standardised
covariates. The :class:`Scaling` is stored with every fit so that
counterfactual inputs are given in natural units (troops, not z-scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayes_alliance.errors import SpecError
from bayes_alliance.models.spec import ModelSpec, OutcomeSpec

_TRANSFORMS = {
    "identity": lambda x: x,
    "log": np.log,
    "log1p": np.log1p,
}

#: an sd below this fraction of the largest absolute value is rounding error of a
#: constant column (e.g. 5042.2 repeated has a float sd of ~1e-12, not 0)
_CONSTANT_RTOL = 1e-12


@dataclass(frozen=True)
class Scaling:
    """Transform, mean and sd of each covariate (after the transform)."""

    transform: tuple[tuple[str, str], ...]
    mean: tuple[tuple[str, float], ...]
    sd: tuple[tuple[str, float], ...]

    @classmethod
    def from_frame(cls, spec: ModelSpec, frame: pd.DataFrame) -> Scaling:
        """Fit the scaling on the training rows of ``frame``.

        Raises
        ------
        SpecError
            When a covariate the spec uses is not in ``frame`` (an optional
            covariate such as ``dependence``), has missing values, or is constant.
        """
        transform, mean, sd = [], [], []
        for cov in spec.covariates_used():
            if cov not in frame:
                raise SpecError(f"spec '{spec.name}' uses covariate '{cov}', which the panel "
                                f"lacks; add a '{cov}' column to the panel or drop the terms "
                                f"that use it")
            tr = spec.transform(cov)
            values = _apply(tr, frame[cov].to_numpy(float), cov)
            bad = int((~np.isfinite(values)).sum())
            if bad:
                raise SpecError(f"covariate '{cov}' has missing or infinite values in {bad} "
                                f"panel rows (after its '{tr}' transform); fill them in, or "
                                "drop those rows before fitting")
            s = float(values.std())
            if s <= _CONSTANT_RTOL * float(np.abs(values).max()):
                raise SpecError(f"covariate '{cov}' is constant in the panel; it cannot be "
                                "standardised: drop it from the spec's terms")
            transform.append((cov, tr))
            mean.append((cov, float(values.mean())))
            sd.append((cov, s))
        return cls(tuple(transform), tuple(mean), tuple(sd))

    def standardise(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Standardised covariates of ``frame`` (natural units in, z-scores out)."""
        tr, mu, sd = dict(self.transform), dict(self.mean), dict(self.sd)
        return {c: (_apply(tr[c], frame[c].to_numpy(float), c) - mu[c]) / sd[c] for c in tr}

    def to_dict(self) -> dict[str, dict[str, float | str]]:
        """JSON-friendly mapping covariate -> {transform, mean, sd}."""
        tr, mu, sd = dict(self.transform), dict(self.mean), dict(self.sd)
        return {c: {"transform": tr[c], "mean": mu[c], "sd": sd[c]} for c in tr}

    @classmethod
    def from_dict(cls, d: dict[str, dict[str, float | str]]) -> Scaling:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple((c, str(v["transform"])) for c, v in d.items()),
                   tuple((c, float(v["mean"])) for c, v in d.items()),
                   tuple((c, float(v["sd"])) for c, v in d.items()))


def _apply(transform: str, x: np.ndarray, name: str) -> np.ndarray:
    if transform == "log" and np.any(x <= 0):
        raise SpecError(f"covariate '{name}' has values <= 0; a 'log' transform needs > 0 "
                        "(use 'log1p' for counts with zeros)")
    if transform == "log1p" and np.any(x < 0):
        raise SpecError(f"covariate '{name}' has negative values; 'log1p' needs >= 0")
    return _TRANSFORMS[transform](x)


def covariate_matrix(outcome: OutcomeSpec, z: dict[str, np.ndarray]) -> np.ndarray:
    """Columns of the covariate terms of ``outcome`` (rows x terms), from z-scores."""
    n = len(next(iter(z.values()))) if z else 0
    cols = [np.prod([z[p] for p in t.split(":")], axis=0) for t in outcome.covariate_terms]
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def latent_multipliers(outcome: OutcomeSpec, z: dict[str, np.ndarray]) -> np.ndarray:
    """For each latent term, the covariate factor multiplying the latent intensity.

    ``reassurance`` -> 1; ``reassurance:retrench`` -> z_retrench.
    """
    n = len(next(iter(z.values()))) if z else 0
    cols = []
    for t in outcome.latent_terms:
        parts = [p for p in t.split(":") if p != "reassurance"]
        cols.append(np.prod([z[p] for p in parts], axis=0) if parts else np.ones(n))
    return np.column_stack(cols) if cols else np.zeros((n, 0))
