r"""The robustness grid: every hypothesis under specs x prior sets x measurement variants.

A grid file (``models/robustness/<name>.toml``, or any path) declares:

* ``[[specs]]``: ``name``, ``spec`` (shipped name or path) and optionally
  ``all_covariates = true`` (every covariate in every equation:
  :meth:`~bayes_alliance.models.spec.ModelSpec.with_all_covariates`);
* ``priors``: the prior sets;
* ``[[panels]]``: the measurement variants, each a ``name`` and a ``panel``
  (anything :func:`~bayes_alliance.load_panel` accepts: a panel built with
  another measure of reassurance is another variant); default the real panel;
* ``[settings]``: the sampler settings of
  :func:`bayes_alliance.replication.check_settings`; ``seed`` (each cell's seed
  is ``seed`` plus a number derived from the cell's name, so it does not change
  when the grid grows), ``workers`` (Dask worker processes; each runs its
  cell's chains in parallel, so the grid uses up to ``workers x chains`` cores)
  and ``init`` (the chains' start in every cell, ``"default"`` or ``"mode"``:
  :func:`bayes_alliance.fit.fit_model`);
* ``[identification]`` (optional): ``specs`` (names from ``[[specs]]``),
  ``priors`` and ``panel``: for each such spec, the refits of
  :func:`bayes_alliance.identification.relaxations` under that prior set;
* ``[fake_data]`` (optional): ``cell`` (a grid cell's name), ``reps``,
  ``draws``, ``tune``, ``chains``: the fake-data check of that cell's fit
  (:func:`bayes_alliance.validation.fakedata.fake_data_check`; its refits are
  not saved, so it runs again each time).

:func:`run_grid` fits every cell (the product of specs, prior sets and panels,
plus the relaxation refits) on a ``dask.distributed.LocalCluster`` of worker
processes. A cell whose run file ``runs_dir/<cell>.nc`` was made from the same
spec, prior set, panel, seed and settings is reused
(:func:`bayes_alliance.replication.fit_or_reuse`), so an interrupted grid
resumes where it stopped. Each new fit also stores the log prior density of
the top-level parameters on the draws of its log-likelihood group, which
ArviZ's power-scaling diagnostic needs (:func:`power_scaling`).

Output (``out``): ``robustness.csv`` / ``robustness.json`` (one row per
hypothesis and cell), ``robustness.md`` (one row per hypothesis, its
verdict, one column per cell), ``evidence.csv`` (per hypothesis its verdict
and the evidence in words, :func:`hypothesis_evidence`; also in
``summary.json``, with each coefficient's identification label under
``identification_labels``, which ``bayes-alliance scenario --identification``
reads), ``identification.csv`` / ``.md``
(:func:`bayes_alliance.identification.identification_frame`) and
``summary.json``; with ``[fake_data]`` also ``fakedata.csv`` (per hypothesis)
and ``fakedata_replicates.csv``.

Verdict of a hypothesis in one cell (:func:`cell_verdict`), with
:math:`P` the posterior share of draws with the predicted sign, :math:`P_0`
the same share over the prior draws, and the power-scaling sensitivities
(Kallioinen et al. 2024, ``arviz_stats.psense``) of the coefficient to the
prior and to the likelihood, each compared with :data:`PSENSE_THRESHOLD`:

1. *not estimated*: the cell's spec has no such coefficient;
2. *not identified*: its R-hat exceeds
   :data:`~bayes_alliance.constants.RHAT_MAX` (chains disagree: a ridge or
   several modes), or its likelihood sensitivity is below the threshold (the
   data hardly move it);
3. *prior-driven*: its prior sensitivity is at or above the threshold and the
   prior alone already leans to the side the posterior takes
   (:math:`|P_0 - 1/2| \ge` :data:`PRIOR_LEAN` and :math:`P_0 - 1/2`,
   :math:`P - 1/2` of the same sign);
4. *supported*: :math:`P \ge` :data:`DECISIVE`; *contradicted*:
   :math:`P \le 1 -` :data:`DECISIVE`; otherwise *inconclusive*.

Verdict over the grid (:func:`overall_verdict`): *not identified* if any cell
says so, relaxing one exclusion flips the coefficient's sign (the
identification table) or the fake-data check labels it not identified;
otherwise, over the cells that are not prior-driven, *supported* or
*contradicted* when every one of them says so; *prior-driven* when every
estimated cell is prior-driven; *inconclusive* otherwise (no
decisive sign, or cells that disagree).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayes_alliance.constants import RHAT_MAX
from bayes_alliance.errors import ConvergenceWarning, ReplicationError
from bayes_alliance.fit import INITS
from bayes_alliance.identification import (
    Relaxation,
    identification_frame,
    relaxations,
    render_identification,
)
from bayes_alliance.io import write_text_atomic
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.models.names import readable_cells
from bayes_alliance.models.spec import ModelSpec, load_spec
from bayes_alliance.replication import (
    Run,
    check_settings,
    fit_or_reuse,
    hypotheses_frame,
    panel_hash,
    table_with_defaults,
)
from bayes_alliance.resources import read_shipped_toml
from bayes_alliance.results import FitResult, versions
from bayes_alliance.scenarios.drivers import IDENTIFICATION_LABELS
from bayes_alliance.validation.cluster import dask_client
from bayes_alliance.validation.fakedata import fake_data_check

#: default grid (``models/robustness/real.toml``)
DEFAULT_GRID = "real"
#: power-scaling sensitivity at or above which the prior (or likelihood) counts as influential
PSENSE_THRESHOLD = 0.05
#: a posterior share of the predicted sign at least this high supports the hypothesis
DECISIVE = 0.95
#: a prior leans to a sign when its P_0 is at least this far from 1/2
PRIOR_LEAN = 0.2
#: free parameters whose prior is power-scaled: the top level, not the ally or year effects
#: or the latent innovations (power-scaling a hierarchical level would rescale the
#: population sds it depends on)
HIERARCHICAL = ("z_ally", "a_ally", "z_year", "z_innovation")
VERDICTS = ("supported", "contradicted", "not identified", "prior-driven", "inconclusive",
            "not estimated")

_TOP_KEYS = {"schema_version", "name", "description", "out", "runs_dir", "priors", "specs",
             "panels", "settings", "identification", "fake_data"}
_SPEC_KEYS = {"name", "spec", "all_covariates"}
_PANEL_KEYS = {"name", "panel"}
_ID_KEYS = {"specs", "priors", "panel"}
_FAKE_KEYS = {"cell": "", "reps": 4, "draws": 500, "tune": 500, "chains": 2}
_GRID_SETTINGS = {"seed": 20260101, "workers": 2}
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@dataclass(frozen=True)
class Cell:
    """One fit of the grid: a spec under a prior set on a panel, with its seed."""

    name: str
    spec_name: str
    spec: ModelSpec
    priors: str
    panel_name: str
    panel: str
    seed: int
    relaxation: str = ""  # label of the identification refit ("" for a grid cell)
    init: str = "default"  # the chains' start (bayes_alliance.fit.INITS)


@dataclass(frozen=True)
class Grid:
    """A validated robustness grid (see the module docstring for the file format)."""

    name: str
    description: str
    out: Path
    runs_dir: Path
    settings: dict[str, Any]
    seed: int
    workers: int
    cells: tuple[Cell, ...]
    identification: tuple[tuple[str, str], ...]  # (base cell, relaxation cell) names
    fake_data: dict[str, Any] | None = None  # the [fake_data] table, defaults filled in
    source: str = ""

    @property
    def grid_cells(self) -> tuple[Cell, ...]:
        """The cells of the declared product (no relaxation refits)."""
        return tuple(c for c in self.cells if not c.relaxation)


def _seed(base: int, name: str) -> int:
    return base + int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % 1_000_000


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or not set(value) <= _NAME_CHARS:
        raise ReplicationError(f"{what} must be a non-empty name of letters, digits, '_', '.' "
                               f"or '-' (it names run files), got {value!r}")
    return value


def _tables(raw: dict[str, Any], key: str, keys: set[str], where: str) -> list[dict[str, Any]]:
    rows = raw.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ReplicationError(f"{where}: '{key}' must be an array of [[{key}]] tables")
    for i, r in enumerate(rows):
        bad = sorted(set(r) - keys)
        if bad:
            raise ReplicationError(f"{where} [[{key}]] #{i + 1}: unknown key(s) {bad}; valid: "
                                   f"{sorted(keys)}")
    names = [r.get("name") for r in rows]
    if len(set(map(str, names))) != len(names):
        raise ReplicationError(f"{where}: [[{key}]] names must be unique, got {names}")
    return rows


def _specs(raw: dict[str, Any], where: str) -> dict[str, ModelSpec]:
    rows = _tables(raw, "specs", _SPEC_KEYS, where)
    if not rows:
        raise ReplicationError(f"{where}: no [[specs]]; declare at least one (name, spec)")
    out = {}
    for i, r in enumerate(rows):
        here = f"{where} [[specs]] #{i + 1}"
        name = _name(r.get("name"), f"{here}: name")
        if "spec" not in r:
            raise ReplicationError(f"{here}: missing key 'spec' (a shipped spec name or a path)")
        every = r.get("all_covariates", False)
        if not isinstance(every, bool):
            raise ReplicationError(f"{here}: all_covariates must be true or false, "
                                   f"got {every!r}")
        spec = load_spec(str(r["spec"]))
        out[name] = replace(spec.with_all_covariates() if every else spec, name=name)
    return out


def _panels(raw: dict[str, Any], where: str) -> dict[str, str]:
    rows = _tables(raw, "panels", _PANEL_KEYS, where) or [{"name": "real", "panel": "real"}]
    out = {}
    for i, r in enumerate(rows):
        here = f"{where} [[panels]] #{i + 1}"
        if "panel" not in r:
            raise ReplicationError(f"{here}: missing key 'panel' (\"real\" or a panel path)")
        out[_name(r.get("name"), f"{here}: name")] = str(r["panel"])
    return out


def _settings(raw: dict[str, Any], where: str) -> tuple[dict[str, Any], int, int, str]:
    given = dict(raw.get("settings", {})) if isinstance(raw.get("settings", {}), dict) else None
    if given is None:
        raise ReplicationError(f"{where}: [settings] must be a table, got {raw['settings']!r}")
    init = given.pop("init", "default")
    if init not in INITS:
        raise ReplicationError(f"{where} [settings]: init must be one of {list(INITS)}, "
                               f"got {init!r}")
    own = {**_GRID_SETTINGS, **{k: given[k] for k in _GRID_SETTINGS if k in given}}
    for key, value in own.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ReplicationError(f"{where} [settings]: {key} must be a positive integer, "
                                   f"got {value!r}")
    sampler = check_settings({k: v for k, v in given.items() if k not in _GRID_SETTINGS}, where)
    return sampler, own["seed"], own["workers"], init


def load_grid(grid: str | os.PathLike[str] = DEFAULT_GRID) -> Grid:
    """Read and validate a robustness grid (shipped name or path).

    Raises
    ------
    ReplicationError
        On an unknown key, a missing spec, prior set or panel name, a bad
        setting, or an identification entry naming an undeclared spec.
    """
    raw, path = read_shipped_toml(grid, ("robustness",), kind="robustness grid",
                                  error=ReplicationError)
    where = path.name
    bad = sorted(set(raw) - _TOP_KEYS)
    if bad:
        raise ReplicationError(f"{where}: unknown key(s) {bad}; valid: {sorted(_TOP_KEYS)}")
    priors = raw.get("priors")
    if (not isinstance(priors, list) or not priors
            or not all(isinstance(p, str) and p for p in priors) or len(set(priors)) < len(priors)):
        raise ReplicationError(f"{where}: priors must be a non-empty list of distinct prior-set "
                               f"names, e.g. [\"theory\", \"weak\", \"skeptical\"]; got {priors!r}")
    for p in priors:
        _name(p, f"{where}: prior set name")
    specs, panels = _specs(raw, where), _panels(raw, where)
    settings, seed, workers, init = _settings(raw, where)
    cells = []
    for s_name, spec in specs.items():
        for p in priors:
            for v_name, panel in panels.items():
                name = f"{s_name}-{p}-{v_name}"
                cells.append(Cell(name, s_name, spec, p, v_name, panel, _seed(seed, name),
                                  init=init))
    pairs = []
    ident = raw.get("identification")
    if ident is not None:
        if not isinstance(ident, dict):
            raise ReplicationError(f"{where}: [identification] must be a table")
        bad = sorted(set(ident) - _ID_KEYS)
        if bad:
            raise ReplicationError(f"{where} [identification]: unknown key(s) {bad}; valid: "
                                   f"{sorted(_ID_KEYS)}")
        prior = ident.get("priors", priors[0])
        panel_name = ident.get("panel", next(iter(panels)))
        if prior not in priors or panel_name not in panels:
            raise ReplicationError(f"{where} [identification]: priors {prior!r} and panel "
                                   f"{panel_name!r} must be among the grid's priors {priors} "
                                   f"and panels {list(panels)}")
        names = ident.get("specs", list(specs))
        unknown = [s for s in names if s not in specs] if isinstance(names, list) else [names]
        if unknown:
            raise ReplicationError(f"{where} [identification]: specs {unknown} are not among "
                                   f"the [[specs]] names {list(specs)}")
        for s_name in names:
            base = f"{s_name}-{prior}-{panel_name}"
            for r in relaxations(specs[s_name]):
                name = f"{base}-relax-{r.label}"
                cells.append(Cell(name, s_name, _relaxed(r, s_name), prior, panel_name,
                                  panels[panel_name], _seed(seed, name), relaxation=r.label,
                                  init=init))
                pairs.append((base, name))
    return Grid(name=str(raw.get("name", path.stem)), description=str(raw.get("description", "")),
                out=Path(raw.get("out", "reports/robustness")),
                runs_dir=Path(raw.get("runs_dir", "runs/robustness")), settings=settings,
                seed=seed, workers=workers, cells=tuple(cells), identification=tuple(pairs),
                fake_data=_fake_data(raw, [c.name for c in cells if not c.relaxation], where),
                source=where)


def _fake_data(raw: dict[str, Any], cells: list[str], where: str) -> dict[str, Any] | None:
    given = raw.get("fake_data")
    if given is None:
        return None
    out = table_with_defaults(given, _FAKE_KEYS, "fake_data", where)
    if out["cell"] not in cells:
        raise ReplicationError(f"{where} [fake_data]: cell {out['cell']!r} is not a grid cell; "
                               f"cells: {', '.join(cells)}")
    for key in ("reps", "draws", "tune", "chains"):
        if not isinstance(out[key], int) or isinstance(out[key], bool) or out[key] < 1:
            raise ReplicationError(f"{where} [fake_data]: {key} must be a positive integer, "
                                   f"got {out[key]!r}")
    return out


def _relaxed(r: Relaxation, spec_name: str) -> ModelSpec:
    return replace(r.spec, name=f"{spec_name}+{r.label}")


# ---------------------------------------------------------------------- fitting (Dask workers)
def add_log_prior(result: FitResult, model: AllianceModel) -> None:
    """Store the log prior density of the top-level parameters as the ``log_prior`` group.

    It is evaluated on the posterior draws kept in the ``log_likelihood``
    group (thinned by :func:`~bayes_alliance.fit.fit_model`), so that the two
    groups that power-scaling reweights describe the same draws.
    """
    import pymc as pm

    idata = result.idata
    draws = idata["log_likelihood"]["draw"].to_numpy()
    post = idata["posterior"].to_dataset().sel(draw=draws)
    names = [v.name for v in model.pymc_model.free_RVs if v.name not in HIERARCHICAL]
    log_prior = pm.compute_log_prior(xr.DataTree.from_dict({"posterior": post}),
                                     var_names=names, extend_inferencedata=False,
                                     model=model.pymc_model, progressbar=False)
    idata["log_prior"] = log_prior


def fit_cell(cell: Cell, settings: dict[str, Any], runs_dir: Path) -> dict[str, Any]:
    """Fit (or reuse) one cell into ``runs_dir/<cell>.nc``; runs in a Dask worker process.

    Returns
    -------
    dict
        ``name``, ``status`` (``"fitted"`` or ``"reused"``), ``seconds`` and
        the ``log`` lines.
    """
    for name in ("pymc", "pytensor", "nutpie"):
        logging.getLogger(name).setLevel(logging.ERROR)
    t0 = time.perf_counter()
    lines: list[str] = []
    model = AllianceModel.from_spec(cell.spec, cell.panel, cell.priors)
    run = Run(name=cell.name, spec=cell.spec_name, priors=cell.priors, seed=cell.seed,
              init=cell.init)
    with warnings.catch_warnings():  # the summary reports each cell's diagnostics
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, status = fit_or_reuse(model, run, settings, runs_dir / f"{cell.name}.nc",
                                 lines.append, finish=lambda result: add_log_prior(result, model))
    return {"name": cell.name, "status": status,
            "seconds": round(time.perf_counter() - t0, 1), "log": lines}


def fit_cells(cells: tuple[Cell, ...], settings: dict[str, Any], runs_dir: Path, workers: int,
              log: Callable[[str], None], scheduler: str | None = None) -> list[dict[str, Any]]:
    """Fit ``cells`` on Dask (:func:`~bayes_alliance.validation.cluster.dask_client`).

    With no ``scheduler``, a local cluster of ``workers`` processes, started
    non-daemonic so that a sampler may start processes of its own (PyMC's
    NUTS runs one per chain). Returns each cell's :func:`fit_cell` record, in
    the grid's order.

    Raises
    ------
    ReplicationError
        Naming the cell whose fit failed.
    """
    import dask
    from dask.distributed import as_completed

    runs_dir.mkdir(parents=True, exist_ok=True)
    with dask.config.set({"distributed.worker.daemon": False}), \
            dask_client(scheduler, min(workers, len(cells))) as client:
        futures = {client.submit(fit_cell, c, settings, runs_dir, key=f"cell-{c.name}",
                                 pure=False): c.name for c in cells}
        done = {}
        for future in as_completed(futures):
            try:
                out = future.result()
            except Exception as err:  # noqa: BLE001 - reported with the cell that failed
                raise ReplicationError(f"grid cell '{futures[future]}' failed: "
                                       f"{type(err).__name__}: {err}") from err
            for line in out["log"]:
                log(line)
            log(f"{out['name']}: {out['status']} ({out['seconds']} s)")
            done[out["name"]] = out
    return [done[c.name] for c in cells]


# ---------------------------------------------------------------------- power scaling
def power_scaling(result: FitResult) -> pd.DataFrame:
    """ArviZ's power-scaling sensitivity of every slope (``arviz_stats.psense_summary``).

    The prior of the top-level parameters (group ``log_prior``,
    :func:`add_log_prior`) and the likelihood of all outcomes (group
    ``log_likelihood``) are each raised to the powers 0.99 and 1.01 by
    Pareto-smoothed importance weights; a coefficient's sensitivity is the
    change in its posterior (cumulative Jensen-Shannon distance per unit of
    log power).

    Returns
    -------
    pandas.DataFrame
        Indexed by readable coefficient (``beta[milex, threat]``): ``prior``,
        ``likelihood`` (sensitivities) and ``diagnosis`` (ArviZ's words:
        "potential prior-data conflict", "potential strong prior / weak
        likelihood" or a check mark).

    Raises
    ------
    ReplicationError
        When the fit has no ``log_prior`` or ``log_likelihood`` group.
    """
    from arviz_stats import psense_summary

    idata = result.idata
    missing = [g for g in ("log_prior", "log_likelihood") if g not in idata.children]
    if missing:
        raise ReplicationError(f"fit of spec '{result.spec.name}' has no {missing} group(s); "
                               "power-scaling needs both (refit it with the robustness grid)")
    ll = idata["log_likelihood"].to_dataset()
    tree = xr.DataTree.from_dict({
        "posterior": idata["posterior"].to_dataset().sel(draw=ll["draw"].to_numpy()),
        "log_likelihood": ll, "log_prior": idata["log_prior"].to_dataset()})
    cells = [c for c in readable_cells(result.spec) if c.variable.startswith("beta_")]
    logging.getLogger("arviz_stats.psense").setLevel(logging.ERROR)
    table = psense_summary(tree, var_names=sorted({c.variable for c in cells}),
                           threshold=PSENSE_THRESHOLD, round_to=6)
    labels = {f"{c.variable}[{next(iter(dict(c.coords).values()))}]": c.name for c in cells}
    table = table.rename(index=labels)
    table.index.name = "coefficient"
    return table[["prior", "likelihood", "diagnosis"]]


# ---------------------------------------------------------------------- verdicts
def cell_verdict(p: float, prior_p: float, r_hat: float, prior_sens: float,
                 likelihood_sens: float) -> str:
    """Verdict of one hypothesis in one cell (rules 1-4 of the module docstring)."""
    if not np.isfinite(p):
        return "not estimated"
    if r_hat > RHAT_MAX or likelihood_sens < PSENSE_THRESHOLD:
        return "not identified"
    if (prior_sens >= PSENSE_THRESHOLD and np.isfinite(prior_p)
            and abs(prior_p - 0.5) >= PRIOR_LEAN and (prior_p - 0.5) * (p - 0.5) > 0):
        return "prior-driven"
    if p >= DECISIVE:
        return "supported"
    if p <= 1 - DECISIVE:
        return "contradicted"
    return "inconclusive"


def overall_verdict(verdicts: list[str], unidentified: bool = False) -> str:
    """Verdict of one hypothesis over the grid (the module docstring's last paragraph).

    ``unidentified``: found not identified outside the grid's cells
    (identification table or fake-data check).
    """
    estimated = [v for v in verdicts if v != "not estimated"]
    if not estimated:
        return "not estimated"
    if unidentified or "not identified" in estimated:
        return "not identified"
    informative = [v for v in estimated if v != "prior-driven"]
    if not informative:
        return "prior-driven"
    for verdict in ("supported", "contradicted"):
        if all(v == verdict for v in informative):
            return verdict
    return "inconclusive"


def grid_frame(results: dict[str, FitResult], cells: tuple[Cell, ...],
               unidentified: set[str] = frozenset()) -> pd.DataFrame:
    """One row per hypothesis with a coefficient and grid cell: the evidence and its verdict.

    Parameters
    ----------
    results
        ``{cell name: FitResult}`` of the grid cells.
    cells
        The grid cells, in order.
    unidentified
        Ids of hypotheses found not identified outside the grid: the sign
        flips when one exclusion is relaxed (``exclusion_driven`` in the
        identification table), or the fake-data check labels them so.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``coefficient``, ``sign``, ``cell``, ``spec``, ``priors``,
        ``panel``, ``mean``, ``lo``, ``hi``, ``P(sign)``, ``prior P(sign)``,
        ``r_hat``, ``psense prior``, ``psense likelihood``, ``psense diagnosis``,
        ``verdict`` (in the cell) and ``overall`` (over the grid).
    """
    wide = hypotheses_frame(results)
    sens = {c.name: power_scaling(results[c.name]) for c in cells}
    rows = []
    for _, h in wide.iterrows():
        for c in cells:
            s = sens[c.name]
            known = h["coefficient"] in s.index
            prior_s = float(s.loc[h["coefficient"], "prior"]) if known else np.nan
            lik_s = float(s.loc[h["coefficient"], "likelihood"]) if known else np.nan
            get = {k: h[f"{c.name} {k}"] for k in ("mean", "lo", "hi", "P(sign)",
                                                   "prior P(sign)", "r_hat")}
            rows.append({"id": h["id"], "coefficient": h["coefficient"], "sign": h["sign"],
                         "cell": c.name, "spec": c.spec_name, "priors": c.priors,
                         "panel": c.panel_name, **get, "psense prior": prior_s,
                         "psense likelihood": lik_s,
                         "psense diagnosis": s.loc[h["coefficient"], "diagnosis"] if known else "",
                         "verdict": cell_verdict(get["P(sign)"], get["prior P(sign)"],
                                                 get["r_hat"], prior_s, lik_s)})
    frame = pd.DataFrame(rows)
    overall = {i: overall_verdict(list(g["verdict"]), i in unidentified)
               for i, g in frame.groupby("id", sort=False)}
    frame["overall"] = frame["id"].map(overall)
    return frame


_FLAGS = {"potential prior-data conflict": "conflict",
          "potential strong prior / weak likelihood": "strong prior"}


def render_grid(frame: pd.DataFrame, summary: dict[str, Any]) -> str:
    """The robustness table as Markdown: one row per hypothesis, one column per cell."""
    cells = [c["name"] for c in summary["cells"] if not c["relaxation"]]
    s = summary["settings"]
    lines = [
        f"<!-- generated by `bayes-alliance robustness` ({summary['grid']}); do not edit -->",
        f"Each cell: {s['chains']} chains x {s['draws']} draws after {s['tune']} tuning steps "
        f"({s['sampler']}). Entry: P(sign) = posterior share of draws with the predicted "
        "sign, with the prior-only share in brackets; then ArviZ's power-scaling flag "
        f"(threshold {PSENSE_THRESHOLD}: *conflict* = prior-data conflict, *strong prior* = "
        "strong prior / weak likelihood) and the cell's verdict. Verdict rules: "
        f"*not identified* if R-hat > {RHAT_MAX} or the likelihood sensitivity is below "
        f"{PSENSE_THRESHOLD}; *prior-driven* if the prior sensitivity is at least "
        f"{PSENSE_THRESHOLD} and the prior alone leans (|P0 - 0.5| >= {PRIOR_LEAN}) to the "
        f"posterior's side; *supported* if P(sign) >= {DECISIVE}, *contradicted* if "
        f"<= {1 - DECISIVE:.2f}, else *inconclusive*. Overall: *not identified* if any cell "
        "is, relaxing one exclusion flips the sign or the fake-data check says so; else "
        "*supported* / *contradicted* when every cell that is not prior-driven says so; "
        "*prior-driven* when all are; else *inconclusive*. Hypotheses that no cell "
        "estimates are left out.",
        "",
        "| H | coefficient | sign | overall | " + " | ".join(cells) + " |",
        "|---|---|---|---|" + "---|" * len(cells),
    ]
    for hid, g in frame.groupby("id", sort=False):
        if (g["verdict"] == "not estimated").all():
            continue
        by_cell = g.set_index("cell")
        entries = []
        for c in cells:
            r = by_cell.loc[c]
            if r["verdict"] == "not estimated":
                entries.append("-")
                continue
            prior = f" ({r['prior P(sign)']:.2f})" if np.isfinite(r["prior P(sign)"]) else ""
            flag = _FLAGS.get(r["psense diagnosis"], "")
            entries.append(f"{r['P(sign)']:.2f}{prior}{', ' + flag if flag else ''}: "
                           f"{r['verdict']}")
        first = g.iloc[0]
        lines.append(f"| {hid} | `{first['coefficient']}` | {first['sign']} | "
                     f"**{first['overall']}** | " + " | ".join(entries) + " |")
    return "\n".join(lines) + "\n"


def hypothesis_evidence(frame: pd.DataFrame, ident: pd.DataFrame | None = None,
                        fake: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per hypothesis: its overall verdict and the grid evidence behind it, in words.

    Parameters
    ----------
    frame
        :func:`grid_frame` (one row per hypothesis and grid cell).
    ident
        The identification table (``exclusion_driven`` rows are named).
    fake
        The fake-data table of :func:`~bayes_alliance.validation.fakedata.fake_data_check`.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``coefficient``, ``verdict`` (:func:`overall_verdict`, as in
        ``frame``) and ``robustness``: the range of P(sign) over the cells that
        estimate the coefficient, the number of cells per verdict ("k of n
        cells"), the relaxed exclusions that flip its sign and the fake-data
        label with its coverage and sign recovery.
    """
    rows = []
    for hid, g in frame.groupby("id", sort=False):
        est = g[g["verdict"] != "not estimated"]
        if est.empty:
            text = f"no cell of {len(g)} estimates it"
        else:
            p = est["P(sign)"]
            lo, hi = f"{p.min():.2f}", f"{p.max():.2f}"
            span = lo if lo == hi else f"{lo}-{hi}"
            counts = est["verdict"].value_counts()
            text = (f"P(sign) {span} in {len(est)} of {len(g)} cells: "
                    + ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts))
        if ident is not None and len(ident):
            flips = ident[(ident["id"] == hid)
                          & ident["exclusion_driven"].fillna(False).astype(bool)]
            if len(flips):
                text += f"; sign flips when relaxing {', '.join(flips['relaxed'])}"
        if fake is not None and hid in set(fake["id"]):
            f = fake.set_index("id").loc[hid]
            text += (f"; fake data: {f['label']} (90% coverage {f['coverage90']:.2f}, "
                     f"sign recovery {f['sign_recovery']:.2f})")
        rows.append({"id": hid, "coefficient": g["coefficient"].iloc[0],
                     "verdict": g["overall"].iloc[0], "robustness": text})
    return pd.DataFrame(rows, columns=["id", "coefficient", "verdict", "robustness"])


def identification_labels(evidence: pd.DataFrame) -> dict[str, str]:
    """Readable coefficient -> ``"not identified"`` or ``"identified"`` (estimated ones only).

    A coefficient is *not identified* when any hypothesis on it has that
    overall verdict (:func:`hypothesis_evidence`); the scenarios' drivers read
    these labels (key :data:`IDENTIFICATION_LABELS` of ``summary.json``).
    """
    est = evidence[evidence["verdict"] != "not estimated"]
    return {coef: "not identified" if (g["verdict"] == "not identified").any() else "identified"
            for coef, g in est.groupby("coefficient", sort=True)}


# ---------------------------------------------------------------------- the command
def _identification(cfg: Grid, results: dict[str, FitResult]) -> pd.DataFrame:
    """The identification table of every base cell with relaxation refits (may be empty)."""
    frames = []
    for base in dict.fromkeys(b for b, _ in cfg.identification):
        relaxed = {c.relaxation: results[c.name] for c in cfg.cells
                   if (base, c.name) in cfg.identification}
        frames.append(identification_frame(results[base], relaxed))
    return pd.concat(frames, ignore_index=True) if frames else identification_frame(
        next(iter(results.values())), {}, hypotheses=[])


def run_grid(grid: str | os.PathLike[str] = DEFAULT_GRID, *, scheduler: str | None = None,
             log: Callable[[str], None] = lambda _: None, out: Path | None = None,
             runs_dir: Path | None = None, overrides: dict[str, Any] | None = None,
             fake_data: bool = True) -> dict[str, Any]:
    """Fit (or reuse) every cell of ``grid`` on Dask and write the robustness output.

    Parameters
    ----------
    grid
        Shipped grid name or path (:func:`load_grid`).
    scheduler
        Address of a running Dask scheduler (None: a local cluster of the
        grid's ``workers`` processes).
    log
        Called with one line per step.
    out, runs_dir
        Replace the grid's output and run folders (None: the grid's own).
    overrides
        Replace the grid's ``draws``, ``tune``, ``chains`` or ``workers``
        (None values are ignored), e.g. for a cheaper grid.
    fake_data
        False skips the grid's ``[fake_data]`` check.

    Returns
    -------
    dict
        The content of ``summary.json``: per cell its status and diagnostics,
        the overall verdict of each hypothesis, the evidence behind it
        (:func:`hypothesis_evidence`), the coefficients' identification labels
        (:func:`identification_labels`), settings, wall time, versions.
    """
    cfg = load_grid(grid)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    cfg = replace(cfg, out=cfg.out if out is None else Path(out),
                  runs_dir=cfg.runs_dir if runs_dir is None else Path(runs_dir),
                  settings={**cfg.settings, **{k: v for k, v in given.items()
                                               if k != "workers"}},
                  workers=given.get("workers", cfg.workers),
                  fake_data=cfg.fake_data if fake_data else None)
    t0 = time.perf_counter()
    load = [round(x, 2) for x in os.getloadavg()]
    statuses = fit_cells(cfg.cells, cfg.settings, cfg.runs_dir, cfg.workers, log, scheduler)
    results = {c.name: FitResult.load(cfg.runs_dir / f"{c.name}.nc") for c in cfg.cells}
    ident = _identification(cfg, results)
    unidentified = set(ident.loc[ident["exclusion_driven"].fillna(False).astype(bool), "id"])
    fake = None
    if cfg.fake_data is not None:
        f = cfg.fake_data
        log(f"fake-data check of {f['cell']}: {f['reps']} replicates")
        fake = fake_data_check(results[f["cell"]], reps=f["reps"], draws=f["draws"],
                               tune=f["tune"], chains=f["chains"], seed=cfg.seed,
                               workers=cfg.workers, scheduler=scheduler, progress=log,
                               target_accept=cfg.settings["target_accept"])
        unidentified |= set(fake[1].loc[fake[1]["label"] == "not identified", "id"])
    frame = grid_frame({c.name: results[c.name] for c in cfg.grid_cells}, cfg.grid_cells,
                       unidentified)
    evidence = hypothesis_evidence(frame, ident, None if fake is None else fake[1])
    status = {s["name"]: s for s in statuses}
    summary = {
        "grid": cfg.source, "name": cfg.name, "description": cfg.description,
        "settings": cfg.settings, "seed": cfg.seed, "workers": cfg.workers,
        "cells": [{"name": c.name, "spec": c.spec_name, "spec_hash": results[c.name].spec.hash(),
                   "priors": c.priors, "panel": c.panel_name,
                   "panel_hash": panel_hash(results[c.name].panel.frame), "seed": c.seed,
                   "relaxation": c.relaxation, "init": c.init,
                   "status": status[c.name]["status"],
                   "seconds": status[c.name]["seconds"],
                   "diagnostics": results[c.name].diagnostics().to_dict()}
                  for c in cfg.cells],
        "verdicts": dict(zip(frame["id"], frame["overall"], strict=True)),
        "evidence": evidence.set_index("id")[["coefficient", "verdict", "robustness"]]
        .to_dict(orient="index"),
        IDENTIFICATION_LABELS: identification_labels(evidence),
        "fake_data": None if fake is None else {
            **cfg.fake_data, "labels": dict(zip(fake[1]["id"], fake[1]["label"], strict=True))},
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "load_average": {"start": load, "end": [round(x, 2) for x in os.getloadavg()]},
        "versions": versions(),
    }
    out = cfg.out
    write_text_atomic(out / "evidence.csv", evidence.to_csv(index=False), force=True)
    write_text_atomic(out / "robustness.csv", frame.to_csv(index=False, float_format="%.4f"),
                      force=True)
    write_text_atomic(out / "robustness.json",
                      frame.to_json(orient="records", indent=1, double_precision=4) + "\n",
                      force=True)
    write_text_atomic(out / "robustness.md", render_grid(frame, summary), force=True)
    if len(ident):
        write_text_atomic(out / "identification.csv",
                          ident.to_csv(index=False, float_format="%.4f"), force=True)
        write_text_atomic(out / "identification.md", render_identification(ident), force=True)
    if fake is not None:
        write_text_atomic(out / "fakedata.csv", fake[1].to_csv(index=False, float_format="%.4f"),
                          force=True)
        write_text_atomic(out / "fakedata_replicates.csv",
                          fake[0].to_csv(index=False, float_format="%.4f"), force=True)
    write_text_atomic(out / "summary.json",
                      json.dumps(summary, indent=2, allow_nan=False) + "\n", force=True)
    return summary


__all__ = ["DECISIVE", "PRIOR_LEAN", "PSENSE_THRESHOLD", "VERDICTS", "Cell", "Grid",
           "add_log_prior", "cell_verdict", "fit_cell", "fit_cells", "grid_frame",
           "hypothesis_evidence", "identification_labels", "load_grid", "overall_verdict",
           "power_scaling", "render_grid", "run_grid"]
