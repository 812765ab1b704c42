"""Run as a script: apply one large full publish to the analysis store at argv[1], saying 'applying' first.

The atomicity tests kill this process with SIGKILL while it writes, then check the previous snapshot is intact.
"""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.compute as pc

from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink


def big_table(rows: int) -> pa.Table:
    """`rows` rows of several types, made by Arrow (the content does not matter, only the time it takes to write)."""
    numbers = pa.array(range(rows), pa.int64())
    text = pc.binary_join_element_wise("P-", pc.cast(numbers, pa.string()), "")
    return pa.table({"pseudonym": text, "n": numbers, "x": pc.divide(pc.cast(numbers, pa.float64()), 7.0),
                     "note": pc.binary_join_element_wise("note ", text, " of the big table", "")})


def main() -> None:
    url, rows = sys.argv[1], int(sys.argv[2])
    delta = PublishDelta((TableDelta("visits", big_table(rows)), TableDelta("extra", big_table(rows))), full=True)
    sink = open_sink(url)
    print("applying", flush=True)
    sink.apply(delta)
    print("done", flush=True)


if __name__ == "__main__":
    main()
