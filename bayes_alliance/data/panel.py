"""The ally-year panel: its contract (DESIGN.md section 3), validation and loading.

A panel is a long table with one row per ally-year. :func:`load_panel` reads it
from the shipped default, a CSV/Parquet path or a DataFrame, runs every check of
:func:`check_panel` and raises one :class:`~bayes_alliance.errors.PanelError`
that lists all problems found (column, first offending rows, fix). On success it
returns a :class:`Panel`: the frame sorted by (ally, year) plus provenance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_alliance.errors import PanelError
from bayes_alliance.resources import data_path

#: required covariates (float, never missing unless the user asks to drop rows)
COVARIATES: tuple[str, ...] = ("threat", "exit_capacity", "importance", "retrench", "us_troops")
#: optional covariates: a panel may lack them; a spec whose terms use one needs it in the
#: panel, with no missing value (:class:`~bayes_alliance.models.design.Scaling` checks)
OPTIONAL_COVARIATES: tuple[str, ...] = ("dependence", "threat_other")
#: every covariate a spec term may name, in design order
ALL_COVARIATES: tuple[str, ...] = (*COVARIATES, *OPTIONAL_COVARIATES)
#: optional outcome columns (nullable: a missing value is masked out of the likelihood)
OUTCOMES: tuple[str, ...] = ("reassure", "milex_gdp", "intervene", "exit_pursuit", "hns")
#: column -> (meaning, unit); the codebook's one source of truth for the contract
COLUMNS: dict[str, tuple[str, str]] = {
    "ally": ("ally code (COW state abbreviation)", "code"),
    "ccode": ("COW country code", "code"),
    "year": ("calendar year", "year"),
    "reassure": ("patron reassurance statements toward the ally", "count"),
    "exposure": ("patron statements mentioning the ally (offset of reassure)", "count"),
    "milex_gdp": ("ally military expenditure", "percent of GDP"),
    "intervene": ("ally took part in a US-led intervention (null in years without one)", "0/1"),
    "hns": ("host-nation support for US forces", "million constant USD"),
    "exit_pursuit": ("ally pursued an outside option (nuclear programme, realignment)", "0/1"),
    "threat": ("severity of the ally's threat environment", "index"),
    "exit_capacity": ("credibility of the ally's outside options", "index"),
    "importance": ("cost to the patron if the ally exits", "index"),
    "retrench": ("patron's domestic pressure to retrench", "index"),
    "us_troops": ("US military personnel stationed in the ally", "thousands of personnel"),
    "dependence": ("dependence on US protection: adversary-to-ally capability ratio",
                   "log ratio"),
    "threat_other": ("other threats (a control)", "index"),
    "gdp": ("ally GDP", "billion constant USD"),
}
REQUIRED: tuple[str, ...] = ("ally", "year", *COVARIATES)
COUNTS: tuple[str, ...] = ("reassure", "exposure")
BINARIES: tuple[str, ...] = ("intervene", "exit_pursuit")
POSITIVE: tuple[str, ...] = ("milex_gdp", "gdp")
NONNEGATIVE: tuple[str, ...] = ("us_troops", "hns")
NUMERIC: tuple[str, ...] = tuple(c for c in COLUMNS if c not in ("ally",))
MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Problem:
    """One violation of the panel contract."""

    column: str
    rows: tuple[int, ...]
    message: str
    fix: str

    def __str__(self) -> str:
        shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
        extra = len(self.rows) - MAX_ROWS_SHOWN
        more = f" (+{extra} more)" if extra > 0 else ""
        where = f" rows {shown}{more}:" if self.rows else ""
        return f"column '{self.column}':{where} {self.message}. Fix: {self.fix}"


@dataclass(frozen=True)
class Panel:
    """A validated ally-year panel.

    Attributes
    ----------
    frame
        The rows, sorted by (ally, year), index reset. Treat as read-only.
    source
        Where it came from ("default", a path, or "DataFrame").
    dropped_rows
        Rows dropped for missing covariates (only with ``drop_missing=True``).
    synthetic
        True when the outcomes are simulated (the shipped default panel).
    """

    frame: pd.DataFrame
    source: str = "DataFrame"
    dropped_rows: int = 0
    synthetic: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def allies(self) -> list[str]:
        """Ally codes, sorted."""
        return sorted(self.frame["ally"].unique().tolist())

    @property
    def years(self) -> list[int]:
        """Years present, sorted."""
        return sorted(int(y) for y in self.frame["year"].unique())

    def has(self, column: str) -> bool:
        """Whether ``column`` exists and has at least one non-missing value."""
        return column in self.frame and bool(self.frame[column].notna().any())

    def overview(self) -> dict:
        """Machine-readable summary: sizes, coverage and per-column missing counts."""
        f = self.frame
        return {
            "source": self.source,
            "synthetic_outcomes": self.synthetic,
            "n_rows": int(len(f)),
            "n_allies": int(f["ally"].nunique()),
            "n_years": int(f["year"].nunique()),
            "first_year": int(f["year"].min()),
            "last_year": int(f["year"].max()),
            "dropped_rows": self.dropped_rows,
            "missing": {c: int(f[c].isna().sum()) for c in f.columns},
            "notes": list(self.notes),
        }


@cache
def cow_codes() -> pd.DataFrame:
    """Correlates of War state codes and abbreviations shipped in ``data/facts``."""
    return pd.read_csv(data_path("facts", "cow_country_codes.csv"))


def _rows(mask: pd.Series) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask.to_numpy()))


def _numeric_problems(df: pd.DataFrame) -> tuple[dict[str, pd.Series], list[Problem]]:
    """Coerce numeric columns; report values that are not numbers."""
    values: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for col in NUMERIC:
        if col not in df:
            continue
        raw = df[col]
        if pd.api.types.is_bool_dtype(raw):
            raw = raw.astype(float)
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna()
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].head(3).tolist())
            problems.append(
                Problem(col, _rows(bad), f"values are not numbers ({examples})",
                        "write numbers only; leave a cell empty for a missing value")
            )
        values[col] = num.astype(float)
    return values, problems


def check_panel(df: pd.DataFrame, *, drop_missing: bool = False) -> tuple[list[Problem], pd.Series]:
    """Check a raw frame against the panel contract.

    Parameters
    ----------
    df
        Raw ally-year rows.
    drop_missing
        Treat missing covariates as rows to drop rather than as problems.

    Returns
    -------
    problems
        Every violation found; empty when the frame is valid.
    keep
        Boolean mask of rows kept (False only for rows dropped with ``drop_missing``).
    """
    problems: list[Problem] = []
    keep = pd.Series(True, index=df.index)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        problems.append(
            Problem(", ".join(missing), (), "required column missing",
                    f"add the column(s); a panel needs {', '.join(REQUIRED)}")
        )
    if len(df) == 0:
        problems.append(Problem("*", (), "the panel has no rows", "supply at least one ally-year"))
        return problems, keep
    values, numeric_problems = _numeric_problems(df)
    problems += numeric_problems

    for col, num in values.items():
        inf = np.isinf(num)
        if inf.any():
            problems.append(Problem(col, _rows(inf), "values are infinite",
                                    "replace them with finite numbers or leave the cell empty"))

    if "year" in values:
        year = values["year"]
        bad = year.isna() | (year.notna() & (year != year.round()))
        if bad.any():
            problems.append(Problem("year", _rows(bad), "years must be whole numbers, never empty",
                                    "write the calendar year, e.g. 1977"))
    if "ally" in df:
        ally = df["ally"]
        empty = ally.isna() | (ally.astype(str).str.strip() == "")
        if empty.any():
            problems.append(Problem("ally", _rows(empty), "ally code is empty",
                                    "give each row a COW state abbreviation such as ROK"))
        codes = cow_codes()
        known = set(codes["abbrev"])
        unknown = ~empty & ~ally.astype(str).isin(known)
        if unknown.any():
            names = sorted(set(ally[unknown].astype(str)))[:5]
            problems.append(Problem(
                "ally", _rows(unknown), f"unknown ally code(s) {names}",
                "use Correlates of War state abbreviations (e.g. UKG, GFR, JPN, ROK); "
                "`bayes-alliance data codes` lists them"))
        elif "ccode" in values:
            expected = ally.astype(str).map(dict(zip(codes["abbrev"], codes["ccode"], strict=True)))
            mismatch = values["ccode"].notna() & (values["ccode"] != expected)
            if mismatch.any():
                problems.append(Problem("ccode", _rows(mismatch),
                                        "COW code does not match the ally abbreviation",
                                        "fix the code or drop the ccode column (it is optional)"))
        if "year" in values and not empty.any():
            dup = df.assign(_y=values["year"]).duplicated(["ally", "_y"], keep=False)
            if dup.any():
                problems.append(Problem("ally, year", _rows(dup), "duplicate (ally, year) rows",
                                        "keep one row per ally-year"))

    for col in COVARIATES:
        if col in values:
            na = values[col].isna() & df[col].isna()
            if na.any():
                if drop_missing:
                    keep &= ~na
                else:
                    problems.append(Problem(
                        col, _rows(na), "covariate is missing",
                        "fill it in, or drop those rows with drop_missing=True "
                        "(CLI: --drop-missing); the count of dropped rows is reported"))

    for col in COUNTS:
        if col in values:
            v = values[col]
            bad = v.notna() & ((v < 0) | (v != v.round()))
            if bad.any():
                problems.append(Problem(col, _rows(bad), "counts must be whole numbers >= 0",
                                        "write non-negative integers or leave the cell empty"))
    if "reassure" in values:
        has_r = values["reassure"].notna()
        if "exposure" not in values:
            if has_r.any():
                problems.append(Problem("exposure", (), "reassure is present but exposure is not",
                                        "add exposure (statements mentioning the ally, >= 1)"))
        else:
            bad = has_r & ~(values["exposure"] >= 1)
            if bad.any():
                problems.append(Problem("exposure", _rows(bad),
                                        "exposure must be >= 1 where reassure is present",
                                        "set exposure to the number of statements mentioning "
                                        "the ally, or leave reassure empty for that row"))
    for col in BINARIES:
        if col in values:
            v = values[col]
            bad = v.notna() & ~v.isin([0.0, 1.0])
            if bad.any():
                problems.append(Problem(col, _rows(bad), "values must be 0 or 1 (or empty)",
                                        "code 1 for yes, 0 for no, empty where undefined"))
    for col in POSITIVE:
        if col in values:
            bad = values[col].notna() & (values[col] <= 0)
            if bad.any():
                problems.append(Problem(col, _rows(bad), "values must be > 0",
                                        "leave the cell empty when the value is unknown"))
    for col in NONNEGATIVE:
        if col in values:
            bad = values[col].notna() & (values[col] < 0)
            if bad.any():
                problems.append(Problem(col, _rows(bad), "values must be >= 0",
                                        "write 0 for none"))
    return problems, keep


def validate_frame(
    df: pd.DataFrame, *, source: str = "DataFrame", drop_missing: bool = False,
    synthetic: bool = False, notes: tuple[str, ...] = (),
) -> Panel:
    """Validate ``df`` and return a :class:`Panel`.

    Raises
    ------
    PanelError
        Listing every problem: column, first offending rows (0-based, in input
        order) and the fix.
    """
    if not isinstance(df, pd.DataFrame):
        raise PanelError(f"a panel must be a pandas DataFrame, got {type(df).__name__}")
    df = df.reset_index(drop=True)
    problems, keep = check_panel(df, drop_missing=drop_missing)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise PanelError(f"panel from {source} has {len(problems)} problem(s):\n{lines}")
    out = df.loc[keep].copy()
    out["ally"] = out["ally"].astype(str)
    for col in NUMERIC:
        if col in out:
            out[col] = pd.to_numeric(out[col]).astype(float)
    out["year"] = out["year"].astype(int)
    if "ccode" in out:
        out["ccode"] = out["ccode"].astype("Int64")
    else:
        codes = cow_codes()
        out.insert(1, "ccode", out["ally"].map(dict(zip(codes["abbrev"], codes["ccode"],
                                                        strict=True))).astype("Int64"))
    out = out.sort_values(["ally", "year"]).reset_index(drop=True)
    return Panel(frame=out, source=source, dropped_rows=int((~keep).sum()),
                 synthetic=synthetic, notes=notes)


def read_panel_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet file into a raw frame (no validation)."""
    p = Path(path)
    if not p.is_file():
        raise PanelError(f"panel file {p} does not exist; pass 'default' or a CSV/Parquet path")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if p.suffix.lower() in (".csv", ".txt", ".gz"):
            return pd.read_csv(p)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise PanelError(f"cannot read panel file {p}: {err}. Fix: save it as UTF-8 CSV "
                         "with a header row, or as Parquet") from err
    raise PanelError(f"panel file {p} has an unknown extension '{p.suffix}'; use .csv or .parquet")


