"""The ally-year panel: its contract (README, 'The panel (data contract)') and validation.

A panel is a long table with one row per ally-year.
:func:`~bayes_alliance.data.load.load_panel` reads it from the shipped default,
a CSV/Parquet path or a DataFrame; :func:`validate_frame` runs every check of
:func:`check_panel` and raises one :class:`~bayes_alliance.errors.PanelError`
that lists all problems found (column, first offending rows, fix). On success it
returns a :class:`Panel`: the frame sorted by (ally, year) plus provenance.
"""

from __future__ import annotations

import datetime
import difflib
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from bayes_alliance.constants import PATRON_CCODE
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
#: first year of the Correlates of War state system; panels cannot start earlier
FIRST_YEAR = 1816


@dataclass(frozen=True)
class Problem:
    """One violation of the panel contract.

    ``rows`` are 0-based positions in the input; :meth:`describe` shows them as
    spreadsheet line numbers of a CSV file (header = line 1, so position ``i``
    is line ``i + 2``) or as DataFrame row indexes.
    """

    column: str
    rows: tuple[int, ...]
    message: str
    fix: str

    def describe(self, lines: bool = False) -> str:
        """One line: column, offending rows (as CSV ``lines`` or row indexes), fix."""
        numbers = [r + 2 if lines else r for r in self.rows[:MAX_ROWS_SHOWN]]
        shown = ", ".join(str(n) for n in numbers)
        extra = len(self.rows) - MAX_ROWS_SHOWN
        more = f" (+{extra} more)" if extra > 0 else ""
        label = ("line" if len(self.rows) == 1 else "lines") if lines else "row index"
        where = f" {label} {shown}{more}:" if self.rows else ""
        return f"column '{self.column}':{where} {self.message}. Fix: {self.fix}"

    def __str__(self) -> str:
        return self.describe()


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


@cache
def state_membership() -> pd.DataFrame:
    """COW state-system membership spells (``abbrev``, ``first_year``, ``last_year``).

    Shipped in ``data/facts/state_membership.csv``; an empty ``last_year``
    means the state was still a member at the end of the source (2016).
    """
    return pd.read_csv(data_path("facts", "state_membership.csv"), dtype={"last_year": "Int64"})


def _membership_problems(ally: pd.Series, year: pd.Series) -> list[Problem]:
    """Rows naming a state in a year when it was not in the state system.

    Only rows with a plausible year are checked (others have their own problem).
    """
    spells = state_membership()
    plausible = (year >= FIRST_YEAR) & (year <= datetime.date.today().year)
    rows = pd.DataFrame({"ally": ally.astype(str), "year": year})[plausible]
    rows = rows.reset_index(names="_row")
    joined = rows.merge(spells, left_on="ally", right_on="abbrev", how="left")
    last = joined["last_year"].astype("Float64").fillna(np.inf).astype(float)
    joined["_in"] = (joined["first_year"] <= joined["year"]) & (joined["year"] <= last)
    member = joined.groupby("_row")["_in"].any()
    out = rows.loc[~rows["_row"].map(member).astype(bool)]
    problems = []
    for code, bad in out.groupby("ally"):
        own = spells[spells["abbrev"] == code]
        spans = ", ".join(f"{f}-{'on' if pd.isna(t) else t}"
                          for f, t in zip(own["first_year"], own["last_year"], strict=True))
        mask = pd.Series(False, index=ally.index)
        mask.loc[bad["_row"].to_numpy()] = True
        problems.append(Problem(
            "ally, year", _rows(mask),
            f"{code} was not a state in {_years(bad['year'])} (state-system member {spans})",
            "drop those rows or use the code of the state that existed then (e.g. Germany is "
            "GFR until and GMY from unification in 1990); `bayes-alliance data codes` lists "
            "the codes"))
    return problems


