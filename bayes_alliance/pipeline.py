"""``bayes-alliance replicate``: the fits, the robustness grid, the out-of-sample checks, the table.

A replication config (:func:`bayes_alliance.replication.load_config`) declares
the fits and, optionally, two further stages; :func:`replicate` runs them in
order, each resumable:

1. **fits**: every ``[[runs]]`` entry, reused when its saved run matches
   (:func:`~bayes_alliance.replication.fit_runs`);
2. **robustness** (``[robustness]``): the grid of
   :func:`~bayes_alliance.robustness.run_grid`, written to
   ``<out>/robustness/`` with its fits in ``<runs_dir>/robustness/`` (cells
   whose saved fit matches are reused; the fake-data check reruns);
3. **out of sample** (``[out_of_sample]``):
   :func:`~bayes_alliance.validation.out_of_sample.run_oos` on the config's
   panel, written to ``<out>/out_of_sample/`` with its scores cached in
   ``<runs_dir>/out_of_sample/``.

The hypotheses table then gets, per hypothesis, the grid's overall verdict
(the rules live in :mod:`bayes_alliance.robustness` only), the grid evidence
(:func:`~bayes_alliance.robustness.hypothesis_evidence`) and the held-out
evidence of the hypothesis's outcome
(:func:`~bayes_alliance.validation.out_of_sample.outcome_evidence`); a stage
the config does not declare is skipped and its columns say
:data:`~bayes_alliance.replication.NOT_RUN`. ``summary.json`` records each
stage's status and wall time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd

from bayes_alliance.errors import ReplicationError
from bayes_alliance.replication import (
    NOT_RUN,
    ReplicationConfig,
    check_readme,
    fit_runs,
    hypotheses_frame,
    load_config,
    machine,
    parse_coefficient,
    replication_summary,
    write_replication,
)
from bayes_alliance.robustness import run_grid
from bayes_alliance.validation.out_of_sample import SPLITS, outcome_evidence, run_oos


def _robustness(cfg: ReplicationConfig, st: dict[str, Any], log: Callable[[str], None]
                ) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """Run the grid stage ``st``; its ``stages`` record and ``{id: {verdict, robustness}}``."""
    t0 = time.perf_counter()
    out = cfg.out / "robustness"
    summary = run_grid(st["grid"], log=log, out=out, runs_dir=cfg.runs_dir / "robustness",
                       overrides={k: st[k] for k in ("draws", "tune", "chains", "workers")},
                       fake_data=st["fake_data"])
    s = summary["settings"]
    cells = summary["cells"]
    fake = summary["fake_data"]
    description = (f"grid `{summary['grid']}`, {sum(not c['relaxation'] for c in cells)} cells "
                   f"+ {sum(bool(c['relaxation']) for c in cells)} identification refits, "
                   f"{s['chains']} chains x {s['draws']} draws after {s['tune']} tuning steps"
                   + (f", fake-data check of {fake['cell']} ({fake['reps']} replicates)"
                      if fake else ", no fake-data check")
                   + ("" if all(c["diagnostics"]["ok"] for c in cells)
                      else "; some cells not converged"))
    record = {"status": "run", "description": description, "out": out.as_posix(),
              "grid": summary["grid"], "settings": s, "workers": summary["workers"],
              "fitted": sum(c["status"] == "fitted" for c in cells),
              "reused": sum(c["status"] == "reused" for c in cells),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    return record, summary["evidence"]


def _out_of_sample(cfg: ReplicationConfig, st: dict[str, Any], log: Callable[[str], None]
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the out-of-sample stage ``st``; its ``stages`` record and ``{outcome: evidence}``."""
    t0 = time.perf_counter()
    out = cfg.out / "out_of_sample"
    log(f"out of sample: splits {', '.join(st['splits'])} of spec '{st['spec']}' "
        f"({st['chains']} chains x {st['draws']} draws)")
    summary = run_oos(spec=st["spec"], data=cfg.panel, priors=st["priors"],
                      splits=tuple(st["splits"]), last_train_year=st["last_train_year"],
                      folds=st["folds"], separate=st["separate"], draws=st["draws"],
                      tune=st["tune"], chains=st["chains"], target_accept=st["target_accept"],
                      seed=st["seed"], workers=st["workers"], out=out,
                      runs_dir=cfg.runs_dir / "out_of_sample",
                      command=f"bayes-alliance replicate --config {cfg.source}")
    description = (f"spec `{summary['spec']}` under `{summary['priors']}` priors, splits "
                   f"{', '.join(st['splits'])}, {st['chains']} chains x {st['draws']} draws "
                   f"after {st['tune']} tuning steps per fit ({len(summary['fits'])} fits"
                   + ("" if summary["all_converged"] else ", some not converged") + ")")
    record = {"status": "run", "description": description, "out": out.as_posix(),
              "settings": dict(st),
              "wall_seconds": round(time.perf_counter() - t0, 1)}
    return record, outcome_evidence(pd.DataFrame(summary["table"]), summary["all_converged"])


