"""`FitResult`: the ArviZ data of a fit plus the panel, spec, priors and scaling.

Saved as one NetCDF file: the ArviZ groups as written by
``DataTree.to_netcdf`` plus a ``bayes_alliance`` group holding the panel rows
and, as JSON attributes, the spec, the prior set, the covariate scaling, the
sampler settings and the package versions. Writing is atomic and never
overwrites without ``force``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance import predict as prediction
from bayes_alliance.constants import BFMI_MIN, CI_PROB, ESS_MIN, RHAT_MAX, STUCK_LOGP_SDS
from bayes_alliance.data.panel import Panel
from bayes_alliance.errors import ResultError
from bayes_alliance.io import atomic_path
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.names import readable_cells
from bayes_alliance.models.priors import PriorSet
from bayes_alliance.models.spec import ModelSpec

META_GROUP = "bayes_alliance"
_PACKAGES = ("bayes-alliance", "pymc", "pytensor", "nutpie", "arviz", "numpy", "pandas", "xarray")


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape a fit."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def readable_parameters(idata: Any, spec: ModelSpec) -> xr.Dataset:
    """Population-level posterior draws as scalar variables with readable names.

    ``beta_milex`` over ``term_milex`` becomes ``beta[milex, threat]``,
    ``phi_reassure`` becomes ``phi[reassure]`` etc.
    (:func:`~bayes_alliance.models.names.readable_cells`); ``corr_ally`` keeps
    the upper triangle only.
    """
    post = idata["posterior"] if "posterior" in idata.children else idata
    out = {c.name: post[c.variable].sel(dict(c.coords))
           for c in readable_cells(spec) if c.variable in post}
    return xr.Dataset({k: v.drop_vars([c for c in v.coords if c not in ("chain", "draw")])
                       for k, v in out.items()})


def logp_gaps(sample_stats: xr.Dataset) -> np.ndarray:
    r"""How far each chain's log density sits below the best chain's, in within-chain sds.

    .. math:: g_c = \frac{\max_j m_j - m_c}{\operatorname{median}_j s_j}

    with :math:`m_c` the median and :math:`s_c` the sd of chain :math:`c`'s log
    density over its draws. Chains in the same typical set differ by a fraction of
    an sd; a chain trapped in a minor mode sits many sds below (e.g. 15 sds, a log
    density 214 lower, in one 4-chain fit of the default panel). Zeros when the
    sampler did not record the log density (``logp`` for nutpie, ``lp`` for PyMC).
    """
    name = next((n for n in ("logp", "lp") if n in sample_stats), None)
    if name is None:
        return np.zeros(sample_stats.sizes.get("chain", 0))
    lp = np.asarray(sample_stats[name].transpose("chain", "draw"), float)
    med = np.median(lp, axis=1)
    scale = float(np.median(lp.std(axis=1)))
    if not np.isfinite(scale) or scale <= 0:
        return np.zeros(lp.shape[0])
    return (med.max() - med) / scale


@dataclass
class FitResult:
    """A fitted model: ArviZ data plus everything needed to reuse it."""

    idata: Any  # xarray.DataTree
    spec: ModelSpec
    panel: Panel
    prior_set: PriorSet
    scaling: Scaling
    info: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ summaries
    def parameters(self) -> xr.Dataset:
        """Population-level draws with readable names (see :func:`readable_parameters`)."""
        return readable_parameters(self.idata, self.spec)

    def summary(self) -> pd.DataFrame:
        """Posterior mean, sd, 90% interval, ESS bulk/tail, R-hat of each parameter."""
        import arviz as az

        table = az.summary(self.parameters(), ci_prob=CI_PROB, ci_kind="eti", round_to="none")
        table.index.name = "parameter"
        return table

    def diagnostics(self) -> dict[str, Any]:
        """Sampler health: divergences, max R-hat, min ESS bulk/tail, min BFMI, pass/fail.

        Computed over every free parameter (ally effects included), not only
        the population-level ones.
        """
        import arviz as az

        post = self.idata["posterior"]
        free = [v for v in post.data_vars if v not in self.spec.outcome_names
                and v not in ("corr_ally",)]
        diag = az.summary(self.idata, var_names=free, kind="diagnostics", round_to="none")
        stats = self.idata["sample_stats"]
        divergences = int(stats["diverging"].sum()) if "diverging" in stats else 0
        bfmi = np.atleast_1d(np.asarray(az.bfmi(self.idata)["energy"]))
        rhat = float(np.nanmax(diag["r_hat"].to_numpy(float)))
        ess_bulk = float(np.nanmin(diag["ess_bulk"].to_numpy(float)))
        ess_tail = float(np.nanmin(diag["ess_tail"].to_numpy(float)))
        problems = []
        if divergences:
            problems.append(f"{divergences} divergent transitions")
        if rhat > RHAT_MAX:
            problems.append(f"max R-hat {rhat:.3f} > {RHAT_MAX}")
        if ess_bulk < ESS_MIN:
            problems.append(f"min ESS bulk {ess_bulk:.0f} < {ESS_MIN}")
        if ess_tail < ESS_MIN:
            problems.append(f"min ESS tail {ess_tail:.0f} < {ESS_MIN}")
        if float(bfmi.min()) < BFMI_MIN:
            problems.append(f"min BFMI {float(bfmi.min()):.2f} < {BFMI_MIN}")
        gaps = logp_gaps(stats)
        stuck = [int(c) for c in np.flatnonzero(gaps > STUCK_LOGP_SDS)]
        if stuck:
            problems.append(f"chain(s) {', '.join(map(str, stuck))} stuck in a region of "
                            f"negligible mass (log density {gaps.max():.0f} within-chain sds "
                            "below the best chain); rerun with another seed")
        per_chain = (stats["diverging"].sum("draw").to_numpy().astype(int).tolist()
                     if "diverging" in stats else [])
        return {"divergences": divergences, "divergences_per_chain": per_chain,
                "max_rhat": rhat, "min_ess_bulk": ess_bulk, "min_ess_tail": ess_tail,
                "bfmi": bfmi.round(3).tolist(), "stuck_chains": stuck,
                "ok": not problems, "problems": problems}

    # ------------------------------------------------------------------ persistence
    def _meta_node(self) -> xr.DataTree:
        frame = self.panel.frame
        ds = xr.Dataset({c: ("row", _column_for_netcdf(frame[c])) for c in frame.columns})
        ds.attrs = {
            "columns": json.dumps(list(frame.columns)),
            "panel": json.dumps({"source": self.panel.source, "synthetic": self.panel.synthetic,
                                 "dropped_rows": self.panel.dropped_rows,
                                 "notes": list(self.panel.notes),
                                 "dtypes": {c: str(frame[c].dtype) for c in frame.columns}}),
            "spec": json.dumps(self.spec.to_dict()),
            "spec_hash": self.spec.hash(),
            "prior_set": json.dumps(self.prior_set.to_dict()),
            "scaling": json.dumps(self.scaling.to_dict()),
            "info": json.dumps(self.info, default=str),
        }
        return xr.DataTree(dataset=ds)

    def save(self, path: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write the result to a NetCDF file atomically.

        Raises
        ------
        ResultError
            When ``path`` exists and ``force`` is False.
        """
        path = Path(path)
        if path.exists() and not force:
            raise ResultError(f"{path} exists; pass force=True (CLI: --force) to replace it")
        tree = self.idata.copy()
        tree[META_GROUP] = self._meta_node()
        with atomic_path(path, force=True) as tmp:
            tree.to_netcdf(tmp, engine="h5netcdf")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FitResult:
        """Read a result written by :meth:`save`.

        Raises
        ------
        ResultError
            When the file is missing, unreadable or not a bayes_alliance run.
        """
        path = Path(path)
        if not path.is_file():
            raise ResultError(f"run file {path} does not exist; make one with "
                              "`bayes-alliance fit --out RUN.nc`")
        try:
            with xr.open_datatree(path, engine="h5netcdf") as tree:
                tree = tree.load()
        except (OSError, ValueError, KeyError) as err:
            raise ResultError(f"cannot read run file {path}: {err}. It may be truncated or "
                              "not a NetCDF file; refit with `bayes-alliance fit`") from err
        if META_GROUP not in tree.children:
            raise ResultError(f"{path} is not a bayes_alliance run (no '{META_GROUP}' group)")
        meta = tree[META_GROUP].to_dataset()
        attrs = meta.attrs
        try:
            columns = json.loads(attrs["columns"])
            panel_meta = json.loads(attrs["panel"])
            frame = pd.DataFrame({c: meta[c].to_numpy() for c in columns})
            for c, dtype in panel_meta["dtypes"].items():
                frame[c] = frame[c].astype(dtype) if dtype != "object" else frame[c]
            spec = ModelSpec.from_dict(json.loads(attrs["spec"]))
            prior_dict = json.loads(attrs["prior_set"])
            scaling = Scaling.from_dict(json.loads(attrs["scaling"]))
            info = json.loads(attrs["info"])
        except (KeyError, ValueError, TypeError) as err:
            raise ResultError(f"{path}: the '{META_GROUP}' group is incomplete ({err})") from err
        panel = Panel(frame=frame, source=panel_meta["source"],
                      dropped_rows=panel_meta["dropped_rows"], synthetic=panel_meta["synthetic"],
                      notes=tuple(panel_meta["notes"]))
        idata = tree.copy()
        del idata[META_GROUP]
        return cls(idata=idata, spec=spec, panel=panel, prior_set=_prior_set(prior_dict),
                   scaling=scaling, info=info)

    # ------------------------------------------------------------------ prediction
    def predict(self, newdata: pd.DataFrame | None = None, kind: str = "epred", *,
                outcomes: list[str] | str | None = None, random_seed: Any = None) -> xr.Dataset:
        """Posterior predictions on ``newdata``; see :func:`bayes_alliance.predict.predict`."""
        return prediction.predict(self, newdata, kind, outcomes=outcomes, random_seed=random_seed)

    def conditional_effects(self, variable: str, *, outcome: str, **kwargs: Any
                            ) -> tuple[pd.DataFrame, Any]:
        """Prediction along one covariate; see :func:`.predict.conditional_effects`."""
        return prediction.conditional_effects(self, variable, outcome=outcome, **kwargs)


def _column_for_netcdf(series: pd.Series) -> np.ndarray:
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return series.astype(str).to_numpy(dtype=object)
    if str(series.dtype) == "Int64":
        return series.astype("int64").to_numpy()
    return series.to_numpy()


def _prior_set(d: dict) -> PriorSet:
    from bayes_alliance.models.priors import _parse_prior

    priors = tuple((sel, _parse_prior(sel, value, "saved run")) for sel, value in
                   d["priors"].items())
    return PriorSet(name=d["name"], description=d["description"], priors=priors,
                    settings=tuple(d.get("settings", {}).items()))
