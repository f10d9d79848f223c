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
   ``<runs_dir>/out_of_sample/``;
4. **scenarios** (``[scenarios]``): each named withdrawal scenario asked of
   the named runs (:func:`~bayes_alliance.scenarios.run_scenario`), with the
   identification labels of the robustness stage on its drivers when that
   stage ran ("unchecked" otherwise); each result saved to
   ``<out>/scenarios/<scenario>/<run>/`` and one page, ``scenarios.md``,
   that sets, per scenario, every run's predicted change of the historical
   ally's spending and exit pursuit beside what happened
   (:func:`~bayes_alliance.scenarios.comparison.comparison_table`) and lists the
   coefficients each prediction rests on with their labels.

The robustness and out-of-sample stages store their key in their committed
output folder and reuse that output while the key holds
(:mod:`bayes_alliance.stage_cache`): a replication in a fresh checkout refits
the runs but not a grid whose inputs are unchanged.

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

import json
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_alliance.errors import ReplicationError
from bayes_alliance.io import markdown_table, write_text_atomic
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
from bayes_alliance.scenarios import run_scenario
from bayes_alliance.scenarios.comparison import caption, comparison_table
from bayes_alliance.scenarios.drivers import IDENTIFICATION_LABELS, drivers_note
from bayes_alliance.stage_cache import (
    committed_stage,
    out_of_sample_key,
    robustness_key,
    write_stage,
)
from bayes_alliance.validation.out_of_sample import SPLITS, outcome_evidence, run_oos