def _years(years: pd.Series) -> str:
    values = pd.to_numeric(years, errors="coerce").to_numpy(float)
    finite = np.isfinite(values)
    shown = sorted({int(y) for y in values[finite]})
    text = ", ".join(map(str, shown[:5])) + (" ..." if len(shown) > 5 else "")
    if not finite.all():
        text += (", " if text else "") + "non-finite values"
    return text


def _suggest(code: str, known: set[str]) -> str:
    """``"'rok' (did you mean ROK?)"`` for a lowercase, swapped or near-miss code."""
    upper = code.strip().upper()
    if upper in known:
        return f"'{code}' (did you mean {upper}?)"
    close = ([k for k in sorted(known) if sorted(k) == sorted(upper)]
             or difflib.get_close_matches(upper, sorted(known), n=2, cutoff=0.6))
    return f"'{code}' (did you mean {' or '.join(close[:3])}?)" if close else f"'{code}'"


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
        this_year = datetime.date.today().year
        implausible = year.notna() & ((year < FIRST_YEAR) | (year > this_year))
        if implausible.any():
            problems.append(Problem(
                "year", _rows(implausible),
                f"years outside {FIRST_YEAR}-{this_year} ({_years(year[implausible])})",
                f"write calendar years from {FIRST_YEAR} (the start of the state system) to "
                f"{this_year}"))
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
            codes_seen = sorted(set(ally[unknown].astype(str)))[:5]
            names = ", ".join(_suggest(c, known) for c in codes_seen)
            problems.append(Problem(
                "ally", _rows(unknown), f"unknown ally code(s) {names}",
                "use Correlates of War state abbreviations in capitals (e.g. UKG, GFR, JPN, "
                "ROK); `bayes-alliance data codes` lists them"))
        patron = ally.astype(str).map(dict(zip(codes["abbrev"], codes["ccode"], strict=True)))
        patron = patron == PATRON_CCODE
        if patron.any():
            code = str(ally[patron].iloc[0])
            problems.append(Problem(
                "ally", _rows(patron), f"{code} is the patron, not an ally",
                f"remove the {code} rows; the panel lists the patron's allies"))
        if not unknown.any() and "year" in values and not (empty | values["year"].isna()).any():
            problems += _membership_problems(ally, values["year"])
        if not unknown.any() and "ccode" in values:
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
    synthetic: bool = False, notes: tuple[str, ...] = (), csv_lines: bool = False,
) -> Panel:
    """Validate ``df`` and return a :class:`Panel`.

    Parameters
    ----------
    csv_lines
        ``df`` was read from a CSV file: name offending rows by their line in
        the file (header = line 1) rather than by 0-based row index.

    Raises
    ------
    PanelError
        Listing every problem: column, first offending rows and the fix.
    """
    if not isinstance(df, pd.DataFrame):
        raise PanelError(f"a panel must be a pandas DataFrame, got {type(df).__name__}")
    df = df.reset_index(drop=True)
    problems, keep = check_panel(df, drop_missing=drop_missing)
    if problems:
        lines = "\n".join(f"  - {p.describe(csv_lines)}" for p in problems)
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
            return _check_delimiter(pd.read_csv(p), p)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        if isinstance(err, PanelError):
            raise
        raise PanelError(f"cannot read panel file {p}: {err}. Fix: save it as UTF-8 CSV "
                         "with a header row, or as Parquet") from err
    raise PanelError(f"panel file {p} has an unknown extension '{p.suffix}'; use .csv or .parquet")


def _check_delimiter(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Reject a CSV whose header is one column holding ';' or tab separated names."""
    if len(df.columns) == 1:
        header = str(df.columns[0])
        for sep, name in ((";", "';'"), ("\t", "a tab")):
            if sep in header:
                raise PanelError(
                    f"panel file {path} looks like {name}-separated values (its header is one "
                    f"column: '{header[:60]}'). Fix: save it with commas as separators, e.g. "
                    "pandas.read_csv(path, sep=';').to_csv(path, index=False)")
    return df

