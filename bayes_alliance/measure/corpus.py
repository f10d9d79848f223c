"""Read a corpus of dated statements: JSON Lines, CSV, one ``.txt`` file or a folder of them.

Every format yields :class:`Document` records with a date and a text. Problems
are reported as :class:`~bayes_alliance.errors.MeasureError` naming the file and
the line (or record): unreadable files, bytes that are not UTF-8, missing ``date``
or ``text`` fields, dates that cannot be parsed, and corpora without documents.
Nothing is skipped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bayes_alliance.errors import MeasureError

__all__ = ["Corpus", "Document", "parse_date", "read_corpus"]

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m", "%Y", "%B %d, %Y", "%b %d, %Y",
                 "%d %B %Y", "%d %b %Y", "%B %Y", "%m/%d/%Y")
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)")
_FILE_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z _-]{0,30}):[ \t]*(\S.*)$")
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "txt"}


@dataclass(frozen=True, slots=True)
class Document:
    """One dated statement.

    Attributes
    ----------
    doc_id
        The record's ``id`` field, else ``<file>:<line>`` (or the file name).
    date
        Date of the statement.
    text
        Its text.
    source
        Where it came from (file and line), for messages.
    speaker
        Who the record says is speaking (its ``president`` or ``speaker`` field);
        empty when the corpus does not say.
    title
        The record's ``title`` field (empty when absent).
    """

    doc_id: str
    date: dt.date
    text: str
    source: str
    speaker: str = ""
    title: str = ""

    @property
    def year(self) -> int:
        """Calendar year of the statement."""
        return self.date.year


@dataclass(frozen=True, slots=True)
class Corpus:
    """Documents read from one path, with the SHA-256 of what was read."""

    name: str
    format: str
    sha256: str
    n_bytes: int
    documents: tuple[Document, ...]

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)


def parse_date(value: object, where: str) -> dt.date:
    """Parse the date of a record.

    Accepts ISO dates (``1961-01-20``, ``1961-01``, ``1961``, with or without a time)
    and written ones (``January 20, 1961``, ``20 January 1961``, ``01/20/1961``).

    Raises
    ------
    MeasureError
        Naming ``where`` when the value is missing or not a date.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise MeasureError(f"{where}: missing date (expected e.g. 1961-01-20)")
    text = " ".join(value.split())
    iso = re.match(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}", text)
    if iso:
        text = iso.group(1)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise MeasureError(f"{where}: cannot parse date {value!r} (expected e.g. 1961-01-20)")


