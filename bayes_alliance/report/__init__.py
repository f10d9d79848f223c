"""The HTML report of one or more fits.

:func:`write_report` writes ``index.html`` (self-contained: figures embedded
as base64 PNG, inline CSS, no external requests), ``summary.md``,
``figures/*.png`` and ``tables/*.csv`` into a temporary folder beside
``out_dir`` and renames it into place at the end, so a report appears whole or
not at all. The folder carries the marker ``.bayes_alliance-report``; ``force``
replaces only such folders (see :mod:`bayes_alliance.io`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bayes_alliance.diagnostics import as_named_runs, require_groups
from bayes_alliance.errors import ReportError
from bayes_alliance.io import check_output_dir, replace_dir
from bayes_alliance.report.content import build_content, slug
from bayes_alliance.report.render import render_html, render_markdown
from bayes_alliance.resources import package_version

#: dots per inch of the PNG figures
DPI = 100
#: marker kind of report folders (``.bayes_alliance-report``): ``force`` replaces only those
KIND = "report"


def _check_out_dir(out_dir: Path, force: bool, inputs: Sequence[str | os.PathLike[str]]) -> None:
    try:
        check_output_dir(out_dir, kind=KIND, force=force, inputs=inputs)
    except FileExistsError as err:
        raise ReportError(str(err)) from None


def build_report(result_or_results: Any, out_dir: str | os.PathLike[str], *,
                 force: bool = False, scenarios: Sequence[Any] | None = None,
                 hypotheses: Sequence[Any] | None = None,
                 inputs: Sequence[str | os.PathLike[str]] = (),
                 comparisons: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> tuple[Path, dict[str, Any]]:
    """Write the report and return its folder and headline numbers.

    Same arguments as :func:`write_report`, plus ``hypotheses`` (defaults to
    :data:`bayes_alliance.theory.HYPOTHESES`) and ``inputs`` (the run files
    read, which ``out_dir`` must not contain) and ``comparisons`` (scenario name
    -> ``{run name: scenario result}`` for scenarios with a ``[history]``: the
    reduced-form and structural answers beside what happened). The numbers are
    those of ``summary.md`` (convergence and LOO per run, hypothesis probabilities).
    """
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, force, inputs)
    runs = as_named_runs(result_or_results)
    for name, r in runs.items():
        require_groups(r, where=f"run '{name}'")
    content = build_content(runs, scenarios=scenarios, hypotheses=hypotheses,
                            comparisons=comparisons)

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
        try:
            replace_dir(tmp, out_dir, kind=KIND, force=force)
        except FileExistsError as err:  # appeared while we were writing
            raise ReportError(str(err)) from None
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
        Replace an existing ``out_dir`` written by an earlier report (it holds
        the marker ``.bayes_alliance-report``). Other non-empty folders, the
        current folder and folders holding the run files are never replaced.
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
        When ``out_dir`` exists without ``force`` or is not a report folder,
        or a run lacks the posterior-predictive or log-likelihood groups.
    """
    path, _ = build_report(result_or_results, out_dir, force=force, scenarios=scenarios)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


__all__ = ["build_report", "write_report"]
