"""Reuse of a replication stage's committed output while its inputs are unchanged.

The stages of ``bayes-alliance replicate`` after the fits (the robustness grid,
the out-of-sample checks) cost tens of minutes to hours on a laptop, and their
output folders are committed. When a stage runs, :func:`write_stage` stores in
its folder a ``stage.json`` holding the stage's *key* (everything its numbers
depend on) and its record for ``summary.json``. A later replication, in another
session or on another machine, calls :func:`committed_stage`: when the stored
key equals the key computed now, the stage's committed evidence is used as it
stands and nothing is refitted; any difference reruns the stage. Delete the
folder (or its ``stage.json``) to force a rerun.

The keys:

* :func:`robustness_key`: per cell of the grid (its identification refits
  included) the hash of its spec, of its prior set and of its panel, its seed
  and its start; the sampler settings after the replication config's
  overrides; the fake-data check's table; the thresholds of the verdict rules
  (:mod:`bayes_alliance.robustness`, :mod:`bayes_alliance.identification`,
  :mod:`bayes_alliance.validation.fakedata`); and the hypotheses (id,
  coefficient, sign).
* :func:`out_of_sample_key`: the hashes of the spec, its prior set and the
  panel, and the stage's other settings (all but ``workers``, which changes
  speed, not numbers).

Code is not in the keys beyond these thresholds: a change to how a verdict or a
score is computed must come with a rerun (delete the folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bayes_alliance.constants import RHAT_MAX
from bayes_alliance.data.load import load_panel
from bayes_alliance.identification import SIGN_FLIP_AT
from bayes_alliance.io import write_text_atomic
from bayes_alliance.models.priors import load_prior_set
from bayes_alliance.models.spec import load_spec
from bayes_alliance.replication import digest, panel_hash
from bayes_alliance.robustness import DECISIVE, PRIOR_LEAN, PSENSE_THRESHOLD, load_grid
from bayes_alliance.theory import REGISTRY
from bayes_alliance.validation.fakedata import COVER_MIN, SIGN_MIN

#: file in a stage's output folder holding its key and record
STAGE_FILE = "stage.json"


def _prior_hash(name: str) -> str:
    return digest(load_prior_set(name).to_dict())


def robustness_key(stage: dict[str, Any]) -> dict[str, Any]:
    """The key of a ``[robustness]`` stage (see the module docstring)."""
    grid = load_grid(stage["grid"])
    sources = {c.panel_name: c.panel for c in grid.cells}
    panels = {name: panel_hash(load_panel(src).frame) for name, src in sources.items()}
    priors = {p: _prior_hash(p) for p in sorted({c.priors for c in grid.cells})}
    overrides = {k: stage[k] for k in ("draws", "tune", "chains") if stage[k] is not None}
    return {
        "stage": "robustness",
        "cells": {c.name: {"spec": c.spec.hash(), "priors": priors[c.priors],
                           "panel": panels[c.panel_name], "seed": c.seed, "init": c.init}
                  for c in grid.cells},
        "settings": {**grid.settings, **overrides},
        "fake_data": grid.fake_data if stage["fake_data"] else None,
        "rules": {"rhat_max": RHAT_MAX, "decisive": DECISIVE, "prior_lean": PRIOR_LEAN,
                  "psense_threshold": PSENSE_THRESHOLD, "sign_flip_at": SIGN_FLIP_AT,
                  "fake_cover_min": COVER_MIN, "fake_sign_min": SIGN_MIN},
        "hypotheses": [[h.id, h.coefficient, h.sign] for h in REGISTRY],
    }


def out_of_sample_key(stage: dict[str, Any], panel: str) -> dict[str, Any]:
    """The key of an ``[out_of_sample]`` stage on the config's ``panel``."""
    spec = load_spec(stage["spec"])
    return {
        "stage": "out_of_sample",
        "spec": spec.hash(),
        "priors": _prior_hash(stage["priors"]),
        "panel": panel_hash(load_panel(panel).frame),
        "settings": {k: v for k, v in stage.items() if k not in ("workers", "spec", "priors")},
    }


def committed_stage(folder: Path, key: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The stored record of the stage in ``folder`` when its key equals ``key``.

    Returns
    -------
    record, why
        The record and ``""`` when the committed output can be reused; else
        None and why not (no output, unreadable, or which part of the key
        changed).
    """
    path, summary = folder / STAGE_FILE, folder / "summary.json"
    if not path.is_file() or not summary.is_file():
        return None, f"no committed output in {folder}"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        stored_key, record = stored["key"], stored["record"]
    except (OSError, ValueError, KeyError, TypeError):
        return None, f"{path} is not a stage record"
    key = json.loads(json.dumps(key, default=str))  # as stored: lists, not tuples
    if stored_key != key:
        changed = sorted(k for k in set(key) | set(stored_key)
                         if key.get(k) != stored_key.get(k))
        return None, f"its inputs changed since {path} was written ({', '.join(changed)})"
    return record, ""


def write_stage(folder: Path, key: dict[str, Any], record: dict[str, Any]) -> None:
    """Store ``key`` and ``record`` as ``folder/stage.json`` (atomically)."""
    write_text_atomic(folder / STAGE_FILE,
                      json.dumps({"key": key, "record": record}, indent=2, allow_nan=False,
                                 default=str) + "\n", force=True)


__all__ = ["STAGE_FILE", "committed_stage", "out_of_sample_key", "robustness_key",
           "write_stage"]
