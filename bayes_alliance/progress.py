"""The one progress display of the package: a `rich` bar on stderr, as PyMC's sampler draws.

Long runs (SBC, recovery, measuring a large corpus) take a callback
``report(done, message)``; :func:`progress_bar` supplies one. On a terminal it
draws a live ``rich`` progress bar (the library PyMC uses for its own sampling
bars, so a fit and a validation run look alike); elsewhere (logs, CI) it prints
one plain line per report, so that a log shows how far a run got.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: ``report(done, message)``: ``done`` tasks of the total are finished
Report = Callable[[int, str], None]


@contextmanager
def progress_bar(total: int, label: str, *, terminal: bool | None = None,
                 stream: IO[str] | None = None) -> Iterator[Report]:
    """Show the progress of ``total`` tasks while the ``with`` block runs.

    Parameters
    ----------
    total
        Tasks in the run (finished ones included).
    label
        Name of the run, e.g. ``"sbc"``; starts every line.
    terminal
        Force the live bar (True) or the line mode (False); default: whether
        ``stream`` is a terminal.
    stream
        Where to write (default ``sys.stderr``).

    Yields
    ------
    report
        Call ``report(done, message)`` after each finished task.
    """
    console = Console(file=stream, stderr=stream is None, highlight=False,
                      force_terminal=terminal, soft_wrap=True)
    if not console.is_terminal:
        t0 = time.perf_counter()

        def line(done: int, message: str = "") -> None:
            elapsed = time.perf_counter() - t0
            console.print(f"{label}: {done}/{total} ({elapsed:.0f} s) {message}".rstrip())

        yield line
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[message]}"))
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=total, message="")

        def update(done: int, message: str = "") -> None:
            bar.update(task, completed=done, message=message[:40])

        yield update
