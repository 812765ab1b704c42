"""A publish's batches run in worker processes, about one per core, each reading the clinical store itself.

De-identifying is Python work (the scrubber, the derived facts' rules, the per-value loops), so threads would share
one core. Each worker opens the store from its URL (its keys are found as the publishing process finds them) and
hands back Arrow tables; the batches come back in order, so the snapshot is the same as one process would write.
Workers are started fresh (spawn, not fork: the parent holds open database and DuckDB connections) and stop when
the publishing process dies, even by SIGKILL, so a killed publish leaves no reader of the store behind.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from oncobank.deid.batch import BatchJob, BatchRows

MOST = 8  # each worker holds a batch and its own scrubber models in memory


def default_workers() -> int:
    """One worker per core this process may run on, at most MOST."""
    return max(1, min(len(os.sched_getaffinity(0)), MOST))


def shareable(url: URL) -> bool:
    """Whether another process can open the store at `url` (an in-memory SQLite database it cannot)."""
    if url.get_backend_name() != "sqlite":
        return True
    return bool(url.database) and url.database != ":memory:" and "mode=memory" not in str(url)


def run_batches(engine: Engine, job: BatchJob, batches: Sequence[Sequence[int]], workers: int) -> Iterator[BatchRows]:
    """Each batch's rows, in the batches' order: in `workers` processes when there are two or more batches and the
    store can be opened again, else in this process."""
    if workers < 2 or len(batches) < 2 or not shareable(engine.url):
        for ids in batches:
            yield job.run(engine, ids)
        return
    pool = ProcessPoolExecutor(min(workers, len(batches)), mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(engine.url.render_as_string(hide_password=False), job,
                                                             os.getpid()))
    try:
        yield from pool.map(_run, batches)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_worker: dict[str, Any] = {}


def _start(url: str, job: BatchJob, parent: int) -> None:
    from oncobank.store.db import connect

    threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    _worker.update(engine=connect(url), job=job)


def _run(ids: Sequence[int]) -> BatchRows:
    return _worker["job"].run(_worker["engine"], ids)


def _watch(parent: int) -> None:
    """End this worker once the publishing process is gone (its children are handed to another parent)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)
