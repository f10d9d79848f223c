"""Dask plumbing shared by the validation runs: a client, and a progress reporter.

Every validation run fans out one task per fit. :func:`dask_client` connects to
an existing scheduler (``scheduler="tcp://host:8786"``) or starts a
``LocalCluster`` of single-threaded worker *processes* (PyTensor/numba code is
not thread-safe enough to share a process, and one thread per worker keeps the
machine's cores the unit of parallelism).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bayes_alliance.errors import ValidationRunError


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A ``dask.distributed.Client``: to ``scheduler`` or to a new local cluster.

    Parameters
    ----------
    scheduler
        Address of a running scheduler; ``None`` starts a ``LocalCluster``
        with ``workers`` processes of one thread each (closed on exit).
    workers
        Worker processes of the local cluster (ignored with ``scheduler``).

    Raises
    ------
    ValidationRunError
        When the scheduler cannot be reached or ``workers < 1``.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as err:
            raise ValidationRunError(f"cannot connect to the Dask scheduler at {scheduler}: "
                                     f"{err}. Start one (`dask scheduler`) or drop "
                                     "--scheduler to use a local cluster") from err
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise ValidationRunError(f"need at least one worker, got {workers}")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def progress_reporter(total: int, label: str, *, terminal: bool | None = None,
                      stream: Any = None) -> Callable[[int, str], None]:
    """A callback ``report(done, message)`` that shows progress on stderr.

    On a terminal it redraws one progress-bar line; otherwise (logs, CI) it
    prints one line per finished task.

    Parameters
    ----------
    total
        Tasks in the run (finished ones included).
    label
        Prefix of every line, e.g. ``"sbc"``.
    terminal
        Force the bar (True) or the line mode (False); default: whether
        ``stream`` is a terminal.
    stream
        Where to write (default ``sys.stderr``).
    """
    out = stream if stream is not None else sys.stderr
    is_tty = out.isatty() if terminal is None else terminal
    t0 = time.perf_counter()
    width = 30

    def report(done: int, message: str) -> None:
        elapsed = time.perf_counter() - t0
        if is_tty:
            filled = int(width * done / max(total, 1))
            bar = "#" * filled + "-" * (width - filled)
            out.write(f"\r{label} [{bar}] {done}/{total} {elapsed:6.0f} s  {message[:40]:<40}")
            if done >= total:
                out.write("\n")
        else:
            out.write(f"{label}: {done}/{total} ({elapsed:.0f} s) {message}\n")
        out.flush()

    return report
