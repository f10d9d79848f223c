"""The report's Jinja2 templates on hand-made content (no sampling)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from bayes_alliance.report.content import ReportContent, Section, scenario_view
from bayes_alliance.report.render import render_html, render_markdown

HOSTILE = "<script>alert('x')</script> & \"q\""


def _content(summary: pd.DataFrame | None = None) -> ReportContent:
    s = Section(f"data {HOSTILE}", f"Data {HOSTILE}", f"lead {HOSTILE}", False)
    s.text(f"text {HOSTILE}")
    s.table("cells", f"caption {HOSTILE}")
    s.figure("fig", f"figure caption {HOSTILE}")
    tables = {"cells": pd.DataFrame({"ally": [HOSTILE, "JPN"], "ok": [True, False],
                                     "value": [1.23456, np.nan]})}
    numbers = {"ok": False,
               "runs": {"a|b": {"convergence": {"divergences": 2, "max_rhat": 1.02,
                                                "min_ess_bulk": 80, "min_ess_tail": 90,
                                                "min_bfmi": 0.7, "ok": False},
                                "loo": {"milex": {"elpd": -10.5, "se": 2.0, "p_loo": 3.1,
                                                  "k_above_good": 0, "max_k": 0.4,
                                                  "ok": True}}}},
               "hypotheses": [{"id": "H1", "coefficient": "beta[milex, threat]", "sign": "+",
                               "probabilities": {"a|b": 0.97, "other": None}}]}
    return ReportContent(f"Report {HOSTILE}", [s], tables, {}, numbers)


def test_html_escapes_every_user_string_and_embeds_figures():
    page = render_html(_content(), {"fig": b"\x89PNG fake"}, version="1.2.3")
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") >= 7  # title x2, nav, heading, lead, text, cell, ...
    assert 'alt="fig"' in page and "data:image/png;base64,iVBORyBmYWtl" in page
    assert '<td class="bad">FAIL</td>' in page and '<td class="good">pass</td>' in page
    assert "<td>1.235</td>" in page and "<td>-</td>" in page
    assert '<span class="badge fail">Needs attention</span>' in page
    assert "bayes_alliance 1.2.3" in page and "border-collapse" in page  # CSS inlined
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_markdown_keeps_cells_on_one_line():
    md = render_markdown(_content())
    assert "| a\\|b | 2 | 1.02 | 80 | 90 | 0.7 | False |" in md
    assert "| a\\|b | milex | -10.5 | 2.0 | 3.1 | 0 | 0.4 | True |" in md
    assert "| id | coefficient | sign | a\\|b | other |\n|---|---|---|---|---|\n" in md
    assert "| H1 | beta[milex, threat] | + | 0.97 | - |\n" in md
    assert md.startswith("# Report <script>") and "Overall: NEEDS ATTENTION" in md


def test_scenario_view_puts_the_effect_in_one_narrow_table():
    stats = {f"{stem}_{s}": [v + d] for stem, v in (("factual", 1.0), ("counterfactual", 1.5),
                                                    ("effect", 0.5))
             for s, d in (("mean", 0.0), ("lo", -0.25), ("hi", 0.25))}
    summary = pd.DataFrame({"outcome": ["milex"], "label": ["military spending"],
                            "unit": ["% of GDP"], "ally": ["ROK"], "year": [1978],
                            "n_ally_years": [1], **stats, "p_increase": [0.99]})
    view = scenario_view(summary)
    assert list(view.columns) == ["outcome", "ally", "year", "effect", "P(increase)", "factual",
                                  "counterfactual"]
    assert view.iloc[0].tolist() == ["military spending (% of GDP)", "ROK", "1978",
                                     "0.500 [0.250, 0.750]", 0.99, "1.00 [0.750, 1.25]",
                                     "1.50 [1.25, 1.75]"]
    assert scenario_view(pd.DataFrame({"ally": ["JPN"], "delta": [0.1]})) is None
