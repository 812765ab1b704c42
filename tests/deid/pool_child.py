"""A publish's worker pool whose parent stops after the first batch: `python pool_child.py DB`.

It prints the worker processes' IDs once the first batch is back and then waits to be killed (SIGKILL).
"""

from __future__ import annotations

import multiprocessing
import sys
import time

from oncobank.deid.batch import BatchJob
from oncobank.deid.policy import Policy
from oncobank.deid.pool import run_batches
from oncobank.deid.publish import Publisher
from oncobank.store.db import connect

if __name__ == "__main__":
    engine = connect(sys.argv[1])
    publisher = Publisher(engine, Policy(), b"k" * 32, modules=["thyroid"])
    plan = publisher.plan(None)
    job = BatchJob(publisher.keys, publisher.policy, plan.mark, tuple(plan.specs), 0)
    batches = run_batches(engine, job, [[pid] for pid in plan.patients], workers=2)
    next(batches)
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    time.sleep(600)
