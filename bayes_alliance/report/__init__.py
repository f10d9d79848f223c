"""The HTML report of one or more fits.

:func:`write_report` writes ``index.html`` (self-contained: figures embedded
as base64 PNG, inline CSS, no external requests), ``summary.md``,
``figures/*.png`` and ``tables/*.csv`` into a temporary folder beside
``out_dir`` and renames it into place at the end, so a report appears whole or
not at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bayes_alliance.diagnostics import as_named_runs, require_groups
from bayes_alliance.errors import ReportError
from bayes_alliance.report.content import build_content, slug
from bayes_alliance.report.render import render_html, render_markdown
from bayes_alliance.resources import package_version

#: dots per inch of the PNG figures
DPI = 100


def _check_out_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not force:
        raise ReportError(f"{out_dir} exists; pass force=True (CLI: --force) to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"{out_dir} exists and is not a folder; remove it or choose "
                          "another --out")


def build_report(result_or_results: Any, out_dir: str | os.PathLike[str], *,
                 force: bool = False, scenarios: Sequence[Any] | None = None,
                 hypotheses: Sequence[Any] | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the report and return its folder and headline numbers.

    Same arguments as :func:`write_report`, plus ``hypotheses`` (defaults to
    :data:`bayes_alliance.theory.HYPOTHESES`). The numbers are those of
    ``summary.md`` (convergence and LOO per run, hypothesis probabilities).
    """
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, force)
    runs = as_named_runs(result_or_results)
    for name, r in runs.items():
        require_groups(r, where=f"run '{name}'")
    content = build_content(runs, scenarios=scenarios, hypotheses=hypotheses)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".part", dir=out_dir.parent))
    try:
        (tmp / "figures").mkdir()
        (tmp / "tables").mkdir()
        pngs: dict[str, bytes] = {}
        for name, fig in content.figures.items():
            path = tmp / "figures" / f"{slug(name)}.png"
            fig.savefig(path, dpi=DPI, format="png", bbox_inches="tight")
            pngs[name] = path.read_bytes()
        for name, table in content.tables.items():
            table.to_csv(tmp / "tables" / f"{slug(name)}.csv")
        (tmp / "index.html").write_text(render_html(content, pngs, version=package_version()),
                                        encoding="utf-8")
        (tmp / "summary.md").write_text(render_markdown(content), encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())
        _move_into_place(tmp, out_dir, force)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir, content.numbers


def write_report(result_or_results: Any, out_dir: str | os.PathLike[str], *,
                 force: bool = False, scenarios: Sequence[Any] | None = None) -> Path:
    """Write the HTML report of one fit or several.

    Parameters
    ----------
    result_or_results
        A :class:`~bayes_alliance.results.FitResult`, a list of them or a
        mapping ``{name: FitResult}`` (e.g. one per prior set). The first is
        the primary run whose data, predictive checks and ally effects are shown.
    out_dir
        Report folder; gets ``index.html``, ``summary.md``, ``figures/`` and
        ``tables/``.
    force
        Replace an existing ``out_dir``.
    scenarios
        Optional scenario results: objects with ``name``, ``description``,
        ``summary`` (a DataFrame) and ``figures`` (name -> matplotlib Figure).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    ReportError
        When ``out_dir`` exists without ``force``, or a run lacks the
        posterior-predictive or log-likelihood groups.
    """
    path, _ = build_report(result_or_results, out_dir, force=force, scenarios=scenarios)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _move_into_place(tmp: Path, out_dir: Path, force: bool) -> None:
    """Rename ``tmp`` to ``out_dir``, replacing an existing folder only with ``force``."""
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    if not force:  # appeared while we were writing
        raise ReportError(f"{out_dir} exists; pass force=True (CLI: --force) to replace it")
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except OSError:
        os.rename(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["build_report", "write_report"]