def _check_stages(cfg: ReplicationConfig) -> None:
    """Fail on an unknown split before anything is fitted."""
    if cfg.out_of_sample is not None:
        bad = [x for x in cfg.out_of_sample["splits"] if x not in SPLITS]
        if bad:
            raise ReplicationError(f"{cfg.source} [out_of_sample]: unknown split(s) {bad}; "
                                   f"valid: {list(SPLITS)}")


def add_evidence(table: pd.DataFrame, grid: dict[str, dict[str, str]] | None,
                 held_out: dict[str, str] | None, oos_spec: str = "") -> pd.DataFrame:
    """``table`` with the columns ``verdict``, ``robustness`` and ``out of sample``.

    Parameters
    ----------
    table
        :func:`~bayes_alliance.replication.hypotheses_frame`.
    grid
        ``{id: {"verdict", "robustness"}}`` of the robustness stage (None: not run).
    held_out
        ``{outcome: evidence}`` of the out-of-sample stage (None: not run).
    oos_spec
        The out-of-sample spec's name (said for outcomes it does not have).
    """
    out = table.copy()
    if grid is None:
        out["verdict"] = out["robustness"] = NOT_RUN
    else:
        missing = {"verdict": "not in the grid", "robustness": "not in the grid"}
        for col in ("verdict", "robustness"):
            out[col] = [grid.get(h, missing)[col] for h in out["id"]]
    if held_out is None:
        out["out of sample"] = NOT_RUN
    else:
        outcomes = [parse_coefficient(c)[0] for c in out["coefficient"]]
        out["out of sample"] = [held_out.get(o, f"no '{o}' equation in {oos_spec}")
                                for o in outcomes]
    return out


def replicate(config: str | os.PathLike[str] = "real", *,
              readme: str | os.PathLike[str] | None = None,
              log: Callable[[str], None] = lambda _: None,
              skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run every declared stage and write the replication output (see the module docstring).

    Parameters
    ----------
    config
        Shipped config name or path (:func:`~bayes_alliance.replication.load_config`).
    readme
        README to paste ``hypotheses.md`` into (between the markers); None to
        leave every README alone.
    log
        Called with one line per step (the CLI prints them).
    skip
        Declared stages not to run this time (``"robustness"``,
        ``"out_of_sample"``): their columns say "not run", as for a stage the
        config lacks.

    Returns
    -------
    dict
        The content of ``summary.json``.
    """
    cfg = load_config(config)
    unknown = sorted(set(skip) - {"robustness", "out_of_sample"})
    if unknown:
        raise ReplicationError(f"cannot skip {unknown}: the stages that can be skipped are "
                               "'robustness' and 'out_of_sample'")
    cfg = replace(cfg, **{stage: None for stage in skip})
    _check_stages(cfg)
    if readme is not None:
        check_readme(readme)  # fail on a README without markers before fitting
    t0 = time.perf_counter()
    machine_start = machine()
    results, runs = fit_runs(cfg, log)
    stages: dict[str, Any] = {"fits": {"status": "run",
                                       "wall_seconds": round(time.perf_counter() - t0, 1)}}
    grid = held_out = None
    if cfg.robustness is None:
        stages["robustness"] = {"status": NOT_RUN}
    else:
        stages["robustness"], grid = _robustness(cfg, cfg.robustness, log)
    if cfg.out_of_sample is None:
        stages["out_of_sample"] = {"status": NOT_RUN}
    else:
        stages["out_of_sample"], held_out = _out_of_sample(cfg, cfg.out_of_sample, log)
    table = add_evidence(hypotheses_frame(results), grid, held_out,
                         cfg.out_of_sample["spec"] if cfg.out_of_sample else "")
    summary = replication_summary(cfg, results, runs, stages, time.perf_counter() - t0,
                                  machine_start)
    write_replication(cfg, table, summary, readme)
    return summary


__all__ = ["add_evidence", "replicate"]
