"""The one progress display (bayes_alliance.progress): line mode and the rich bar."""

from __future__ import annotations

import io

from bayes_alliance.progress import progress_bar


def test_line_mode_prints_one_line_per_report():
    out = io.StringIO()
    with progress_bar(3, "sbc", terminal=False, stream=out) as report:
        report(1, "sim 0 done")
        report(3, "")
    lines = out.getvalue().splitlines()
    assert lines == ["sbc: 1/3 (0 s) sim 0 done", "sbc: 3/3 (0 s)"]


def test_terminal_mode_draws_a_rich_bar_that_ends_full():
    out = io.StringIO()
    with progress_bar(4, "recovery", terminal=True, stream=out) as report:
        for k in range(1, 5):
            report(k, f"rep {k}")
    text = out.getvalue()
    assert "recovery" in text and "4/4" in text and "rep 4" in text
    assert "\x1b[" in text  # drawn with terminal control codes, not as log lines
