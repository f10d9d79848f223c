"""`FitResult`: the ArviZ data of a fit plus the panel, spec, priors and scaling.

Saved as one NetCDF file: the ArviZ groups as written by
``DataTree.to_netcdf`` plus a ``bayes_alliance`` group holding the panel rows
and, as JSON attributes, the spec, the prior set, the covariate scaling, the
sampler settings and the package versions. Numeric arrays are compressed
(zlib with byte shuffling). Writing is atomic and never overwrites without
``force``.

Integrity, checked on load (any failure raises
:class:`~bayes_alliance.errors.ResultError`): a seal line after the HDF5 data
holds the SHA-256 of the file's bytes and is checked before the file is
parsed; the ``bayes_alliance`` group carries ``content_sha256``, a SHA-256 of
every stored array and the metadata as decoded (:func:`content_digest`); and
the stored spec must still hash to ``spec_hash``.
Package versions that differ from the running ones are reported in
:attr:`FitResult.info` (``load_notes``) and as a warning, not as an error.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance import predict as prediction
from bayes_alliance.constants import CI_PROB
from bayes_alliance.contrasts import hypothesis
from bayes_alliance.convergence import Diagnostics, diagnose
from bayes_alliance.data.panel import Panel
from bayes_alliance.errors import ResultError
from bayes_alliance.io import atomic_path, sha256_prefix
from bayes_alliance.models.design import Scaling
from bayes_alliance.models.names import readable_cells
from bayes_alliance.models.priors import PriorSet, _parse_prior
from bayes_alliance.models.spec import ModelSpec
from bayes_alliance.models.strategic.hypotheses import structural_hypotheses
from bayes_alliance.models.strategic.spec import StrategicSpec

META_GROUP = "bayes_alliance"
#: attribute of :data:`META_GROUP` holding :func:`content_digest` of the saved tree
DIGEST_ATTR = "content_sha256"
#: the file seal: a line appended after the HDF5 data (readers ignore bytes past its end)
#: holding the SHA-256 of all bytes before it, checked before the file is parsed
SEAL_PREFIX = b"\n%bayes_alliance-sha256 "
SEAL_LENGTH = len(SEAL_PREFIX) + 64 + 1
#: zlib level of the numeric arrays (4: most of the gain of 9 at a fraction of the time)
COMPLEVEL = 4
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
    (:func:`~bayes_alliance.models.names.readable_cells`; a strategic spec's
    own :meth:`~bayes_alliance.models.strategic.spec.StrategicSpec.readable_cells`);
    ``corr_ally`` keeps the upper triangle only.
    """
    post = idata["posterior"] if "posterior" in idata.children else idata
    cells = spec.readable_cells() if isinstance(spec, StrategicSpec) else readable_cells(spec)
    out = {c.name: post[c.variable].sel(dict(c.coords)) for c in cells if c.variable in post}
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
        """Write the result to a compressed NetCDF file atomically, with its checksum.

        Raises
        ------
        ResultError
            When ``path`` exists and ``force`` is False.
        """
        path = Path(path)
        if path.exists() and not force:
            raise ResultError(f"{path} exists; pass force=True (CLI: --force) to replace it")
        import h5py

        tree = self.idata.copy()
        tree[META_GROUP] = self._meta_node()
        with atomic_path(path, force=True) as tmp:
            tree.to_netcdf(tmp, engine="h5netcdf", encoding=_compression(tree))
            # the digest of what a reader gets back (NetCDF turns some dtypes into others)
            with xr.open_datatree(tmp, engine="h5netcdf") as back:
                digest = content_digest(back.load())
            with h5py.File(tmp, "r+") as f:
                f[META_GROUP].attrs[DIGEST_ATTR] = digest
            seal = sha256_prefix(tmp)
            with tmp.open("ab") as f:
                f.write(SEAL_PREFIX + seal.encode() + b"\n")
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
        _check_seal(path)
        try:
            with xr.open_datatree(path, engine="h5netcdf") as tree:
                tree = tree.load()
        except (OSError, ValueError, KeyError, RuntimeError, TypeError, AttributeError) as err:
            raise ResultError(f"cannot read run file {path}: {err}. It may be corrupt, truncated "
                              "or not a NetCDF file; refit with `bayes-alliance fit`") from err
        if META_GROUP not in tree.children:
            raise ResultError(f"{path} is not a bayes_alliance run (no '{META_GROUP}' group)")
        _verify(tree, path)
        meta = tree[META_GROUP].to_dataset()
        attrs = meta.attrs
        try:
            columns = json.loads(attrs["columns"])
            panel_meta = json.loads(attrs["panel"])
            frame = pd.DataFrame({c: meta[c].to_numpy() for c in columns})
            for c, dtype in panel_meta["dtypes"].items():
                frame[c] = frame[c].astype(dtype) if dtype != "object" else frame[c]
            raw_spec = json.loads(attrs["spec"])
            spec = (StrategicSpec.from_dict(raw_spec) if "links" in raw_spec
                    else ModelSpec.from_dict(raw_spec))
            prior_dict = json.loads(attrs["prior_set"])
            scaling = Scaling.from_dict(json.loads(attrs["scaling"]))
            info = json.loads(attrs["info"])
        except (KeyError, ValueError, TypeError) as err:
            raise ResultError(f"{path}: the '{META_GROUP}' group is incomplete ({err})") from err
        if spec.hash() != attrs.get("spec_hash"):
            raise ResultError(f"{path}: the stored spec hashes to {spec.hash()}, not to the saved "
                              f"spec_hash {attrs.get('spec_hash')}; the file was altered or "
                              "written by an incompatible version. Refit with "
                              "`bayes-alliance fit --out RUN.nc`")
        notes = _version_notes(info.get("versions", {}))
        if notes:
            info["load_notes"] = notes
            for note in notes:
                warnings.warn(f"{path}: {note}", UserWarning, stacklevel=2)
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

    # ------------------------------------------------------------------ prediction
    def predict(self, newdata: pd.DataFrame | None = None, kind: str = "epred", *,
                outcomes: list[str] | str | None = None, random_seed: Any = None) -> xr.Dataset:
        """Posterior predictions on ``newdata``; see :func:`bayes_alliance.predict.predict`."""
        return prediction.predict(self, newdata, kind, outcomes=outcomes, random_seed=random_seed)

    def conditional_effects(self, variable: str, *, outcome: str, **kwargs: Any
                            ) -> tuple[pd.DataFrame, Any]:
        """Prediction along one covariate; see :func:`.predict.conditional_effects`."""
        return prediction.conditional_effects(self, variable, outcome=outcome, **kwargs)


