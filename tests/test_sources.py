"""The source registry and the three ways to get a file: folder, cache, mirror (loopback only)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bayes_alliance.data import sources
from bayes_alliance.errors import DataSourceError
from bayes_alliance.resources import resource_root

SMALL = ("td_rivalries", "nuclear_bleek")  # two small registered files


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No data folder or mirror from the caller's environment; a fresh, empty cache."""
    for var in (sources.ENV_DATA_DIR, sources.ENV_DATA_URL):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv(sources.ENV_CACHE_DIR, str(cache))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return cache


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator:
    """Start a loopback HTTP server on a random port for a folder; yields a starter."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _sha256sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text().split("\n")
    return {name.strip(): digest for digest, name in (ln.split(None, 1) for ln in lines if ln)}


def test_registry_entries_are_complete() -> None:
    reg = sources.registry()
    assert {"atop_alliance_usa", "cow_nmc", "sipri_milex", "us_troops_country_year",
            "speeches"} <= set(reg)
    for src in reg.values():
        assert len(src.sha256) == 64 and src.url.startswith("https://")
        assert src.citation and src.licence and src.version and src.file
    assert not reg["speeches"].required and reg["cow_nmc"].required


def test_unknown_source_suggests_names() -> None:
    with pytest.raises(DataSourceError, match="Did you mean cow_nmc"):
        sources.fetch("cow_nmcc")


@pytest.mark.shared_data
def test_registry_hashes_match_the_shared_checksums(shared_data_dir: Path) -> None:
    sums = _sha256sums(shared_data_dir)
    for src in sources.registry().values():
        assert sums[src.file] == src.sha256, src.name


@pytest.mark.shared_data
def test_no_source_file_is_copied_into_the_repository(shared_data_dir: Path) -> None:
    digests = set(_sha256sums(shared_data_dir).values())
    root = resource_root()
    for folder in ("data", "tests", "bayes_alliance"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.stat().st_size > 200:
                assert hashlib.sha256(path.read_bytes()).hexdigest() not in digests, path


@pytest.mark.shared_data
def test_fetch_from_a_folder_checks_the_hash(shared_data_dir: Path, clean_env: Path,
                                             tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = sources.fetch("td_rivalries", source_dir=shared_data_dir)
    assert path == shared_data_dir / "td_rivalries.csv"
    monkeypatch.setenv(sources.ENV_DATA_DIR, str(shared_data_dir))
    assert sources.fetch("nuclear_bleek") == shared_data_dir / "nuclear_bleek2017_raw.csv"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "td_rivalries.csv").write_bytes(
        (shared_data_dir / "td_rivalries.csv").read_bytes() + b"\n")
    with pytest.raises(DataSourceError, match="SHA-256"):
        sources.fetch("td_rivalries", source_dir=bad)
    with pytest.raises(DataSourceError, match="is not in"):
        sources.fetch("cow_nmc", source_dir=bad)


def test_without_folder_cache_or_mirror_the_error_says_how(clean_env: Path) -> None:
    with pytest.raises(DataSourceError) as err:
        sources.fetch("cow_nmc")
    message = str(err.value)
    assert sources.ENV_DATA_DIR in message and sources.ENV_DATA_URL in message
    assert "--source-dir" in message and "sha256sum" in message
    assert not sources.is_available("cow_nmc")


@pytest.mark.shared_data
def test_download_from_loopback_mirror_is_hash_checked_and_cached(
        shared_data_dir: Path, clean_env: Path, serve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sources.ENV_DATA_URL, serve(shared_data_dir))
    for name in SMALL:
        path = sources.fetch(name)
        assert path.parent == clean_env / "sources"
        assert sources.sha256_file(path) == sources.registry()[name].sha256
    # once cached, no mirror is needed
    monkeypatch.setenv(sources.ENV_DATA_URL, "http://127.0.0.1:9/")
    assert sources.fetch(SMALL[0]).parent == clean_env / "sources"


@pytest.mark.shared_data
def test_panel_builds_end_to_end_from_the_mirror(
        shared_data_dir: Path, clean_env: Path, serve, monkeypatch: pytest.MonkeyPatch) -> None:
    from bayes_alliance.data.build import build_panel
    from bayes_alliance.data.build_inputs import COLUMNS

    monkeypatch.setenv(sources.ENV_DATA_URL, serve(shared_data_dir))
    frame = build_panel(use_text=False)
    assert len(frame) > 2000 and frame["ally"].nunique() >= 30
    cached = {p.name for p in (clean_env / "sources").iterdir()}
    used = {sources.registry()[n].file for n in COLUMNS if n not in ("nuclear_owid", "terrthreat")}
    assert used <= cached


@pytest.mark.shared_data
def test_corrupted_file_on_the_mirror_is_rejected(
        shared_data_dir: Path, clean_env: Path, serve, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(shared_data_dir / "nuclear_bleek2017_raw.csv", mirror)
    data = bytearray((shared_data_dir / "td_rivalries.csv").read_bytes())
    data[100] = ord("X") if data[100] != ord("X") else ord("Y")
    (mirror / "td_rivalries.csv").write_bytes(bytes(data))
    monkeypatch.setenv(sources.ENV_DATA_URL, serve(mirror))
    assert sources.fetch("nuclear_bleek").is_file()
    with pytest.raises(DataSourceError, match="fails its hash check"):
        sources.fetch("td_rivalries")
    assert not (clean_env / "sources" / "td_rivalries.csv").exists()
    with pytest.raises(DataSourceError, match="cannot download"):
        sources.fetch("cow_nmc")


def test_only_the_sources_module_touches_the_network() -> None:
    package = resource_root() / "bayes_alliance"
    if not package.is_dir():
        pytest.skip("installed from a wheel; the source tree is not beside the data")
    words = ("import requests", "import pooch", "urllib.request", "http.client")
    offenders = [p for p in package.rglob("*.py") if p.name != "sources.py"
                 and any(w in p.read_text(encoding="utf-8") for w in words)]
    assert offenders == []
