"""Shared CLI plumbing: error handling without tracebacks, JSON output."""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable
from typing import Any

import typer

from bayes_alliance.errors import BayesAllianceError, ConvergenceWarning
from bayes_alliance.resources import shipped_names

#: The shipped spec names, for the verbs' --help (read from models/ so new specs appear).
SPEC_NAMES = ", ".join(shipped_names())

#: errors shown to the user as one paragraph and exit code 1
USER_ERRORS: tuple[type[BaseException], ...] = (
    BayesAllianceError, ValueError, FileExistsError, FileNotFoundError, PermissionError,
)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print expected errors as ``error: ...`` on stderr and exit 1, with no traceback.

    The API's :class:`ConvergenceWarning` is silenced: commands that fit report
    sampler trouble once, in their own words (``warning: sampler trouble: ...``).
    With ``--json`` the error is also printed on stdout as
    ``{"ok": false, "error": {"type": ..., "message": ...}}``, so scripts that
    parse stdout get an answer.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                return fn(*args, **kwargs)
        except USER_ERRORS as err:
            if kwargs.get("as_json"):
                echo_json({"ok": False,
                           "error": {"type": type(err).__name__, "message": str(err)}})
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(code=1) from None

    return wrapper


def echo_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (NaN and numpy scalars made JSON-safe)."""
    typer.echo(json.dumps(payload, indent=2, default=_jsonable, allow_nan=False))


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def load_run(path: Any) -> Any:
    """Load a saved run; its version notes become ``note: ...`` lines on stderr."""
    import warnings

    from bayes_alliance.results import FitResult

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the notes are in info["load_notes"]
        result = FitResult.load(path)
    for note in result.info.get("load_notes", []):
        typer.echo(f"note: {path}: {note}", err=True)
    return result


def is_terminal() -> bool:
    """Whether stderr is a terminal (progress bars only then)."""
    return sys.stderr.isatty()