def fit_summary(result: Any) -> dict[str, Any]:
    """The JSON summary of a fit: settings, timings, diagnostics, parameters.

    A strategic fit adds ``structural_hypotheses``: the hypotheses the game
    tests directly, with their posterior probabilities
    (:func:`~bayes_alliance.models.strategic.hypotheses.structural_hypotheses`).

    Non-finite numbers (e.g. the R-hat of a parameter that is constant over the
    draws) become None, so the summary is valid JSON.
    """
    table = result.summary()
    lo, hi = table.columns[2], table.columns[3]
    diag = result.diagnostics().to_dict()
    structural = ({"structural_hypotheses": structural_hypotheses(
        result.spec, result.idata["posterior"]).to_dict("records")}
        if isinstance(result.spec, StrategicSpec) else {})
    return {
        "spec": result.spec.name,
        "spec_hash": result.spec.hash(),
        "priors": result.prior_set.name,
        "panel": result.panel.source,
        "dropped_rows": result.panel.dropped_rows,
        "synthetic_outcomes": result.panel.synthetic,
        "sampler": result.info["sampler"],
        "draws": result.info["draws"], "tune": result.info["tune"],
        "chains": result.info["chains"], "random_seed": result.info["random_seed"],
        "compile_seconds": result.info["compile_s"],
        "sampling_seconds": result.info["sampling_s"],
        "wall_seconds": result.info["wall_s"],
        **{k: diag[k] for k in ("divergences", "divergences_per_chain", "max_rhat",
                                "min_ess_bulk", "min_ess_tail", "bfmi", "stuck_chains", "ok",
                                "problems")},
        "restarts": result.info.get("restarts", []),
        "interval": CI_PROB,
        "parameters": {
            name: {"mean": _finite(row["mean"]), "sd": _finite(row["sd"]),
                   "lo": _finite(row[lo]), "hi": _finite(row[hi]),
                   "r_hat": _finite(row["r_hat"]), "ess_bulk": _finite(row["ess_bulk"])}
            for name, row in table.iterrows()
        },
        **structural,
    }


def _finite(x: Any) -> float | None:
    value = float(x)
    return value if np.isfinite(value) else None


