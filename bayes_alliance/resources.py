"""The only code that knows where the shipped ``data/`` and ``models/`` folders live.

In a wheel they are bundled inside the package as ``bayes_alliance/_bundled/``;
in a source checkout (editable install) they sit at the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

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


def data_path(*parts: str) -> Path:
    """Path of a shipped file under ``data/``."""
    return resource_root().joinpath("data", *parts)


def models_path(*parts: str) -> Path:
    """Path of a shipped file under ``models/`` (specs, priors, scenarios)."""
    return resource_root().joinpath("models", *parts)
