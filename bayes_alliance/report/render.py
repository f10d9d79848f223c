"""Rendering of a :class:`~bayes_alliance.report.content.ReportContent` to HTML and Markdown.

The HTML page is self-contained: inline CSS, figures as base64 PNG, no
scripts and no external links. Every piece of text that comes from the user
or the data (ally codes, spec and scenario names and descriptions, prior
sets, table cells) goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import numpy as np
import pandas as pd

from bayes_alliance.report.content import ReportContent, Section

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 auto;
       max-width: 1180px; padding: 0 24px 48px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-top: 1.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 2em; }
p.lead { font-size: 1.05em; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.85em;
         font-weight: 600; margin-right: 6px; }
.pass { background: #d4edda; color: #155724; } .fail { background: #f8d7da; color: #721c24; }
.info { background: #e2e3e5; color: #383d41; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
.table-wrap { max-height: 420px; overflow: auto; margin: 8px 0 18px; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.text, th.text { text-align: left; }
td.bad { background: #f8d7da; } td.good { background: #eef8f0; }
figure { margin: 12px 0 24px; } figure img { max-width: 100%; height: auto; }
figcaption, caption { color: #555; font-size: 0.9em; text-align: left; }
"""


def esc(text: Any) -> str:
    """HTML-escape ``text`` (quotes included)."""
    return html.escape(str(text), quote=True)


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


def table_html(frame: pd.DataFrame, caption: str = "") -> str:
    """An HTML table of ``frame`` (index included) with every cell escaped."""
    named = frame.index.nlevels > 1 or frame.index.name is not None
    df = frame.reset_index() if named or not isinstance(frame.index, pd.RangeIndex) else frame
    head = "".join(f'<th class="text">{esc(c)}</th>' for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            cls = _cell_class(v)
            cells.append(f'<td class="{cls}">{esc(fmt(v))}</td>' if cls else
                         f"<td>{esc(fmt(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def figure_html(png: bytes, alt: str, caption: str = "") -> str:
    """An ``<img>`` with the PNG embedded as base64."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"{cap}</figure>")


def _badge(passed: bool | None) -> str:
    cls, word = {True: ("pass", "Passed"), False: ("fail", "Needs attention"),
                 None: ("info", "Information")}[passed]
    return f'<span class="badge {cls}">{word}</span>'


def section_html(section: Section, content: ReportContent, pngs: dict[str, bytes]) -> str:
    """One ``<section>``: title, lead sentence with verdict badge, then the blocks."""
    parts = [f'<section id="{esc(section.key)}"><h2>{esc(section.title)}</h2>',
             f'<p class="lead">{_badge(section.passed)}{esc(section.lead)}</p>']
    for block in section.blocks:
        if block.kind == "text":
            parts.append(f"<p>{esc(block.text)}</p>")
        elif block.kind == "table" and block.name in content.tables:
            parts.append(table_html(content.tables[block.name], block.text))
        elif block.kind == "figure" and block.name in pngs:
            parts.append(figure_html(pngs[block.name], block.name, block.text))
    parts.append("</section>")
    return "\n".join(parts)


def render_html(content: ReportContent, pngs: dict[str, bytes], *, version: str) -> str:
    """The whole self-contained page."""
    nav = "".join(f'<li><a href="#{esc(s.key)}">{esc(s.title)}</a></li>'
                  for s in content.sections)
    body = "\n".join(section_html(s, content, pngs) for s in content.sections)
    overall = content.numbers.get("ok")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(content.title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(content.title)}</h1>"
        f"<p>{_badge(overall)}Sampler and LOO checks over all runs. "
        f"Made by bayes_alliance {esc(version)}; figures and tables are also in the "
        "figures/ and tables/ folders beside this page.</p>"
        f"<nav><ul>{nav}</ul></nav>\n{body}\n</body></html>\n"
    )


def _md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(content: ReportContent) -> str:
    """``summary.md``: the section verdicts and the headline numbers (as in ``--json``)."""
    n = content.numbers
    lines = [f"# {_md_escape(content.title)}", "",
             f"Overall: {'PASSED' if n.get('ok') else 'NEEDS ATTENTION'}", "", "## Sections", ""]
    for s in content.sections:
        verdict = {True: "passed", False: "needs attention", None: "information"}[s.passed]
        lines.append(f"- **{_md_escape(s.title)}** ({verdict}): {_md_escape(s.lead)}")
    lines += ["", "## Convergence", "",
              "| run | divergences | max_rhat | min_ess_bulk | min_ess_tail | min_bfmi | ok |",
              "|---|---|---|---|---|---|---|"]
    for run, r in n["runs"].items():
        c = r["convergence"]
        lines.append(f"| {_md_escape(run)} | {c['divergences']} | {c['max_rhat']} | "
                     f"{c['min_ess_bulk']} | {c['min_ess_tail']} | {c['min_bfmi']} | {c['ok']} |")
    lines += ["", "## LOO per outcome", "",
              "| run | outcome | elpd | se | p_loo | k_above_good | max_k | ok |",
              "|---|---|---|---|---|---|---|---|"]
    for run, r in n["runs"].items():
        for outcome, v in r["loo"].items():
            lines.append(f"| {_md_escape(run)} | {_md_escape(outcome)} | {v['elpd']} | "
                         f"{v['se']} | {v['p_loo']} | {v['k_above_good']} | {v['max_k']} | "
                         f"{v['ok']} |")
    lines += ["", "## Hypotheses: P(predicted sign)", ""]
    if n["hypotheses"]:
        runs = list(n["hypotheses"][0]["probabilities"])
        lines += ["| id | coefficient | sign | " + " | ".join(_md_escape(r) for r in runs) + " |",
                  "|---|---|---|" + "---|" * len(runs)]
        for h in n["hypotheses"]:
            probs = " | ".join("-" if p is None else str(p) for p in h["probabilities"].values())
            lines.append(f"| {_md_escape(h['id'])} | {_md_escape(h['coefficient'])} | "
                         f"{h['sign']} | {probs} |")
    else:
        lines.append("No hypothesis maps to a coefficient of these runs.")
    return "\n".join(lines) + "\n"


__all__ = ["esc", "fmt", "render_html", "render_markdown", "table_html"]
