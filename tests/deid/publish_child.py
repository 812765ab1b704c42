"""A publish in a subprocess that stops inside the analysis store's transaction: `python publish_child.py DB TARGET`.

It prints `writing` once the first table of the delta is written and then waits to be killed (SIGKILL).
"""

from __future__ import annotations

import sys
import time

from oncobank.deid.publish import publish
from oncobank.dictionary import load_module
from oncobank.engine.sinks import duckdb as sink
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect

_write = sink._write


def _stalled(con, change, *, exists):  # type: ignore[no-untyped-def]
    _write(con, change, exists=exists)
    print("writing", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    sink._write = _stalled  # type: ignore[assignment]
    publish(ClinicalStore(connect(sys.argv[1]), load_module("thyroid")), sys.argv[2])
