"""Shared test fixtures: headless plotting, paths, the shared real-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]
#: the workspace's real public source files sit beside the repository (never copied into it)
SHARED_DATA = Path(
    os.environ.get("BAYES_ALLIANCE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")
)


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The folder of real source files; tests using it skip cleanly when it is absent."""
    if not (SHARED_DATA / "SHA256SUMS").is_file():
        pytest.skip("real source files not found (looked in ../shared/data); "
                    "set BAYES_ALLIANCE_SHARED_DATA to run these tests")
    return SHARED_DATA