def content_digest(tree: xr.DataTree) -> str:
    """SHA-256 over every stored array and the metadata attributes, in a stable order.

    For each group (sorted by path) and each of its own variables and
    coordinates (sorted by name) the digest takes the group path, the name,
    the dimension names, the dtype and the raw little-endian bytes (text arrays
    as JSON); then the JSON attributes of :data:`META_GROUP` (sorted by key,
    :data:`DIGEST_ATTR` left out). Other attributes (timestamps, library
    names) are not covered: they carry no result.
    """
    h = hashlib.sha256()
    for node in sorted(tree.subtree, key=lambda n: n.path):
        ds = node.to_dataset(inherit=False)
        for name in sorted(map(str, ds.variables)):
            var = ds.variables[name]
            values = np.asarray(var.values)
            text = values.dtype.kind in "OUS"  # object and fixed-width strings alike
            h.update(json.dumps([node.path, name, list(map(str, var.dims)),
                                 "text" if text else f"{values.dtype.kind}{values.dtype.itemsize}",
                                 list(values.shape)]).encode())
            if text:
                h.update(json.dumps([str(v) for v in values.ravel()]).encode())
            else:
                h.update(np.ascontiguousarray(values, values.dtype.newbyteorder("<")).tobytes())
    attrs = tree[META_GROUP].attrs
    h.update(json.dumps({k: str(v) for k, v in attrs.items() if k != DIGEST_ATTR},
                        sort_keys=True).encode())
    return h.hexdigest()


def _check_seal(path: Path) -> None:
    """Check the file seal before HDF5 parses the file.

    Corrupt HDF5 metadata can make the parser fail in odd ways or even hang
    (found by the corruption property test), so the bytes are checked first.
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(size - SEAL_LENGTH, 0))
        tail = f.read()
    digest = tail[len(SEAL_PREFIX):-1].decode("ascii", errors="replace")
    if not tail.startswith(SEAL_PREFIX) or len(tail) != SEAL_LENGTH:
        raise ResultError(f"cannot read run file {path}: it has no checksum seal at its end, "
                          "so it is truncated, not a run file, altered, or written by an older "
                          "version, and its integrity cannot be checked. Refit with "
                          "`bayes-alliance fit --out RUN.nc`")
    if sha256_prefix(path, size - SEAL_LENGTH) != digest:
        raise ResultError(f"{path} is corrupt: its bytes no longer match the checksum saved "
                          "with it. The file was damaged or edited after it was written; "
                          "refit with `bayes-alliance fit --out RUN.nc` or restore a copy")


def _compression(tree: xr.DataTree) -> dict[str, dict[str, dict[str, Any]]]:
    """Encoding: zlib with shuffling for every numeric array (text arrays stay as they are)."""
    encoding: dict[str, dict[str, dict[str, Any]]] = {}
    for node in tree.subtree:
        ds = node.to_dataset(inherit=False)
        enc = {str(name): {"zlib": True, "complevel": COMPLEVEL, "shuffle": True}
               for name, var in ds.variables.items()
               if var.dtype.kind in "biuf" and var.ndim > 0}
        if enc:
            encoding[node.path] = enc
    return encoding


def _verify(tree: xr.DataTree, path: Path) -> None:
    """Raise :class:`ResultError` unless the saved checksum matches the loaded tree."""
    saved = tree[META_GROUP].attrs.get(DIGEST_ATTR)
    if saved is None:
        raise ResultError(f"{path} has no checksum ('{DIGEST_ATTR}'): it was written by an "
                          "older version or altered, so its integrity cannot be checked. "
                          "Refit with `bayes-alliance fit --out RUN.nc`")
    try:
        actual = content_digest(tree)
    except (TypeError, ValueError) as err:
        raise ResultError(f"{path} is corrupt: its arrays cannot be read back ({err}). "
                          "Refit with `bayes-alliance fit --out RUN.nc`") from err
    if actual != saved:
        raise ResultError(f"{path} is corrupt: its content checksum ({actual[:12]}...) differs "
                          f"from the one saved with it ({str(saved)[:12]}...). The file was "
                          "damaged or edited after it was written; refit with "
                          "`bayes-alliance fit --out RUN.nc` or restore a copy")


def _version_notes(saved: dict[str, str]) -> list[str]:
    """One note per package whose version differs from the one that made the fit."""
    now = versions()
    return [f"fitted with {name} {v}, running {now.get(name, 'not installed')}"
            for name, v in sorted(saved.items()) if now.get(name) != v]


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
