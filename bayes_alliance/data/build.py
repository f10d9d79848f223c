"""The real ally-year panel, built from public sources (docs/data.md).

:func:`build_panel` runs the column modules on the ally-year skeleton and
returns a frame in the panel contract plus provenance
and component columns. The built panel ships with the package as
``data/real_panel.csv`` with its provenance in ``data/real_panel.json``
(package version, builder code hash, SHA-256 of every source and fact file,
per-column source), so :func:`real_panel` (what ``load_panel("real")``
returns) works offline on a fresh clone. :func:`write_panel` writes that pair
deterministically; ``bayes-alliance data ship --source-dir DIR`` regenerates
the shipped pair and ``data/codebook.md`` in one command. Rebuilding from other
sources (``real_panel(source_dir=..., rebuild=True)``) caches the result under
the user cache, keyed by the registered hashes of the sources, the curated
fact files and the builder's own code. One module per column group:

=====================  ============================================================
``build_inputs``       reading the registered sources and the curated fact tables
``build_allies``       who is an ally when (ATOP years, curated treaty allies)
``build_milex``        ``milex_gdp`` (SIPRI, spliced COW NMC fallback)
``build_troops``       ``us_troops`` (Kane / legacy / rebuild, multiple counts found),
                       ``troops_present``, ``troops_change``, ``troops_cut``
``build_threat``       ``threat`` (external) and ``threat_other`` components
``build_capacity``     ``exit_capacity``, ``importance``, ``gdp``, ``nuclear_level``
``build_retrench``     ``retrench`` (episodes by region, fall in US defence effort)
``build_outcomes``     ``intervene``, ``war``, ``exit_pursuit``, ``exit_onset``, ``hns``
``build_visits``       ``visits_president``, ``visits_secretary``, ``visits_received``
``build_exercises``    ``exercises_us`` (joint exercises with the US, 1980-2010)
``build_text``         ``reassure``, ``exposure`` from the text measure
``build_codebook``     ``data/codebook.md`` from one table of column descriptions
=====================  ============================================================
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_alliance.data.build_allies import alliance_years
from bayes_alliance.data.build_capacity import capacity_components
from bayes_alliance.data.build_codebook import ENTRIES
from bayes_alliance.data.build_exercises import exercise_counts
from bayes_alliance.data.build_inputs import COLUMNS as SOURCE_COLUMNS
from bayes_alliance.data.build_inputs import Inputs, fact_files
from bayes_alliance.data.build_milex import milex_gdp
from bayes_alliance.data.build_outcomes import exit_onset, exit_pursuit, hns, intervene, war
from bayes_alliance.data.build_retrench import retrench_components
from bayes_alliance.data.build_text import TEXT_COLUMNS, measure_available, text_counts
from bayes_alliance.data.build_threat import CINC_SCALE, threat_components
from bayes_alliance.data.build_troops import us_troops
from bayes_alliance.data.build_visits import visit_counts
from bayes_alliance.data.panel import Panel, validate_frame
from bayes_alliance.data.sources import cache_dir, fetch, is_available, registry
from bayes_alliance.errors import DataSourceError
from bayes_alliance.io import sha256_file, write_with
from bayes_alliance.resources import data_path, package_version

__all__ = ["CONTRACT_ORDER", "FILLED", "SHIPPED", "build_panel", "cache_path", "provenance",
           "real_panel", "shipped_paths", "write_panel"]

_log = logging.getLogger(__name__)
#: contract columns first, in the README's order
CONTRACT_ORDER = ("ally", "ccode", "year", "reassure", "exposure", "milex_gdp", "intervene",
                  "hns", "exit_pursuit", "threat", "exit_capacity", "importance", "retrench",
                  "us_troops", "gdp")
#: components whose gaps are filled within the ally (interpolation, then nearest year)
FILLED = ("threat_ext_proximity", "threat_ext_capability", "cinc", "cinc_latent", "gdp",
          "gdp_pct_us", "latent_pct_us", "us_cinc_per_kpers", "retrench_us_effort")
TEXT_SOURCE = "speeches"
NOTE = ("real panel built from public sources (data/sources.toml); columns, units and "
        "construction in data/codebook.md")
#: file name of the shipped real panel under data/ (its provenance: same stem, .json)
SHIPPED = "real_panel.csv"
#: significant digits of floats in a written panel (keeps the file small and stable)
FLOAT_FORMAT = "%.10g"


def _fill_within_ally(df: pd.DataFrame) -> pd.DataFrame:
    """Fill :data:`FILLED` gaps per ally; list the filled components in ``imputed``."""
    out = df.sort_values(["ally", "year"]).copy()
    filled = pd.Series("", index=out.index)
    for col in FILLED:
        missing = out[col].isna()
        if not missing.any():
            continue
        out[col] = out.groupby("ally")[col].transform(
            lambda s: s.interpolate(limit_area="inside").ffill().bfill())
        filled[missing & out[col].notna()] += col + ";"
    un = out.pop("un_imputed").astype(bool)
    filled[un] += "un_realign_rel;"
    out["imputed"] = filled.str.rstrip(";").replace("", pd.NA).astype("string")
    return out


def _indices(df: pd.DataFrame) -> pd.DataFrame:
    """Combine the components into the covariate indices (natural scales).

    ``dependence = log(threat_ext_capability / (10 cinc_latent))``: the
    adversaries' distance-discounted capabilities facing the ally per unit of
    its own latent (non-military) capability, so that its own military
    spending, an outcome, does not enter. ``dependence_us_present`` adds the
    US forces on the ally's soil, ``10 (cinc_latent + us_troops x
    us_cinc_per_kpers)``.
    """
    df["threat_external"] = (df["threat_ext_rivalries"] + df["threat_ext_mids"]
                             + df["threat_ext_proximity"] + df["threat_ext_capability"])
    df["threat_other"] = df["threat_other_rivalries"] + df["threat_other_mids"]
    df["threat"] = df["threat_external"]
    df["exit_capacity"] = df["un_realign_rel"] + CINC_SCALE * df["cinc_latent"]
    df["importance"] = np.log1p(df["gdp_pct_us"]) + np.log1p(df["latent_pct_us"])
    own = CINC_SCALE * df["cinc_latent"].where(df["cinc_latent"] > 0)
    df["dependence"] = np.log(df["threat_ext_capability"] / own)
    with_us = own + CINC_SCALE * df["us_troops"] * df["us_cinc_per_kpers"]
    df["dependence_us_present"] = np.log(df["threat_ext_capability"] / with_us)
    df["retrench"] = df["retrench_events"] + df["retrench_us_effort"]
    return df


def _text(keys: pd.DataFrame, inputs: Inputs, corpus: str | os.PathLike[str] | None,
          use_text: bool) -> tuple[pd.DataFrame | None, str]:
    """Text counts and a note on how they were (not) made."""
    if corpus is not None:
        return text_counts(keys, corpus), f"reassure/exposure measured from {Path(corpus).name}"
    if not use_text or not is_available(TEXT_SOURCE, source_dir=inputs.source_dir):
        return None, "reassure/exposure missing: no corpus given"
    if not measure_available():
        _log.warning("speeches.jsonl is available but bayes_alliance.measure is not; "
                     "reassure/exposure stay missing")
        return None, ("reassure/exposure missing: the text measure module is not available "
                      "yet (speeches.jsonl was found)")
    path = fetch(TEXT_SOURCE, source_dir=inputs.source_dir)
    return text_counts(keys, path), f"reassure/exposure measured from {path.name}"


def build_panel(source_dir: str | os.PathLike[str] | None = None,
                corpus: str | os.PathLike[str] | None = None, *,
                use_text: bool = True) -> pd.DataFrame:
    """Build the real ally-year panel, 1950-2010, from the registered public sources.

    Parameters
    ----------
    source_dir
        Folder holding the source files (default: ``BAYES_ALLIANCE_DATA_DIR``,
        then the cache / mirror; see :func:`bayes_alliance.data.sources.fetch`).
    corpus
        Text corpus for ``reassure``/``exposure``. Without it the speeches
        source is measured when it is available (and ``use_text`` is true).
    use_text
        Set False to skip the automatic text measure (the columns stay missing).

    Returns
    -------
    pandas.DataFrame
        The contract columns (:data:`CONTRACT_ORDER`) then provenance and
        component columns (see ``data/codebook.md``); ``frame.attrs["notes"]``
        says how the text columns were made.

    Raises
    ------
    DataSourceError
        When a required source file is absent or fails its hash check.
    MeasureError
        When ``corpus`` is given but the text measure cannot run.
    """
    inputs = Inputs(source_dir)
    keys = alliance_years(inputs)
    df = keys.copy()
    for part in (milex_gdp, us_troops, threat_components, capacity_components,
                 retrench_components, intervene, war, exit_pursuit, hns, visit_counts,
                 exercise_counts):
        df = df.merge(part(keys, inputs), on=["ally", "year"], how="left", validate="1:1")
    df = df.merge(exit_onset(df), on=["ally", "year"], how="left", validate="1:1")
    df = _indices(_fill_within_ally(df))
    counts, note = _text(keys, inputs, corpus, use_text)
    if counts is None:
        for column in TEXT_COLUMNS:
            df[column] = pd.array([pd.NA] * len(df), dtype="Int64")
    else:
        df = df.merge(counts, on=["ally", "year"], how="left", validate="1:1")
    extras = [c for c in df.columns if c not in CONTRACT_ORDER]
    df = df[list(CONTRACT_ORDER) + extras].sort_values(["ally", "year"]).reset_index(drop=True)
    df.attrs["notes"] = (NOTE, note)
    return df


def _code_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("build*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_path(source_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`real_panel` caches the panel for the current sources, facts and code."""
    reg = registry()
    text = "off"
    if is_available(TEXT_SOURCE, source_dir=source_dir):
        text = f"{reg[TEXT_SOURCE].sha256}:measure={measure_available()}"
    payload = {
        "sources": {n: reg[n].sha256 for n in sorted(SOURCE_COLUMNS)},
        "facts": {p.name: sha256_file(p) for p in fact_files()},
        "code": _code_hash(),
        "text": text,
    }
    key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / "panels" / f"real-panel-{key}.csv"