def _reused(folder: Path, key: dict[str, Any], name: str, log: Callable[[str], None]
            ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The committed record and ``summary.json`` of stage ``name`` if its key still holds."""
    record, why = committed_stage(folder, key)
    if record is None:
        log(f"{name}: running ({why})")
        return None
    log(f"{name}: reusing the committed output in {folder} (inputs unchanged)")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return {**record, "status": "reused"}, summary


def _robustness(cfg: ReplicationConfig, st: dict[str, Any], log: Callable[[str], None]
                ) -> tuple[dict[str, Any], dict[str, dict[str, str]], dict[str, str]]:
    """Run the grid stage ``st``, or reuse its committed output (stage_cache).

    Returns its ``stages`` record, ``{id: {verdict, robustness}}`` and the
    identification labels (readable coefficient -> label).
    """
    out = cfg.out / "robustness"
    key = robustness_key(st)
    reused = _reused(out, key, "robustness", log)
    if reused is not None:
        record, summary = reused
        return record, summary["evidence"], summary[IDENTIFICATION_LABELS]
    t0 = time.perf_counter()
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
    write_stage(out, key, record)
    return record, summary["evidence"], summary[IDENTIFICATION_LABELS]


def _out_of_sample(cfg: ReplicationConfig, st: dict[str, Any], log: Callable[[str], None]
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the out-of-sample stage ``st`` (or reuse its committed output).

    Returns its ``stages`` record and ``{outcome: evidence}``.
    """
    out = cfg.out / "out_of_sample"
    key = out_of_sample_key(st, cfg.panel)
    reused = _reused(out, key, "out of sample", log)
    if reused is not None:
        record, summary = reused
        return record, outcome_evidence(pd.DataFrame(summary["table"]),
                                        summary["all_converged"])
    t0 = time.perf_counter()
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
    write_stage(out, key, record)
    return record, outcome_evidence(pd.DataFrame(summary["table"]), summary["all_converged"])


def _drivers_markdown(drivers: pd.DataFrame) -> str:
    """The drivers of one scenario result as Markdown rows (coefficient, estimate, label)."""
    return markdown_table(pd.DataFrame({
        "coefficient": [f"`{c}`" for c in drivers["coefficient"]],
        "channel": drivers["channel"],
        "mean [90%]": [f"{d.mean:+.2f} [{d.lo:+.2f}, {d.hi:+.2f}]" for d in drivers.itertuples()],
        "identification": drivers["identification"]}))


def scenarios_markdown(results: dict[str, dict[str, Any]], runs: dict[str, Any],
                       checked: bool) -> str:
    """``scenarios.md``: per scenario, the runs' answers beside history, and their drivers.

    Parameters
    ----------
    results
        Scenario name -> {run name -> scenario result}.
    runs
        Run name -> :class:`~bayes_alliance.results.FitResult`.
    checked
        Whether the drivers carry the robustness stage's identification labels.
    """
    parts = ["<!-- generated by `bayes-alliance replicate`; do not edit -->",
             "Each scenario asked of each run: the predicted change of the historical ally's "
             "spending and exit pursuit beside what happened, then the fitted coefficients "
             "each run's answer rests on, with the identification label of the robustness "
             "grid (" + ("its overall verdicts" if checked else
                         "not run: every driver is 'unchecked'") + ")."]
    for name, by_run in results.items():
        first = next(iter(by_run.values()))
        parts.append(f"### {name}\n\n{first.scenario.description.strip()}")
        if first.scenario.history:
            table = comparison_table(by_run, runs).reset_index()
            table["P(increase)"] = table["P(increase)"].map(
                lambda p: "" if pd.isna(p) else f"{p:.2f}")
            parts.append(caption(first.scenario) + "\n\n" + markdown_table(table))
        for run, res in by_run.items():
            note = drivers_note(res.drivers)
            if note is not None:
                parts.append(f"**{run}**: {note}.\n\n" + _drivers_markdown(res.drivers))
    return "\n\n".join(parts) + "\n"


def _scenarios(cfg: ReplicationConfig, st: dict[str, Any], fits: dict[str, Any],
               labels: dict[str, str] | None, log: Callable[[str], None]) -> dict[str, Any]:
    """Run the scenario stage ``st`` on the fitted runs; its ``stages`` record."""
    t0 = time.perf_counter()
    out = cfg.out / "scenarios"
    results: dict[str, dict[str, Any]] = {}
    for name in st["names"]:
        by_run = {}
        for run in st["runs"]:
            log(f"scenario {name} on run {run}")
            res = run_scenario(fits[run], name, identification=labels)
            res.save(out / res.name / run, force=True)
            by_run[run] = res
        results[res.name] = by_run
    runs = {run: fits[run] for run in st["runs"]}
    write_text_atomic(out / "scenarios.md", scenarios_markdown(results, runs, labels is not None),
                      force=True)
    return {"status": "run", "out": out.as_posix(), "settings": dict(st),
            "identification": "robustness stage" if labels is not None else "unchecked",
            "wall_seconds": round(time.perf_counter() - t0, 1)}


def _check_stages(cfg: ReplicationConfig) -> None:
    """Fail on an unknown split before anything is fitted."""
    if cfg.out_of_sample is not None:
        bad = [x for x in cfg.out_of_sample["splits"] if x not in SPLITS]
        if bad:
            raise ReplicationError(f"{cfg.source} [out_of_sample]: unknown split(s) {bad}; "
                                   f"valid: {list(SPLITS)}")


#: the stages after the fits, in order (each can be skipped)
STAGES = ("robustness", "out_of_sample", "scenarios")


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


#: the stages that can run alone (``replicate(only=...)``): they need no fit of the runs
ALONE = ("robustness", "out_of_sample")


def _only(cfg: ReplicationConfig, stage: str, log: Callable[[str], None]) -> dict[str, Any]:
    """Run ``stage`` of ``cfg`` alone; ``{"stages": {stage: record}}``."""
    if stage not in ALONE:
        raise ReplicationError(f"cannot run {stage!r} alone: the stages that can are "
                               f"{', '.join(repr(s) for s in ALONE)} (the others need the fits)")
    if getattr(cfg, stage) is None:
        raise ReplicationError(f"{cfg.source} declares no [{stage}] stage")
    _check_stages(cfg)
    run = _robustness if stage == "robustness" else _out_of_sample
    return {"stages": {stage: run(cfg, getattr(cfg, stage), log)[0]}}


def replicate(config: str | os.PathLike[str] = "real", *,
              readme: str | os.PathLike[str] | None = None,
              log: Callable[[str], None] = lambda _: None,
              skip: tuple[str, ...] = (), only: str | None = None) -> dict[str, Any]:
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
        ``"out_of_sample"``, ``"scenarios"``): their columns (and the
        scenarios' identification labels) say "not run" / "unchecked", as for
        a stage the config lacks.
    only
        Run this one stage alone (``"robustness"`` or ``"out_of_sample"``)
        and write its committed output and key, nothing else: no fits, no
        table, no README. A later full replication reuses it while its key
        holds, so a long stage can be run in a session of its own.

    Returns
    -------
    dict
        The content of ``summary.json`` (with ``only``: ``{"stages": {only:
        record}}``).

    Raises
    ------
    ReplicationError
        On an unknown stage to skip or run alone, or one the config lacks.
    """
    cfg = load_config(config)
    if only is not None:
        return _only(cfg, only, log)
    unknown = sorted(set(skip) - set(STAGES))
    if unknown:
        raise ReplicationError(f"cannot skip {unknown}: the stages that can be skipped are "
                               f"{', '.join(repr(s) for s in STAGES)}")
    cfg = replace(cfg, **{stage: None for stage in skip})
    _check_stages(cfg)
    if readme is not None:
        check_readme(readme)  # fail on a README without markers before fitting
    t0 = time.perf_counter()
    machine_start = machine()
    results, runs = fit_runs(cfg, log)
    stages: dict[str, Any] = {"fits": {"status": "run",
                                       "wall_seconds": round(time.perf_counter() - t0, 1)}}
    grid = held_out = labels = None
    if cfg.robustness is None:
        stages["robustness"] = {"status": NOT_RUN}
    else:
        stages["robustness"], grid, labels = _robustness(cfg, cfg.robustness, log)
    if cfg.out_of_sample is None:
        stages["out_of_sample"] = {"status": NOT_RUN}
    else:
        stages["out_of_sample"], held_out = _out_of_sample(cfg, cfg.out_of_sample, log)
    if cfg.scenarios is None:
        stages["scenarios"] = {"status": NOT_RUN}
    else:
        stages["scenarios"] = _scenarios(cfg, cfg.scenarios, results, labels, log)
    table = add_evidence(hypotheses_frame(results), grid, held_out,
                         cfg.out_of_sample["spec"] if cfg.out_of_sample else "")
    summary = replication_summary(cfg, results, runs, stages, time.perf_counter() - t0,
                                  machine_start)
    write_replication(cfg, table, summary, readme)
    return summary


__all__ = ["ALONE", "STAGES", "add_evidence", "replicate", "scenarios_markdown"]
