"""The import contract of DESIGN.md section 2, run with import-linter (``lint-imports``).

The contracts live in ``[tool.importlinter]`` of pyproject.toml: the package layers
(exhaustive: every module has a place), the layers inside ``models/``, and no import
cycle between siblings at any depth. The last two tests plant an upward import and
a cycle in a copy of the package and check that the contract then fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = ("import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())")


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    """Run ``lint-imports`` on the ``bayes_alliance`` found under ``source_root``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(source_root), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=source_root, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the package source in a fresh folder (to plant bad imports in)."""
    shutil.copytree(ROOT / "bayes_alliance", tmp_path / "bayes_alliance",
                    ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_import_contract_holds():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_contract_fails_on_an_upward_import(package_copy: Path):
    # the data contract reaching up to the model builder, even inside a function
    _append(package_copy / "bayes_alliance" / "data" / "panel.py",
            "def _upward():\n    from bayes_alliance.models.model import AllianceModel\n"
            "    return AllianceModel")
    run = lint_imports(package_copy)
    assert run.returncode == 1, run.stdout
    assert "bayes_alliance.data is not allowed to import bayes_alliance.models" in run.stdout


def test_contract_fails_on_a_cycle_inside_a_layer(package_copy: Path):
    # labels.py is imported by engine.py; engine importing back closes a cycle
    _append(package_copy / "bayes_alliance" / "scenarios" / "labels.py",
            "from bayes_alliance.scenarios.engine import run_scenario  # noqa")
    run = lint_imports(package_copy)
    assert run.returncode == 1, run.stdout
    assert "no import cycles" in run.stdout and "BROKEN" in run.stdout


def test_model_fit_is_bound_by_the_fit_layer():
    # models/model.py never imports the sampler (the contract above); the public
    # ba.AllianceModel comes through bayes_alliance.fit, which binds fit_model
    import bayes_alliance as ba
    from bayes_alliance.fit import fit_model
    from bayes_alliance.models.model import AllianceModel

    assert ba.AllianceModel is AllianceModel
    assert ba.AllianceModel.fit is fit_model