def shipped_paths() -> tuple[Path, Path]:
    """The shipped real panel and its provenance file."""
    csv = data_path(SHIPPED)
    return csv, csv.with_suffix(".json")


def provenance(frame: pd.DataFrame) -> dict:
    """What a written panel was built from: version, code, sources, facts, per-column source.

    Sources are recorded by their registered SHA-256 (every accepted copy has
    it), so the record does not depend on where the files were read.

    Parameters
    ----------
    frame
        The built panel (``build_panel``'s output, with ``attrs["notes"]``).
    """
    reg = registry()
    used = sorted(set(SOURCE_COLUMNS) | ({TEXT_SOURCE} if frame["exposure"].notna().any()
                                          else set()))
    return {
        "package_version": package_version(),
        "builder_code_sha256": _code_hash(),
        "rows": int(len(frame)),
        "notes": list(frame.attrs.get("notes", ())),
        "sources": {n: {"file": reg[n].file, "version": reg[n].version, "sha256": reg[n].sha256,
                        "citation": reg[n].citation, "licence": reg[n].licence} for n in used},
        "facts": {p.name: sha256_file(p) for p in fact_files()},
        "columns": {c: ENTRIES[c].source for c in frame.columns if c in ENTRIES},
        "regenerate": "bayes-alliance data ship --source-dir DIR",
    }


