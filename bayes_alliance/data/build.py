"""The real ally-year panel, built from public sources (docs/data.md).

:func:`build_panel` runs the column modules on the ally-year skeleton and
returns a frame in the panel contract plus provenance
and component columns. :func:`real_panel` (what ``load_panel("real")``
returns) validates it and caches it as CSV under the user cache, keyed by the
registered hashes of the sources, the curated fact files and the builder's own
code, so it is built once and reused offline. One module per column group:

=====================  ============================================================
``build_inputs``       reading the registered sources and the curated fact tables
``build_allies``       who is an ally when (ATOP years, curated treaty allies)
``build_milex``        ``milex_gdp`` (SIPRI, spliced COW NMC fallback)
``build_troops``       ``us_troops`` (Kane / legacy / rebuild, multiple counts found)
``build_threat``       ``threat`` components (rivalries, disputes, proximity)
``build_capacity``     ``exit_capacity``, ``importance``, ``gdp``
``build_retrench``     ``retrench`` (episodes by region, fall in US defence effort)
``build_outcomes``     ``intervene``, ``exit_pursuit``
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
from bayes_alliance.data.build_inputs import COLUMNS as SOURCE_COLUMNS
from bayes_alliance.data.build_inputs import Inputs, fact_files
from bayes_alliance.data.build_milex import milex_gdp
from bayes_alliance.data.build_outcomes import exit_pursuit, intervene
from bayes_alliance.data.build_retrench import retrench_components
from bayes_alliance.data.build_text import measure_available, text_counts
from bayes_alliance.data.build_threat import threat_components
from bayes_alliance.data.build_troops import us_troops
from bayes_alliance.data.panel import Panel, validate_frame
from bayes_alliance.data.sources import cache_dir, fetch, is_available, registry, sha256_file
from bayes_alliance.errors import DataSourceError
from bayes_alliance.io import write_with

__all__ = ["CONTRACT_ORDER", "FILLED", "build_panel", "cache_path", "real_panel"]

_log = logging.getLogger(__name__)
#: contract columns first, in the README's order
CONTRACT_ORDER = ("ally", "ccode", "year", "reassure", "exposure", "milex_gdp", "intervene",
                  "hns", "exit_pursuit", "threat", "exit_capacity", "importance", "retrench",
                  "us_troops", "gdp")
#: components whose gaps are filled within the ally (interpolation, then nearest year)
FILLED = ("threat_proximity", "cinc", "gdp", "gdp_pct_us", "milper_pct_us",
          "retrench_us_effort")
TEXT_SOURCE = "speeches"
NOTE = ("real panel built from public sources (data/sources.toml); columns, units and "
        "construction in data/codebook.md")


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
    filled[un] += "un_agree_ussr;"
    out["imputed"] = filled.str.rstrip(";").replace("", pd.NA).astype("string")
    return out


def _indices(df: pd.DataFrame) -> pd.DataFrame:
    """Combine the components into the four covariate indices (natural scales)."""
    df["threat"] = df["threat_rivalries"] + df["threat_mids"] + df["threat_proximity"]
    df["exit_capacity"] = df["un_agree_ussr"] + df["nuclear_level"] + 10.0 * df["cinc"]
    df["importance"] = np.log1p(df["gdp_pct_us"]) + np.log1p(df["milper_pct_us"])
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
                 retrench_components, intervene, exit_pursuit):
        df = df.merge(part(keys, inputs), on=["ally", "year"], how="left", validate="1:1")
    df = _indices(_fill_within_ally(df))
    df["hns"] = np.nan
    counts, note = _text(keys, inputs, corpus, use_text)
    if counts is None:
        df["reassure"] = pd.array([pd.NA] * len(df), dtype="Int64")
        df["exposure"] = pd.array([pd.NA] * len(df), dtype="Int64")
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


def real_panel(*, source_dir: str | os.PathLike[str] | None = None,
               rebuild: bool = False) -> Panel:
    """The validated real panel, built on first use and then read from the cache.

    Parameters
    ----------
    source_dir
        Folder holding the source files (default: ``BAYES_ALLIANCE_DATA_DIR``,
        then the cache / mirror).
    rebuild
        Build again even when a cached copy exists.

    Returns
    -------
    Panel
        Validated with ``source="real"``.

    Raises
    ------
    DataSourceError
        When no cached copy exists and the source files cannot be had; the
        message says how to get them.
    """
    path = cache_path(source_dir)
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file() and not rebuild:
        frame = pd.read_csv(path)
        notes = tuple(json.loads(meta.read_text(encoding="utf-8"))["notes"])
    else:
        try:
            frame = build_panel(source_dir)
        except DataSourceError as err:
            raise DataSourceError(f"the real panel is not cached yet and cannot be built: "
                                  f"{err}") from err
        notes = tuple(frame.attrs["notes"])
        built = frame
        write_with(path, lambda tmp: built.to_csv(tmp, index=False), force=True)
        meta_text = json.dumps({"notes": list(notes)}, indent=2)
        write_with(meta, lambda tmp: tmp.write_text(meta_text, encoding="utf-8"), force=True)
        # read back, so a fresh build and a cache hit give identical frames
        frame = pd.read_csv(path)
    return validate_frame(frame, source="real", notes=notes)
