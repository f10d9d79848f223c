"""The set of states to measure: the US treaty allies by default, or a user's list."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bayes_alliance.errors import MeasureError
from bayes_alliance.measure.lexicon import cow_codes
from bayes_alliance.resources import data_path

__all__ = ["AllySet", "load_allies"]

_CODE_COLUMNS = ("ally", "abbrev", "code", "stateabb")


@dataclass(frozen=True, slots=True)
class AllySet:
    """States to count, keyed by COW abbreviation.

    Attributes
    ----------
    name
        ``"default"`` or the name of the file the codes came from.
    codes
        COW abbreviation -> COW country code, in the order given.
    """

    name: str
    codes: Mapping[str, int]


def load_allies(allies: str | Path | Iterable[str | int] | AllySet | None = None) -> AllySet:
    """Resolve an ally set.

    Parameters
    ----------
    allies
        None or ``"default"``: every US treaty ally in ``data/facts/us_allies.csv``
        (West Germany GFR and unified Germany GMY are separate states). A path to a
        CSV file (a column ``ally``, ``abbrev``, ``code`` or ``stateabb`` of COW
        abbreviations, or ``ccode`` of COW numbers) or a TOML file
        (``allies = ["JPN", "ROK"]``). Or an iterable of abbreviations or numbers.

    Returns
    -------
    AllySet

    Raises
    ------
    MeasureError
        When the file cannot be read, has no code column, or names unknown states.
    """
    if isinstance(allies, AllySet):
        return allies
    if allies is None or (isinstance(allies, str) and allies == "default"):
        path = data_path("facts", "us_allies.csv")
        return AllySet("default", _resolve(_codes_from_csv(path), "us_allies.csv"))
    if isinstance(allies, str | Path):
        path = Path(allies)
        if not path.is_file():
            raise MeasureError(f"ally file not found: {path} (give 'default' or a CSV/TOML "
                               "file of COW codes)")
        if path.suffix.lower() == ".toml":
            return AllySet(path.name, _resolve(_codes_from_toml(path), path.name))
        if path.suffix.lower() == ".csv":
            return AllySet(path.name, _resolve(_codes_from_csv(path), path.name))
        raise MeasureError(f"{path}: ally file must be .csv or .toml")
    return AllySet("custom", _resolve(list(allies), "ally list"))


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise MeasureError(f"{path.name}: not valid UTF-8 ({err.reason})") from err
    except OSError as err:
        raise MeasureError(f"cannot read {path}: {err.strerror or err}") from err


def _codes_from_csv(path: Path) -> list[str | int]:
    reader = csv.DictReader(io.StringIO(_read_text(path)))
    fields = reader.fieldnames or []
    column = next((c for c in _CODE_COLUMNS if c in fields), None)
    if column is None and "ccode" in fields:
        column = "ccode"
    if column is None:
        raise MeasureError(f"{path.name}: no column of state codes; expected one of "
                           f"{', '.join((*_CODE_COLUMNS, 'ccode'))}")
    values: list[str | int] = []
    for row in reader:
        value = (row.get(column) or "").strip()
        if not value:
            raise MeasureError(f"{path.name}, line {reader.line_num}: empty '{column}'")
        values.append(_as_ccode(value, path.name, reader.line_num) if column == "ccode"
                      else value)
    return values


def _as_ccode(value: str, name: str, line: int) -> int:
    try:
        return int(value)
    except ValueError as err:
        raise MeasureError(f"{name}, line {line}: ccode '{value}' is not an integer") from err


def _codes_from_toml(path: Path) -> list[str | int]:
    try:
        spec = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as err:
        raise MeasureError(f"{path.name}: malformed TOML ({err})") from err
    values = spec.get("allies")
    if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
        raise MeasureError(f"{path.name}: expected `allies = [\"JPN\", \"ROK\", ...]` "
                           "(COW abbreviations or numbers)")
    return values


def _resolve(values: list[str | int], where: str) -> dict[str, int]:
    known = cow_codes()
    by_number = {number: code for code, number in known.items()}
    codes: dict[str, int] = {}
    unknown = []
    for value in values:
        code = by_number.get(value) if isinstance(value, int) else str(value).strip().upper()
        if code is None or code not in known:
            unknown.append(str(value))
        else:
            codes.setdefault(code, known[code])
    if unknown:
        raise MeasureError(f"{where}: unknown COW state code(s): {', '.join(unknown)} "
                           "(see data/facts/cow_country_codes.csv)")
    if not codes:
        raise MeasureError(f"{where}: no allies given")
    return codes
