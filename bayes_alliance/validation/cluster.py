"""Dask plumbing shared by the validation runs: a client.

Every validation run fans out one task per fit. :func:`dask_client` connects to
an existing scheduler (``scheduler="tcp://host:8786"``) or starts a
``LocalCluster`` of single-threaded worker *processes* (PyTensor/numba code is
not thread-safe enough to share a process, and one thread per worker keeps the
machine's cores the unit of parallelism).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
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
