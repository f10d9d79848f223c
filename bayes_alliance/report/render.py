"""Rendering of a :class:`~bayes_alliance.report.content.ReportContent` to HTML and Markdown.

Both are Jinja2 templates shipped in ``bayes_alliance/report/templates/``
(``report.html`` with its ``report.css``, and ``summary.md``). The HTML page is
self-contained: inline CSS, figures as base64 PNG, no scripts and no external
links. Autoescaping is on for HTML, so every piece of text that comes from the
user or the data (ally codes, spec and scenario names and descriptions, prior
sets, table cells) is escaped.
"""

from __future__ import annotations

import base64
import math
from functools import cache
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from bayes_alliance.report.content import ReportContent


def fmt(value: Any) -> str:
    """A table cell as text: booleans as pass/FAIL, floats with sensible precision."""
    if isinstance(value, bool | np.bool_):
        return "pass" if value else "FAIL"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "-"
        if abs(v) >= 1000 or v == round(v) and abs(v) >= 10:
            return f"{v:.0f}"
        if abs(v) >= 100:
            return f"{v:.1f}"
        return f"{v:.3f}"
    return str(value)


def _cell_class(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "good" if value else "bad"
    if isinstance(value, str):
        return "text"
    return ""


def table_view(frame: pd.DataFrame) -> dict[str, list]:
    """Column names and rows of ``(text, css class)`` cells of ``frame`` (index included)."""
    named = frame.index.nlevels > 1 or frame.index.name is not None
    df = frame.reset_index() if named or not isinstance(frame.index, pd.RangeIndex) else frame
    rows = [[(fmt(v), _cell_class(v)) for v in rec] for rec in df.itertuples(index=False)]
    return {"columns": [str(c) for c in df.columns], "rows": rows}


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


@cache
def _environment() -> jinja2.Environment:
    """The template environment: package templates, HTML autoescaped, strict names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bayes_alliance.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",),
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["b64"] = lambda png: base64.b64encode(png).decode("ascii")
    env.filters["md"] = _md_escape
    return env


def render_html(content: ReportContent, pngs: dict[str, bytes], *, version: str) -> str:
    """The whole self-contained page (template ``templates/report.html``)."""
    tables = {name: table_view(frame) for name, frame in content.tables.items()}
    return _environment().get_template("report.html").render(
        content=content, tables=tables, pngs=pngs, version=version)


def render_markdown(content: ReportContent) -> str:
    """``summary.md``: the section verdicts and the headline numbers (as in ``--json``)."""
    return _environment().get_template("summary.md").render(content=content)


__all__ = ["fmt", "render_html", "render_markdown", "table_view"]