def read_corpus(path: str | Path) -> Corpus:
    """Read a corpus of dated statements.

    Parameters
    ----------
    path
        A ``.jsonl`` file (one JSON object per line with ``date`` and ``text``), a
        ``.csv`` file (header with ``date`` and ``text`` columns), a ``.txt`` file, or
        a folder of ``.txt`` files (searched recursively). A text file takes its date
        from a ``Date:`` line in a header block at its top, else from a date
        (``1961-01-20``) or a year in its file name.

    Returns
    -------
    Corpus
        Documents in file order, the format, the number of bytes read and their
        SHA-256 (for a folder: of the sorted list of relative paths and file digests).

    Raises
    ------
    MeasureError
        For a missing or unreadable path, undecodable bytes, a malformed record, a
        missing or unparseable date, or a corpus without documents.
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    if not path.exists():
        raise MeasureError(f"corpus not found: {path}")
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MeasureError(f"{path}: unsupported corpus format '{path.suffix}'; use .jsonl, "
                           ".csv, a .txt file or a folder of .txt files")
    raw = _read_bytes(path)
    text = _decode(raw, path.name)
    if fmt == "jsonl":
        docs = _parse_jsonl(text, path.name)
    elif fmt == "csv":
        docs = _parse_csv(text, path.name)
    else:
        docs = [_parse_txt(text, path.name)]
    return _corpus(path.name, fmt, hashlib.sha256(raw).hexdigest(), len(raw), docs)


def _corpus(name: str, fmt: str, digest: str, n_bytes: int, docs: list[Document]) -> Corpus:
    if not docs:
        raise MeasureError(f"corpus {name} is empty: no documents found")
    return Corpus(name, fmt, digest, n_bytes, tuple(docs))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise MeasureError(f"cannot read {path}: {err.strerror or err}") from err


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        bad = raw[err.start:err.end].hex(" ")
        raise MeasureError(f"{name}, line {line}, column {column}: bytes {bad} are not valid "
                           "UTF-8; re-encode the file as UTF-8") from err


def _parse_jsonl(text: str, name: str) -> list[Document]:
    docs = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{name}, line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise MeasureError(f"{where}: not valid JSON ({err.msg} at column {err.colno})"
                               ) from err
        if not isinstance(record, dict):
            raise MeasureError(f"{where}: expected a JSON object with 'date' and 'text'")
        docs.append(_document(record, where, f"{name}:{number}"))
    return docs


def _parse_csv(text: str, name: str) -> list[Document]:
    # speeches are long: lift the csv module's 128 KiB field limit for this reader
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        fields = reader.fieldnames or []
        missing = [f for f in ("date", "text") if f not in fields]
        if missing:
            raise MeasureError(f"{name}, line 1: missing column(s) {', '.join(missing)} "
                               f"(found: {', '.join(fields) or 'none'})")
        docs = []
        for number, row in enumerate(reader, start=1):
            where = f"{name}, record {number} (line {reader.line_num})"
            docs.append(_document(row, where, f"{name}:{reader.line_num}"))
    except csv.Error as err:
        raise MeasureError(f"{name}, line {reader.line_num}: malformed CSV ({err})") from err
    return docs


def _document(record: dict, where: str, default_id: str) -> Document:
    if "text" not in record or record["text"] is None:
        raise MeasureError(f"{where}: missing 'text' field")
    if not isinstance(record["text"], str):
        raise MeasureError(f"{where}: 'text' must be a string")
    if "date" not in record:
        raise MeasureError(f"{where}: missing 'date' field")
    date = parse_date(record["date"], where)
    doc_id = record.get("id")
    speaker = record.get("president") or record.get("speaker") or ""
    return Document(str(doc_id) if doc_id not in (None, "") else default_id, date,
                    record["text"], where, str(speaker).strip(), str(record.get("title") or ""))


def _parse_txt(text: str, name: str) -> Document:
    """A text file: an optional header block of ``Key: value`` lines, then the body."""
    lines = text.split("\n")
    header: dict[str, tuple[int, str]] = {}
    n = 0
    while n < len(lines) and (match := _HEADER_LINE.match(lines[n].strip())):
        header[match.group(1).strip().lower()] = (n + 1, match.group(2))
        n += 1
    speaker = (header.get("president") or header.get("speaker") or (0, ""))[1].strip()
    title = (header.get("title") or (0, ""))[1].strip()
    if "date" not in header:
        return Document(name, _date_from_name(name), text, name, speaker, title)
    line_no, value = header["date"]
    date = parse_date(value, f"{name}, line {line_no}")
    return Document(name, date, "\n".join(lines[n:]).strip("\n"), name, speaker, title)


def _date_from_name(name: str) -> dt.date:
    stem = Path(name).stem
    full = _FILE_DATE.search(stem)
    if full:
        return parse_date("-".join(full.groups()), name)
    year = _FILE_YEAR.search(stem)
    if year:
        return dt.date(int(year.group(1)), 1, 1)
    raise MeasureError(f"{name}: no date found; add a 'Date: 1961-01-20' line at the top "
                       "or put the date in the file name")


def _read_folder(path: Path) -> Corpus:
    files = sorted(p for p in path.rglob("*.txt") if p.is_file())
    digest_lines, docs, n_bytes = [], [], 0
    for file in files:
        rel = file.relative_to(path).as_posix()
        raw = _read_bytes(file)
        n_bytes += len(raw)
        digest_lines.append(f"{rel}\t{hashlib.sha256(raw).hexdigest()}\n")
        docs.append(_parse_txt(_decode(raw, rel), rel))
    digest = hashlib.sha256("".join(digest_lines).encode("utf-8")).hexdigest()
    return _corpus(path.name, "txt-folder", digest, n_bytes, docs)
