"""Safe output: atomic writing, what ``--force`` may replace, content hashes, Markdown tables.

A file or folder appears whole or not at all (written to a temporary sibling,
then renamed). ``--force`` means the same in every command: replace what the
command itself writes (its output file, or a folder it created and marked),
never an input and never a foreign file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(target: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place on success.

    Parameters
    ----------
    target
        Final path of the file.
    force
        Replace an existing file. Without it an existing ``target`` raises
        ``FileExistsError`` before anything is written.
    """
    target = Path(target)
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; pass force=True (CLI: --force) to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write ``text`` to ``target`` atomically (UTF-8)."""
    with atomic_path(target, force=force) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_with(
    target: str | os.PathLike[str], writer: Callable[[Path], None], *, force: bool = False
) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``target`` atomically."""
    with atomic_path(target, force=force) as tmp:
        writer(tmp)
    return Path(target)


# ---------------------------------------------------------------- what --force may replace
#: name of the marker file a command leaves in a folder it created, e.g. ``.bayes_alliance-report``
MARKER_PREFIX = ".bayes_alliance-"


def marker_path(folder: str | os.PathLike[str], kind: str) -> Path:
    """Path of the marker file that says ``folder`` was written by the ``kind`` command."""
    return Path(folder) / f"{MARKER_PREFIX}{kind}"


def _resolved(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().resolve()


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_file(target: str | os.PathLike[str], *, force: bool,
                      inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Check that ``target`` may be written as a command's output file.

    ``--force`` replaces a file the command writes, never one of its inputs
    and never a folder.

    Parameters
    ----------
    target
        The output file.
    force
        Whether an existing file of that name may be replaced.
    inputs
        Files and folders the command reads (``None`` entries are ignored).

    Raises
    ------
    FileExistsError
        When ``target`` exists (and ``force`` is False), is a folder, or is
        one of the inputs (whatever ``force``).
    """
    target = Path(target)
    where = _resolved(target)
    for inp in inputs:
        if inp is not None and where == _resolved(inp):
            raise FileExistsError(f"{target} is an input of this command; writing there would "
                                  "destroy it (even with --force). Choose another output path")
    if target.is_dir():
        raise FileExistsError(f"{target} is a folder; give the path of a file to write")
    if target.exists() and not force:
        raise FileExistsError(f"{target} already exists; pass --force (force=True) to replace it")
    return target


def check_output_dir(out_dir: str | os.PathLike[str], *, kind: str, force: bool,
                     inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Check that ``out_dir`` may become (or be replaced by) a ``kind`` output folder.

    The rules of ``--force`` for folders: an existing folder is replaced only
    with ``force`` and only when it is empty or carries the marker
    :func:`marker_path` left by the same command;
    a folder holding other files, the current folder (or one above it) and a
    folder that contains one of the inputs are refused whatever ``force``.

    Raises
    ------
    FileExistsError
        With the reason and what to do instead.
    """
    out_dir = Path(out_dir)
    where = _resolved(out_dir)
    for inp in inputs:
        if inp is not None and _is_within(_resolved(inp), where):
            raise FileExistsError(f"--out {out_dir} contains {inp}, an input of this command; "
                                  "replacing the folder would delete it (even with --force). "
                                  "Choose a new folder, e.g. --out reports/NAME")
    if _is_within(Path.cwd().resolve(), where):
        raise FileExistsError(f"--out {out_dir} is the current folder or one above it; it "
                              "cannot be replaced. Choose a new folder, e.g. --out reports/NAME")
    if not out_dir.exists():
        return out_dir
    if not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a folder; remove it or choose "
                              "another --out")
    if any(out_dir.iterdir()) and not marker_path(out_dir, kind).is_file():
        raise FileExistsError(f"{out_dir} exists and holds files that `{kind}` did not write "
                              f"(no {marker_path(out_dir, kind).name} marker), so --force will "
                              "not replace it; choose a new folder or empty it yourself")
    if not force:
        raise FileExistsError(f"{out_dir} exists; pass --force (force=True) to replace it")
    return out_dir


def replace_dir(tmp: Path, out_dir: Path, *, kind: str, force: bool) -> None:
    """Mark the finished folder ``tmp`` as ``kind`` output and rename it to ``out_dir``.

    An existing ``out_dir`` is checked again with :func:`check_output_dir` (it
    may have appeared while ``tmp`` was written), renamed aside, and deleted
    only after ``tmp`` is in place; on failure it is restored.
    """
    marker_path(tmp, kind).write_text(
        f"Written by `bayes-alliance {kind}`; `--force` may replace this whole folder.\n",
        encoding="utf-8")
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    check_output_dir(out_dir, kind=kind, force=force)
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rename(out_dir, old / out_dir.name)
    try:
        os.rename(tmp, out_dir)
    except OSError:
        os.rename(old / out_dir.name, out_dir)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


_HASHED: dict[tuple[str, int, int], str] = {}


def markdown_table(frame: Any) -> str:
    """A pandas DataFrame as a GitHub Markdown table, cells as their ``str`` (``|`` escaped).

    The index is not written; format numbers before calling.
    """
    def row(cells: Iterable[Any]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ")
                                 for c in cells) + " |"

    lines = [row(frame.columns), "|" + "---|" * len(frame.columns)]
    lines += [row(r) for r in frame.itertuples(index=False)]
    return "\n".join(lines)


def sha256_prefix(path: Path, size: int | None = None) -> str:
    """Hex SHA-256 of the first ``size`` bytes of ``path`` (the whole file when None)."""
    digest = hashlib.sha256()
    left = float("inf") if size is None else size
    with path.open("rb") as fh:
        while left > 0:
            block = fh.read(int(min(left, 1 << 20)))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file (memoised on path, size and modification time)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHED:
        _HASHED[key] = sha256_prefix(path)
    return _HASHED[key]