def write_panel(frame: pd.DataFrame, path: str | os.PathLike[str], *,
                force: bool = False) -> tuple[Path, Path]:
    """Write a built panel as CSV and its provenance as JSON beside it, atomically.

    The CSV is deterministic for a given build (floats with
    :data:`FLOAT_FORMAT`, rows sorted by ally and year), so a rebuild from the
    same sources can be compared with the shipped file byte for byte.

    Returns
    -------
    tuple of Path
        The CSV and the JSON written.
    """
    out = Path(path)
    meta = out.with_suffix(".json")
    text = json.dumps(provenance(frame), indent=2, ensure_ascii=False) + "\n"
    write_with(out, lambda tmp: frame.to_csv(tmp, index=False, float_format=FLOAT_FORMAT,
                                             lineterminator="\n"), force=force)
    write_with(meta, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=True)
    return out, meta


def _read_written(path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    meta = path.with_suffix(".json")
    try:
        frame = pd.read_csv(path)
        notes = tuple(json.loads(meta.read_text(encoding="utf-8"))["notes"])
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as err:
        raise DataSourceError(f"cannot read the real panel {path} or its provenance {meta}: "
                              f"{err}. Fix: restore them from the repository, or rebuild with "
                              f"`bayes-alliance data ship --source-dir DIR`") from err
    return frame, notes


def real_panel(*, source_dir: str | os.PathLike[str] | None = None,
               rebuild: bool = False) -> Panel:
    """The validated real panel: the shipped file, or a build from given sources.

    Parameters
    ----------
    source_dir
        Build from the source files in this folder instead of reading the
        shipped panel (the build is cached under the user cache).
    rebuild
        Build from the sources (``source_dir``, else ``BAYES_ALLIANCE_DATA_DIR``,
        the cache or the mirror) even when a cached copy exists.

    Returns
    -------
    Panel
        Validated with ``source="real"``.

    Raises
    ------
    DataSourceError
        When a build is asked for and the source files cannot be had (the
        message says how to get them), or the shipped files are unreadable.
    """
    if source_dir is None and not rebuild:
        frame, notes = _read_written(shipped_paths()[0])
        return validate_frame(frame, source="real", notes=notes)
    path = cache_path(source_dir)
    if not (path.is_file() and path.with_suffix(".json").is_file()) or rebuild:
        try:
            built = build_panel(source_dir)
        except DataSourceError as err:
            raise DataSourceError(f"the real panel cannot be built: {err}") from err
        write_panel(built, path, force=True)
    frame, notes = _read_written(path)
    return validate_frame(frame, source="real", notes=notes)
