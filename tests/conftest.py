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


#: allies of the tiny joint fit shared by the report and diagnostics tests
TINY_ALLIES = ["GFR", "JPN", "ROK", "UKG", "FRN", "ITA", "TUR", "AUL"]


@pytest.fixture(scope="session")
def tiny_joint_fit(tmp_path_factory: pytest.TempPathFactory):
    """One small joint fit per test session (8 allies, 2 x 100 draws), saved and reloaded."""
    import warnings

    import bayes_alliance as ba
    from bayes_alliance.results import FitResult

    path = Path(tmp_path_factory.getbasetemp()) / "tiny_joint_fit.nc"
    if not path.is_file():
        frame = ba.load_panel("default").frame
        frame = frame[frame.ally.isin(TINY_ALLIES)].reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = ba.AllianceModel.from_spec("joint", frame, priors="weak").fit(
                draws=100, tune=100, chains=2, random_seed=1, prior_draws=100)
        result.save(path)
    return FitResult.load(path)
