"""Replication of the real-data results: declared fits -> hypotheses table -> README.

A replication config (``models/replication/<name>.toml``) declares the panel,
the sampler settings and the runs (spec x prior set, each with its seed).
:func:`replicate` fits every run that has no up-to-date saved file in the runs
folder (a file is reused when its stored :func:`run_key`, the spec hash, the
prior-set hash, the panel hash and the settings, equals the one the config asks
for), and writes into the output folder:

* ``runs/<run>.json``: each run's summary (settings, timing, diagnostics,
  every population-level parameter);
* ``hypotheses.csv`` and ``hypotheses.md``: per hypothesis of
  :data:`bayes_alliance.theory.REGISTRY` with a coefficient, the predicted
  sign and, under each run, the posterior mean, the 90% equal-tailed interval,
  P(sign), the share of posterior draws with the predicted sign,
  and the same share over the run's prior draws (what the prior alone says);
* ``summary.json``: convergence, timing (per stage), machine and package versions.

The config may also declare two further stages, run by
:func:`bayes_alliance.pipeline.replicate` after the fits: ``[robustness]`` (the
grid of :mod:`bayes_alliance.robustness`, written to ``<out>/robustness/``)
and ``[out_of_sample]`` (:func:`~bayes_alliance.validation.out_of_sample.run_oos`,
written to ``<out>/out_of_sample/``); their evidence becomes the table's
``verdict``, ``robustness`` and ``out of sample`` columns, which say
:data:`NOT_RUN` for a stage the config does not declare.

:func:`paste_into` copies ``hypotheses.md`` between the marker comments
:data:`BEGIN` and :data:`END` of a README, so that the README's table is never
typed by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.constants import CI_PROB, RHAT_MAX
from bayes_alliance.diagnostics_compare import hypotheses_table, sign_probability
from bayes_alliance.errors import ReplicationError, ResultError
from bayes_alliance.fit import INITS, fit_model
from bayes_alliance.io import write_text_atomic
from bayes_alliance.models.model import AllianceModel
from bayes_alliance.resources import read_shipped_toml
from bayes_alliance.results import FitResult, fit_summary, readable_parameters, versions
from bayes_alliance.theory import REGISTRY

#: marker comments around the generated table in a README
BEGIN = "<!-- replication:hypotheses -->"
END = "<!-- /replication:hypotheses -->"
#: default config (``models/replication/real.toml``)
DEFAULT_CONFIG = "real"
#: what the evidence columns say for a stage that was not run
NOT_RUN = "not run"
#: the evidence columns of the hypotheses table, filled by the stages
EVIDENCE = ("verdict", "robustness", "out of sample")
_TOP_KEYS = {"schema_version", "name", "description", "panel", "out", "runs_dir", "settings",
             "runs", "robustness", "out_of_sample", "scenarios"}
#: ``[robustness]``: the grid, and overrides of its sampler settings (None: the grid's own)
_ROBUSTNESS = {"grid": "real", "draws": None, "tune": None, "chains": None, "workers": None,
               "fake_data": True}
#: ``[out_of_sample]``: the arguments of ``run_oos`` (panel, out and runs_dir come from the config)
_OUT_OF_SAMPLE = {"spec": "joint-real", "priors": "theory", "splits": ["time", "loao", "cases"],
                  "last_train_year": 1989, "folds": 3, "separate": True, "draws": 300,
                  "tune": 300, "chains": 2, "target_accept": 0.9, "seed": 1, "workers": 1}
#: ``[scenarios]``: the scenario presets (or TOML paths) and the runs they are asked of
#: (None: every run)
_SCENARIOS = {"names": [], "runs": None}
_SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "sampler": "nutpie",
             "target_accept": 0.9, "prior_draws": 1000}
_RUN_KEYS = {"spec", "priors", "seed", "name", "init"}


@dataclass(frozen=True)
class Run:
    """One declared fit: a spec under a prior set with its seed (and the chains' start)."""

    name: str
    spec: str
    priors: str
    seed: int
    init: str = "default"


@dataclass(frozen=True)
class ReplicationConfig:
    """A validated replication config.

    Attributes
    ----------
    panel
        Anything :func:`~bayes_alliance.load_panel` accepts (``"real"``, a path).
    out, runs_dir
        Output folder (summaries, tables; committed) and folder of the saved
        NetCDF runs (large; not committed).
    settings
        ``draws``, ``tune``, ``chains``, ``sampler``, ``target_accept`` and
        ``prior_draws`` (draws from the prior for the prior-only sign probability).
    runs
        The fits, in order.
    robustness, out_of_sample, scenarios
        The ``[robustness]``, ``[out_of_sample]`` and ``[scenarios]`` stage
        tables, defaults filled in (None: the stage is not declared and is
        skipped).
    """

    name: str
    description: str
    panel: str
    out: Path
    runs_dir: Path
    settings: dict[str, Any]
    runs: tuple[Run, ...]
    source: str = ""
    robustness: dict[str, Any] | None = None
    out_of_sample: dict[str, Any] | None = None
    scenarios: dict[str, Any] | None = None


def table_with_defaults(given: Any, defaults: dict[str, Any], name: str,
                        where: str) -> dict[str, Any]:
    """The TOML table ``[name]`` with ``defaults`` filled in.

    Raises
    ------
    ReplicationError
        When it is not a table or has a key ``defaults`` lacks.
    """
    if not isinstance(given, dict):
        raise ReplicationError(f"{where}: [{name}] must be a table, got {given!r}")
    bad = sorted(set(given) - set(defaults))
    if bad:
        raise ReplicationError(f"{where} [{name}]: unknown key(s) {bad}; valid: "
                               f"{sorted(defaults)}")
    return {**defaults, **given}


def check_settings(given: Any, where: str) -> dict[str, Any]:
    """The sampler ``[settings]`` of a config, defaults filled in.

    Raises
    ------
    ReplicationError
        On an unknown key or a count that is not a positive integer.
    """
    settings = table_with_defaults(given, _SETTINGS, "settings", where)
    for key in ("draws", "tune", "chains", "prior_draws"):
        if not isinstance(settings[key], int) or settings[key] < (1 if key != "tune" else 0):
            raise ReplicationError(f"{where} [settings]: {key} must be a positive integer, "
                                   f"got {settings[key]!r}")
    return settings


def _positive(table: dict[str, Any], keys: tuple[str, ...], name: str, where: str) -> None:
    for key in keys:
        value = table[key]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise ReplicationError(f"{where} [{name}]: {key} must be a positive integer, "
                                   f"got {value!r}")


def _stages(raw: dict[str, Any], where: str
            ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The ``[robustness]`` and ``[out_of_sample]`` tables (None when absent), checked."""
    rob = oos = None
    if "robustness" in raw:
        rob = table_with_defaults(raw["robustness"], _ROBUSTNESS, "robustness", where)
        _positive(rob, ("draws", "tune", "chains", "workers"), "robustness", where)
        if not isinstance(rob["grid"], str) or not isinstance(rob["fake_data"], bool):
            raise ReplicationError(f"{where} [robustness]: grid must be a grid name or path and "
                                   f"fake_data true or false, got {rob['grid']!r}, "
                                   f"{rob['fake_data']!r}")
    if "out_of_sample" in raw:
        oos = table_with_defaults(raw["out_of_sample"], _OUT_OF_SAMPLE, "out_of_sample", where)
        _positive(oos, ("last_train_year", "folds", "draws", "tune", "chains", "seed",
                        "workers"), "out_of_sample", where)
        if (not isinstance(oos["spec"], str) or not isinstance(oos["priors"], str)
                or not isinstance(oos["separate"], bool)
                or not isinstance(oos["target_accept"], float)
                or not 0 < oos["target_accept"] < 1):
            raise ReplicationError(f"{where} [out_of_sample]: spec and priors must be names, "
                                   "separate true or false and target_accept a number in "
                                   f"(0, 1); got {oos['spec']!r}, {oos['priors']!r}, "
                                   f"{oos['separate']!r}, {oos['target_accept']!r}")
        splits = oos["splits"]
        if (not isinstance(splits, list) or not splits
                or not all(isinstance(x, str) for x in splits)):
            raise ReplicationError(f"{where} [out_of_sample]: splits must be a non-empty list "
                                   f"such as [\"time\", \"loao\", \"cases\"], got {splits!r}")
    return rob, oos


def _scenario_stage(raw: dict[str, Any], where: str, runs: list[str]) -> dict[str, Any] | None:
    """The ``[scenarios]`` table (None when absent), checked against the declared runs."""
    if "scenarios" not in raw:
        return None
    st = table_with_defaults(raw["scenarios"], _SCENARIOS, "scenarios", where)
    names = st["names"]
    if (not isinstance(names, list) or not names
            or not all(isinstance(x, str) for x in names)):
        raise ReplicationError(f"{where} [scenarios]: names must be a non-empty list of "
                               f"scenario presets or TOML paths, got {names!r}")
    if st["runs"] is None:
        st["runs"] = list(runs)
    if not isinstance(st["runs"], list) or not st["runs"]:
        raise ReplicationError(f"{where} [scenarios]: runs must be a non-empty list of run "
                               f"names, got {st['runs']!r}")
    unknown = [r for r in st["runs"] if r not in runs]
    if unknown:
        raise ReplicationError(f"{where} [scenarios]: unknown run(s) {unknown}; declared "
                               f"runs: {runs}")
    return st


def load_config(config: str | os.PathLike[str] = DEFAULT_CONFIG) -> ReplicationConfig:
    """Read and validate a replication config (shipped name or path).

    Raises
    ------
    ReplicationError
        On unknown keys, missing runs, a bad setting or duplicate run names.
    """
    raw, path = read_shipped_toml(config, ("replication",), kind="replication config",
                                  error=ReplicationError)
    where = path.name
    bad = sorted(set(raw) - _TOP_KEYS)
    if bad:
        raise ReplicationError(f"{where}: unknown key(s) {bad}; valid: {sorted(_TOP_KEYS)}")
    settings = check_settings(raw.get("settings", {}), where)
    runs = []
    for i, r in enumerate(raw.get("runs", [])):
        here = f"{where} [[runs]] #{i + 1}"
        bad = sorted(set(r) - _RUN_KEYS)
        if bad:
            raise ReplicationError(f"{here}: unknown key(s) {bad}; valid: {sorted(_RUN_KEYS)}")
        missing = [k for k in ("spec", "priors", "seed") if k not in r]
        if missing:
            raise ReplicationError(f"{here}: missing key(s) {missing}; a run names its spec, "
                                   "prior set and seed")
        if not isinstance(r["seed"], int):
            raise ReplicationError(f"{here}: seed must be an integer, got {r['seed']!r}")
        name = str(r.get("name", f"{r['spec']}-{r['priors']}"))
        init = r.get("init", "default")
        if init not in INITS:
            raise ReplicationError(f"{here}: init must be one of {list(INITS)}, got {init!r}")
        runs.append(Run(name=name, spec=str(r["spec"]), priors=str(r["priors"]),
                        seed=int(r["seed"]), init=init))
    if not runs:
        raise ReplicationError(f"{where}: no [[runs]]; declare at least one (spec, priors, seed)")
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ReplicationError(f"{where}: run names must be unique, got {names}; give each "
                               "run a `name`")
    robustness, out_of_sample = _stages(raw, where)
    scenarios = _scenario_stage(raw, where, names)
    return ReplicationConfig(
        name=str(raw.get("name", path.stem)), description=str(raw.get("description", "")),
        panel=str(raw.get("panel", "real")), out=Path(raw.get("out", "reports/replication")),
        runs_dir=Path(raw.get("runs_dir", "runs/replication")), settings=settings,
        runs=tuple(runs), source=where, robustness=robustness, out_of_sample=out_of_sample,
        scenarios=scenarios)


def digest(obj: Any) -> str:
    """First 12 hex digits of the SHA-256 of ``obj`` as sorted-key JSON."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:12]


def panel_hash(frame: pd.DataFrame) -> str:
    """First 12 hex digits of the SHA-256 of the panel rows as CSV."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:12]


def run_key(model: Any, run: Run, settings: dict[str, Any]) -> dict[str, Any]:
    """What a saved run must match to be reused: spec, prior set, panel, settings and seed.

    A start other than the default (``init``) is part of the key too; the default
    is left out, so runs saved before ``init`` existed still match.
    """
    start = {} if run.init == "default" else {"init": run.init}
    return {"spec_hash": model.spec.hash(), "priors": run.priors,
            "prior_hash": digest(model.priors.prior_set.to_dict()),
            "panel_hash": panel_hash(model.panel.frame), "seed": run.seed, **start,
            **{k: settings[k] for k in sorted(settings)}}


def _fit_or_reuse(run: Run, cfg: ReplicationConfig, log: Callable[[str], None]
                  ) -> tuple[Any, str]:
    """The run's :class:`FitResult`, loaded when its saved key matches, fitted otherwise."""
    model = AllianceModel.from_spec(run.spec, cfg.panel, run.priors)
    return fit_or_reuse(model, run, cfg.settings, cfg.runs_dir / f"{run.name}.nc", log)


def fit_or_reuse(model: AllianceModel, run: Run, settings: dict[str, Any], path: Path,
                 log: Callable[[str], None], finish: Callable[[Any], None] | None = None
                 ) -> tuple[Any, str]:
    """``model`` fitted into ``path``, or the saved fit there when its :func:`run_key` matches.

    ``finish`` is called on a new fit before it is saved (e.g. to add a group).

    Returns
    -------
    tuple
        The :class:`FitResult` and ``"reused"`` or ``"fitted"``.
    """
    key = run_key(model, run, settings)
    if path.exists():
        try:
            saved = FitResult.load(path)
        except ResultError as err:
            log(f"{run.name}: cannot reuse {path} ({err}); refitting")
        else:
            if saved.info.get("replication_key") == key:
                log(f"{run.name}: reusing {path}")
                return saved, "reused"
            log(f"{run.name}: {path} was fitted with other inputs or settings; refitting")
    s = settings
    log(f"{run.name}: fitting spec '{run.spec}' under '{run.priors}' priors "
        f"({s['chains']} chains x {s['draws']} draws after {s['tune']} tuning steps)")
    result = fit_model(model, draws=s["draws"], tune=s["tune"], chains=s["chains"],
                       sampler=s["sampler"], target_accept=s["target_accept"],
                       random_seed=run.seed, prior_draws=s["prior_draws"], init=run.init)
    result.info["replication_key"] = key
    if finish is not None:
        finish(result)
    result.save(path, force=True)
    return result, "fitted"


def parse_coefficient(coef: str) -> tuple[str, str]:
    """``"beta[milex, threat]"`` -> ``("milex", "threat")``."""
    outcome, term = coef.removeprefix("beta[").removesuffix("]").split(", ")
    return outcome, term


def _why_missing(coef: str, result: Any) -> str:
    """Why a run has no draws of ``coef``: no such equation (with its data count) or term."""
    outcome, term = parse_coefficient(coef)
    if outcome not in result.spec.outcome_names:
        frame = result.panel.frame
        rows = f"; the panel has {int(frame[outcome].notna().sum())} observed '{outcome}' rows" \
            if outcome in frame else ""
        return f"not estimated: spec '{result.spec.name}' has no '{outcome}' equation{rows}"
    return f"not estimated: the '{outcome}' equation of spec '{result.spec.name}' has no " \
           f"'{term}' term"


def hypotheses_frame(results: dict[str, Any], hypotheses: Any = None) -> pd.DataFrame:
    """Per hypothesis with a coefficient: posterior and prior-only evidence under each run.

    Parameters
    ----------
    results
        ``{run name: FitResult}``.
    hypotheses
        Registry entries (default :data:`bayes_alliance.theory.REGISTRY`).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``derived`` (from the game), ``coefficient``, ``sign``,
        ``statement``, then per run ``<run> mean``, ``<run> lo``, ``<run> hi``
        (the :data:`~bayes_alliance.constants.CI_PROB` equal-tailed interval),
        ``<run> P(sign)`` (posterior share with the predicted sign, from
        :func:`~bayes_alliance.diagnostics_compare.hypotheses_table`),
        ``<run> prior P(sign)`` (the same share over the run's prior draws),
        ``<run> r_hat`` (of that coefficient) and ``<run> note`` (why a
        coefficient is not estimated).
    """
    hyps = [h for h in (REGISTRY if hypotheses is None else hypotheses) if h.coefficient]
    posterior_p = hypotheses_table(results, hyps).set_index("id")
    r_hat = {name: r.summary()["r_hat"] for name, r in results.items()}
    tail = (1 - CI_PROB) / 2
    rows = []
    for h in hyps:
        row: dict[str, Any] = {"id": h.id, "derived": bool(getattr(h, "derived", True)),
                               "coefficient": h.coefficient, "sign": "+" if h.sign > 0 else "-",
                               "statement": h.statement}
        for name, result in results.items():
            post = result.parameters()
            if h.coefficient not in post:
                row.update({f"{name} {k}": np.nan for k in
                            ("mean", "lo", "hi", "P(sign)", "prior P(sign)", "r_hat")})
                row[f"{name} note"] = _why_missing(h.coefficient, result)
                continue
            x = post[h.coefficient].to_numpy().ravel()
            prior_p = np.nan
            if "prior" in result.idata.children:
                prior = readable_parameters(result.idata["prior"], result.spec)
                prior_p = sign_probability(prior[h.coefficient].to_numpy(), h.sign)
            row.update({f"{name} mean": float(x.mean()),
                        f"{name} lo": float(np.quantile(x, tail)),
                        f"{name} hi": float(np.quantile(x, 1 - tail)),
                        f"{name} P(sign)": float(posterior_p.loc[h.id, f"P(sign) {name}"]),
                        f"{name} prior P(sign)": prior_p,
                        f"{name} r_hat": float(r_hat[name][h.coefficient]), f"{name} note": ""})
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(row: pd.Series, name: str) -> tuple[str, str]:
    if row[f"{name} note"]:
        return row[f"{name} note"], ""
    est = f"{row[f'{name} mean']:+.2f} [{row[f'{name} lo']:+.2f}, {row[f'{name} hi']:+.2f}]"
    if row[f"{name} r_hat"] > RHAT_MAX:
        est += f" (R-hat {row[f'{name} r_hat']:.2f})"
    prior = row[f"{name} prior P(sign)"]
    p = f"{row[f'{name} P(sign)']:.2f}" + (f" ({prior:.2f})" if np.isfinite(prior) else "")
    return est, p


def _evidence(row: pd.Series, column: str) -> str:
    """A stage's evidence cell; :data:`NOT_RUN` when the table has none."""
    value = row.get(column)
    return value if isinstance(value, str) and value else NOT_RUN


def _stages_line(summary: dict[str, Any]) -> str:
    """What the evidence columns rest on: each stage's settings, or that it was not run."""
    stages = summary.get("stages", {})
    parts = []
    for key, label in (("robustness", "Robustness grid"), ("out_of_sample", "Out of sample")):
        st = stages.get(key, {})
        if st.get("status") not in ("run", "reused"):
            parts.append(f"{label}: {NOT_RUN} (no [{key}] stage in the config), so its "
                         f"column says '{NOT_RUN}'.")
        else:
            again = ("; its committed output reused, inputs unchanged"
                     if st["status"] == "reused" else "")
            parts.append(f"{label}: {st['description']} ({st['wall_seconds']} s when run; "
                         f"`{st['out']}`{again}).")
    return " ".join(parts)


def render_markdown(table: pd.DataFrame, summary: dict[str, Any]) -> str:
    """The README's real-data hypotheses table and its convergence lines, as Markdown.

    The columns ``verdict``, ``robustness`` and ``out of sample`` (:data:`EVIDENCE`)
    come from the stages; a table without them, or with an empty cell, shows
    :data:`NOT_RUN`.
    """
    runs = [r["name"] for r in summary["runs"]]
    pct = int(round(CI_PROB * 100))
    s = summary["settings"]
    p = summary["panel"]
    lines = [
        f"<!-- generated by `bayes-alliance replicate` ({summary['config']}); do not edit -->",
        f"Panel `{p['source']}`: {p['rows']} ally-years, {p['allies']} allies, "
        f"{p['first_year']}-{p['last_year']}. Each run: {s['chains']} chains x {s['draws']} "
        f"draws after {s['tune']} tuning steps ({s['sampler']}). Cells: posterior mean "
        f"[{pct}% interval] of the coefficient (per sd of the covariate, on the equation's link "
        "scale), and P(sign) = the share of posterior draws with the predicted sign, with the "
        "same share over the prior draws alone in brackets. Empirical hypotheses (not derived "
        f"from the game) are marked *. A coefficient whose R-hat exceeds {RHAT_MAX} shows it: "
        "its chains disagree, so its row is not an estimate.",
        "",
        "*verdict*: the robustness grid's overall verdict, by the rules of "
        "`bayes_alliance/robustness.py` (stated in `robustness/robustness.md`); *robustness*: "
        "the range of P(sign) over the grid's cells that estimate the coefficient and how many "
        "cells give each verdict, with the identification refits and the fake-data check where "
        "they flag it; *out of sample*: for the hypothesis's outcome, per split, the held-out "
        "ELPD of the joint model minus that of the GLM baseline (SE), positive = the joint "
        "model predicts better, and the share of held-out values inside the 90% predictive "
        "interval. " + _stages_line(summary),
        "",
        "| H | coefficient | sign | verdict | robustness | out of sample | "
        + " | ".join(f"{r}: mean [{pct}%] | {r}: P(sign) (prior)" for r in runs) + " |",
        "|---|---|---|---|---|---|" + "---|---|" * len(runs),
    ]
    for _, row in table.iterrows():
        cells = [_evidence(row, c) for c in EVIDENCE] + [c for r in runs for c in _cell(row, r)]
        star = "" if row["derived"] else "*"
        lines.append(f"| {row['id']}{star} | `{row['coefficient']}` | {row['sign']} | "
                     + " | ".join(cells) + " |")
    lines += ["", "| run | spec (hash) | priors | seed | start | divergences | max R-hat | "
              "min ESS bulk / tail | stuck chains | chains re-run | sampling s |",
              "|---" * 11 + "|"]
    for r in summary["runs"]:
        d = r["diagnostics"]
        lines.append(f"| {r['name']} | {r['spec']} ({r['spec_hash']}) | {r['priors']} | "
                     f"{r['seed']} | {_start(r.get('init', {}))} | {d['divergences']} | "
                     f"{d['max_rhat']} | "
                     f"{d['min_ess_bulk']} / {d['min_ess_tail']} | "
                     f"{len(d['stuck_chains'])} | {_rerun(r.get('restarts', []))} | "
                     f"{r['sampling_seconds']} |")
    return "\n".join(lines) + "\n"


def _start(init: dict[str, Any]) -> str:
    """The chains' start of a run (:func:`bayes_alliance.starts.mode_start`), in a cell."""
    if init.get("kind", "default") != "mode":
        return "default"
    return f"mode (climbed from the {'mirror image' if init['chosen'] == 'mirror' else 'start'})"


def _rerun(restarts: list[dict[str, Any]]) -> str:
    """The stuck-chain guard's re-runs of a run (:mod:`bayes_alliance.guard`), in a cell."""
    if not restarts:
        return "0"
    rounds = []
    for r in restarts:
        gaps = ", ".join(f"{g:g}" for g in r["logp_gap_sds_before"])
        rounds.append(f"{', '.join(map(str, r['chains']))} ({gaps} sds below)")
    return "; ".join(rounds)


def _split_readme(path: Path, begin: str = BEGIN, end: str = END) -> tuple[str, str]:
    """Text of ``path`` before ``begin`` and after ``end``."""
    if not path.is_file():
        raise ReplicationError(f"README {path} does not exist; pass --readme PATH or --no-readme")
    text = path.read_text(encoding="utf-8")
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ReplicationError(f"{path} must contain the line {begin} once, followed by {end} "
                               "once; put them where the generated text belongs")
    head, rest = text.split(begin)
    return head, rest.split(end)[1]


def paste_into(readme: str | os.PathLike[str], markdown: str, *, begin: str = BEGIN,
               end: str = END) -> Path:
    """Replace the text between the markers ``begin`` and ``end`` in ``readme`` with ``markdown``.

    The markers default to :data:`BEGIN` and :data:`END` (the hypotheses table);
    the benchmark passes its own.

    Raises
    ------
    ReplicationError
        When the file lacks the markers, or has them out of order or twice.
    """
    path = Path(readme)
    head, tail = _split_readme(path, begin, end)
    return write_text_atomic(path, f"{head}{begin}\n{markdown}{end}{tail}", force=True)


def fit_runs(cfg: ReplicationConfig, log: Callable[[str], None] = lambda _: None
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Fit (or reuse) every declared run; write ``<out>/runs/<run>.json``.

    Returns
    -------
    results, runs
        ``{run name: FitResult}`` and one record per run for ``summary.json``
        (status, timing, diagnostics, the stuck-chain guard's restarts).
    """
    results: dict[str, Any] = {}
    runs = []
    for run in cfg.runs:
        result, status = _fit_or_reuse(run, cfg, log)
        results[run.name] = result
        summary = fit_summary(result)
        write_text_atomic(cfg.out / "runs" / f"{run.name}.json",
                          json.dumps(summary, indent=2, allow_nan=False) + "\n", force=True)
        runs.append({"name": run.name, "spec": run.spec, "spec_hash": summary["spec_hash"],
                     "priors": run.priors, "seed": run.seed, "status": status,
                     "compile_seconds": summary["compile_seconds"],
                     "sampling_seconds": summary["sampling_seconds"],
                     "wall_seconds": summary["wall_seconds"],
                     "diagnostics": result.diagnostics().to_dict(),
                     "restarts": summary.get("restarts", []),
                     "init": result.info.get("init", {"kind": "default"})})
    return results, runs


def machine() -> dict[str, Any]:
    """Platform, CPU count and load average now (recorded at the start and end of a run)."""
    return {"platform": platform.platform(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def replication_summary(cfg: ReplicationConfig, results: dict[str, Any],
                        runs: list[dict[str, Any]], stages: dict[str, Any],
                        wall_seconds: float, machine_start: dict[str, Any]) -> dict[str, Any]:
    """The content of ``summary.json``: config, panel, runs, stages, timing, machine, versions.

    ``stages``: per stage (``fits``, ``robustness``, ``out_of_sample``) its
    ``status`` (``"run"`` or :data:`NOT_RUN`) and ``wall_seconds``.
    """
    frame = next(iter(results.values())).panel.frame
    return {
        "config": cfg.source, "name": cfg.name, "description": cfg.description,
        "settings": cfg.settings,
        "panel": {"source": cfg.panel, "rows": int(len(frame)),
                  "allies": int(frame["ally"].nunique()),
                  "first_year": int(frame["year"].min()), "last_year": int(frame["year"].max()),
                  "hash": panel_hash(frame)},
        "runs": runs,
        "stages": stages,
        "all_converged": all(r["diagnostics"]["ok"] for r in runs),
        "wall_seconds": round(wall_seconds, 1),
        "machine": {"start": machine_start, "end": machine()},
        "versions": versions(),
    }


def write_replication(cfg: ReplicationConfig, table: pd.DataFrame, summary: dict[str, Any],
                      readme: str | os.PathLike[str] | None) -> str:
    """Write ``hypotheses.csv``, ``hypotheses.md`` and ``summary.json``; paste into ``readme``.

    Returns the Markdown of ``hypotheses.md``.
    """
    markdown = render_markdown(table, summary)
    write_text_atomic(cfg.out / "hypotheses.csv", table.to_csv(index=False, float_format="%.4f"),
                      force=True)
    write_text_atomic(cfg.out / "hypotheses.md", markdown, force=True)
    write_text_atomic(cfg.out / "summary.json",
                      json.dumps(summary, indent=2, allow_nan=False) + "\n", force=True)
    if readme is not None:
        paste_into(readme, markdown)
    return markdown


def check_readme(readme: str | os.PathLike[str]) -> None:
    """Fail on a README without the markers (before anything is fitted)."""
    _split_readme(Path(readme))


__all__ = ["BEGIN", "END", "EVIDENCE", "NOT_RUN", "ReplicationConfig", "Run", "check_readme",
           "check_settings", "fit_or_reuse", "fit_runs", "hypotheses_frame", "load_config",
           "machine", "panel_hash", "parse_coefficient", "paste_into", "render_markdown",
           "replication_summary", "run_key", "table_with_defaults", "write_replication"]
