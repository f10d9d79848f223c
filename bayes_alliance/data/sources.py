"""Registry of the public source files behind the real panel, and how to get them.

``data/sources.toml`` lists every file the builder reads (name, version,
canonical URL of the original, file name, SHA-256, citation, licence). A file
is found, in this order:

1. in a local folder: the ``source_dir`` argument (CLI ``--source-dir``), else
   the ``BAYES_ALLIANCE_DATA_DIR`` environment variable;
2. in the user cache (``BAYES_ALLIANCE_CACHE_DIR``, default
   ``platformdirs.user_cache_dir("bayes_alliance")``), downloaded there with
   :mod:`pooch` from a mirror: ``BAYES_ALLIANCE_DATA_URL`` (or ``mirror_url`` in
   the registry) with the file name appended.

Every copy, local or downloaded, is checked against its SHA-256 before use;
a mismatch raises :class:`~bayes_alliance.errors.DataSourceError`. This module
is the only place in the package that touches the network, and only through
the mirror URL.
"""

from __future__ import annotations

import difflib
import logging
import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bayes_alliance.errors import DataSourceError
from bayes_alliance.io import sha256_file
from bayes_alliance.resources import data_path

__all__ = [
    "ENV_CACHE_DIR",
    "ENV_DATA_DIR",
    "ENV_DATA_URL",
    "Source",
    "cache_dir",
    "fetch",
    "is_available",
    "registry",
    "sha256_file",
]

ENV_DATA_DIR = "BAYES_ALLIANCE_DATA_DIR"
ENV_DATA_URL = "BAYES_ALLIANCE_DATA_URL"
ENV_CACHE_DIR = "BAYES_ALLIANCE_CACHE_DIR"
REGISTRY_FILE = "sources.toml"
_FIELDS = ("file", "version", "sha256", "url", "repository", "commit", "path", "conversion",
           "citation", "licence", "required")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One registered public source file.

    Attributes
    ----------
    name
        Registry key (e.g. ``"cow_nmc"``).
    file
        File name; a mirror serves it under this name.
    sha256
        Digest of the exact file the builder expects.
    url
        Canonical public original (informational; not the converted file).
    required
        False for files the builder uses only when present.
    """

    name: str
    file: str
    version: str
    sha256: str
    url: str
    repository: str
    commit: str
    path: str
    conversion: str
    citation: str
    licence: str
    required: bool


@cache
def _registry_toml() -> dict:
    path = data_path(REGISTRY_FILE)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise DataSourceError(f"cannot read the source registry {path}: {err}") from err


@cache
def registry() -> dict[str, Source]:
    """All registered sources, by name.

    Returns
    -------
    dict of str to Source

    Raises
    ------
    DataSourceError
        When ``data/sources.toml`` is unreadable or an entry lacks a field.
    """
    entries = _registry_toml().get("sources", {})
    out: dict[str, Source] = {}
    for name, entry in entries.items():
        missing = [f for f in _FIELDS if f not in entry]
        unknown = sorted(set(entry) - set(_FIELDS))
        if missing or unknown:
            raise DataSourceError(
                f"data/sources.toml: [sources.{name}] has missing fields {missing} "
                f"or unknown fields {unknown}; each entry needs {', '.join(_FIELDS)}")
        out[name] = Source(name=name, **{f: entry[f] for f in _FIELDS})
    return out


def source(name: str) -> Source:
    """Look up one source by name; unknown names get close matches in the error."""
    reg = registry()
    if name not in reg:
        close = difflib.get_close_matches(name, list(reg), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise DataSourceError(f"unknown source '{name}'.{hint} Known: {', '.join(sorted(reg))}")
    return reg[name]


def cache_dir() -> Path:
    """Root of the package's user cache (``BAYES_ALLIANCE_CACHE_DIR`` overrides it)."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("bayes_alliance"))


def how_to_get(src: Source) -> str:
    """The fix shown whenever a source file cannot be had."""
    return (
        f"Get the files one of these ways: (1) put them in a folder and pass it as "
        f"source_dir= / --source-dir, or set {ENV_DATA_DIR} to it; (2) set {ENV_DATA_URL} to a "
        f"mirror that serves them by file name (e.g. https://host/path/ + '{src.file}'). "
        f"data/sources.toml lists every file with its SHA-256, the original it was converted "
        f"from ({src.url}) and the citation; check a copy with `sha256sum -c SHA256SUMS`.")


def _check_local(src: Source, folder: Path, origin: str) -> Path:
    path = folder / src.file
    if not path.is_file():
        raise DataSourceError(
            f"source '{src.name}': {src.file} is not in {folder} ({origin}). {how_to_get(src)}")
    digest = sha256_file(path)
    if digest != src.sha256:
        raise DataSourceError(
            f"source '{src.name}': {path} has SHA-256 {digest}, expected {src.sha256} "
            f"({src.version}); the copy is corrupt or a different release. Replace it with "
            f"the registered file. {how_to_get(src)}")
    return path


def _mirror_url() -> str:
    return os.environ.get(ENV_DATA_URL) or str(_registry_toml().get("mirror_url", ""))


def _download(src: Source, base_url: str, folder: Path) -> Path:
    import pooch
    import requests

    url = base_url.rstrip("/") + "/" + src.file
    pooch.get_logger().setLevel(logging.WARNING)
    try:
        got = pooch.retrieve(url, known_hash=f"sha256:{src.sha256}", fname=src.file,
                             path=folder, progressbar=False)
    except ValueError as err:  # pooch reports a hash mismatch as ValueError
        raise DataSourceError(
            f"source '{src.name}': the file downloaded from {url} fails its hash check "
            f"({err}); the mirror holds a corrupt or different file and nothing was kept. "
            f"{how_to_get(src)}") from err
    except (requests.RequestException, OSError) as err:
        raise DataSourceError(
            f"source '{src.name}': cannot download {url}: {err}. {how_to_get(src)}") from err
    return Path(got)


def fetch(name: str, *, source_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the local path of a registered source file, hash-checked.

    Parameters
    ----------
    name
        Registry name (see ``data/sources.toml``), e.g. ``"cow_nmc"``.
    source_dir
        Folder holding the files. Defaults to ``BAYES_ALLIANCE_DATA_DIR``; when
        neither is set the file comes from the user cache, downloaded from the
        mirror (``BAYES_ALLIANCE_DATA_URL``) on first use.

    Returns
    -------
    Path
        The verified file.

    Raises
    ------
    DataSourceError
        Unknown name, file absent, hash mismatch, or download failure; the
        message says how to get the files.
    """
    src = source(name)
    if source_dir is not None:
        return _check_local(src, Path(source_dir).expanduser(), "source_dir")
    env_dir = os.environ.get(ENV_DATA_DIR)
    if env_dir:
        return _check_local(src, Path(env_dir).expanduser(), ENV_DATA_DIR)
    folder = cache_dir() / "sources"
    cached = folder / src.file
    if cached.is_file() and sha256_file(cached) == src.sha256:
        return cached
    base = _mirror_url()
    if not base:
        raise DataSourceError(
            f"source '{src.name}' ({src.file}) is not available: no folder is set "
            f"({ENV_DATA_DIR} / --source-dir), it is not in the cache {folder}, and no mirror "
            f"is configured ({ENV_DATA_URL}). {how_to_get(src)}")
    _log.info("downloading %s from %s", src.file, base)
    return _download(src, base, folder)


def is_available(name: str, *, source_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether :func:`fetch` can deliver ``name`` (it may download it)."""
    try:
        fetch(name, source_dir=source_dir)
    except DataSourceError:
        return False
    return True
