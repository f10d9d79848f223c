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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.constants import CI_PROB
from bayes_alliance.contrasts import hypothesis
from bayes_alliance.convergence import Diagnostics, diagnose
from bayes_alliance.data.panel import Panel
from bayes_alliance.errors import ResultError
from bayes_alliance.io import atomic_path
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.priors import PriorSet, _parse_prior
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

    ``beta_milex`` over ``term_milex`` becomes ``beta[milex, threat]`` etc.;
    ``corr_ally`` keeps the upper triangle only.
    """
    post = idata["posterior"] if "posterior" in idata.children else idata
    out: dict[str, xr.DataArray] = {}
    names = list(spec.outcome_names)
    if "intercept" in post:
        for o in names:
            out[f"intercept[{o}]"] = post["intercept"].sel(outcome=o)
    for o in spec.outcomes:
        for t in o.terms:
            out[f"beta[{o.name}, {t}]"] = post[f"beta_{o.name}"].sel({f"term_{o.name}": t})
    if "sd_ally" in post:
        for o in names:
            out[f"sd_ally[{o}]"] = post["sd_ally"].sel(outcome=o)
    if "corr_ally" in post:
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                out[f"corr_ally[{a}, {b}]"] = post["corr_ally"].sel(outcome=a, outcome_bis=b)
    for o in spec.outcomes:
        for prefix in ("phi", "sigma", "nu"):
            if f"{prefix}_{o.name}" in post:
                out[f"{prefix}_{o.name}"] = post[f"{prefix}_{o.name}"]
    if "sd_year" in post:
        for o in names:
            out[f"sd_year[{o}]"] = post["sd_year"].sel(outcome=o)
    return xr.Dataset({k: v.drop_vars([c for c in v.coords if c not in ("chain", "draw")])
                       for k, v in out.items()})


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

    def diagnostics(self) -> Diagnostics:
        """Sampler health over every free parameter (ally effects included).

        Divergences, max R-hat, min ESS bulk/tail, BFMI and stuck chains, with
        the problems found (see :func:`bayes_alliance.convergence.diagnose`).
        Computed once per ``idata`` object (a full fit takes seconds) and reused.
        """
        cached = self.__dict__.get("_diagnostics")
        if cached is None or cached[0] is not self.idata:
            free = [v for v in self.idata["posterior"].data_vars
                    if v not in self.spec.outcome_names and v != "corr_ally"]
            cached = (self.idata, diagnose(self.idata, free))
            self.__dict__["_diagnostics"] = cached
        return cached[1]

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

    # ------------------------------------------------------------------ questions
    def hypothesis(self, hypotheses: str | Sequence[str] | Mapping[str, str], *,
                   prob: float = CI_PROB) -> pd.DataFrame:
        """Posterior of linear hypotheses on the parameters, like brms ``hypothesis()``.

        See :func:`bayes_alliance.contrasts.hypothesis`.
        """
        return hypothesis(self, hypotheses, prob=prob)


def _column_for_netcdf(series: pd.Series) -> np.ndarray:
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        return series.astype(str).to_numpy(dtype=object)
    if str(series.dtype) == "Int64":
        return series.astype("int64").to_numpy()
    return series.to_numpy()


def _prior_set(d: dict) -> PriorSet:

    priors = tuple((sel, _parse_prior(sel, value, "saved run")) for sel, value in
                   d["priors"].items())
    return PriorSet(name=d["name"], description=d["description"], priors=priors,
                    settings=tuple(d.get("settings", {}).items()))