def load_panel(source: str | os.PathLike[str] | pd.DataFrame | Panel = "default", *,
               drop_missing: bool = False) -> Panel:
    """Load and validate an ally-year panel.

    Parameters
    ----------
    source
        ``"default"`` (the shipped panel: real allies and alliance years,
        synthetic outcomes), ``"real"`` (the shipped panel built from public
        sources, ``data/real_panel.csv``, read offline; see
        :mod:`bayes_alliance.data.build`), a CSV/Parquet path, a DataFrame,
        or an already validated :class:`Panel` (returned as is).
    drop_missing
        Drop rows whose covariates are missing instead of raising; the count is
        kept in :attr:`Panel.dropped_rows`.

    Returns
    -------
    Panel

    Raises
    ------
    PanelError
        When the input violates the contract.
    """
    if isinstance(source, Panel):
        return source
    if isinstance(source, pd.DataFrame):
        return validate_frame(source, drop_missing=drop_missing)
    if str(source) == "default":
        from bayes_alliance.data.default import DEFAULT_NOTE, default_panel_path

        return validate_frame(pd.read_csv(default_panel_path()), source="default",
                              drop_missing=drop_missing, synthetic=True, notes=(DEFAULT_NOTE,))
    if str(source) == "real":
        from bayes_alliance.data.build import real_panel

        return real_panel()
    return validate_frame(read_panel_file(source), source=str(source), drop_missing=drop_missing)
