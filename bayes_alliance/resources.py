"""The only code that knows where the shipped ``data/`` and ``models/`` folders live.

In a wheel they are bundled inside the package as ``bayes_alliance/_bundled/``;
in a source checkout (editable install) they sit at the repository root.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_root() -> Path:
    """Return the folder that holds ``data/`` and ``models/``.

    Returns
    -------
    Path
        ``bayes_alliance/_bundled`` when installed from a wheel, else the
        repository root of a source checkout.
    """
    bundled = _PACKAGE_DIR / "_bundled"
    if (bundled / "models").is_dir():
        return bundled
    source_root = _PACKAGE_DIR.parent
    if (source_root / "models").is_dir() and (source_root / "data").is_dir():
        return source_root
    raise FileNotFoundError(
        "bayes_alliance cannot find its data/ and models/ folders; reinstall the package "
        "with `pip install .` from a clone of the repository"
    )


def package_version() -> str:
    """Installed version of ``bayes-alliance`` (``0.0.0+unknown`` in a bare source tree)."""
    try:
        return importlib.metadata.version("bayes-alliance")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - bare source tree
        return "0.0.0+unknown"


def data_path(*parts: str) -> Path:
    """Path of a shipped file under ``data/``."""
    return resource_root().joinpath("data", *parts)


def models_path(*parts: str) -> Path:
    """Path of a shipped file under ``models/`` (specs, priors, scenarios)."""
    return resource_root().joinpath("models", *parts)


def shipped_names(*folder: str) -> list[str]:
    """Names (file stems) of the TOML files shipped in ``models/<folder>``."""
    return sorted(p.stem for p in models_path(*folder).glob("*.toml"))


def read_shipped_toml(name_or_path: str | os.PathLike[str], folder: tuple[str, ...], *,
                      kind: str, error: type[Exception]) -> tuple[dict[str, Any], Path]:
    """Read a shipped TOML file by name, or any TOML file by path.

    Parameters
    ----------
    name_or_path
        A bare name (``"joint"``) looked up in ``models/<folder>``, or a path.
    folder
        Sub-folder of ``models/`` holding the shipped files (``()`` for specs).
    kind
        What the file is, for messages ("spec", "prior set", "preset scenario").
    error
        Exception type raised on any problem (the caller's layer).

    Returns
    -------
    raw, path
        The parsed mapping and the file it came from.
    """
    text = str(name_or_path)
    path = Path(text)
    if not path.suffix and not path.exists():
        path = models_path(*folder, f"{text}.toml")
        if not path.is_file():
            names = shipped_names(*folder)
            close = difflib.get_close_matches(text, names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise error(f"no {kind} called '{text}'{hint}; shipped: {', '.join(names)} "
                        "(or pass a path to a .toml file)")
    if not path.is_file():
        raise error(f"{kind} file {path} does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise error(f"{kind} file {path} is not valid TOML: {err}") from err
