"""Tables the engine tests publish: every stored type with its awkward values, and a small registry in three steps."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.types import TIMESTAMP

ALL_TYPES = pa.schema([
    ("pseudonym", pa.string()), ("count", pa.int64()), ("value", pa.float64()), ("flag", pa.bool_()),
    ("day", pa.date32()), ("at", TIMESTAMP), ("words", pa.list_(pa.string())), ("doses", pa.list_(pa.float64())),
    ("sizes", pa.list_(pa.int64())), ("full", pa.bool_()), ("rows", pa.string()),  # SQL keywords as column names
])


def all_types() -> pa.Table:
    """One row per awkward case: nulls everywhere, empty strings and lists, quotes, braces, commas, backslashes,
    newlines, Cyrillic, the int64 ends, NaN and infinities, microseconds, dates before 1970."""
    rows = [
        {"pseudonym": "p01", "count": 0, "value": 0.1, "flag": True, "day": date(2024, 2, 29),
         "at": datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC), "words": ["a", "b"], "doses": [1.5, 2.25],
         "sizes": [1, 2, 3], "full": False, "rows": "plain"},
        {"pseudonym": "p02", "count": None, "value": None, "flag": None, "day": None, "at": None, "words": None,
         "doses": None, "sizes": None, "full": None, "rows": None},
        {"pseudonym": "p03", "count": 9223372036854775807, "value": float("nan"), "flag": False,
         "day": date(1900, 1, 1), "at": datetime(1950, 6, 1, 0, 0, 0, 1, tzinfo=UTC), "words": [],
         "doses": [], "sizes": [], "full": True, "rows": ""},
        {"pseudonym": "p04", "count": -9223372036854775808, "value": float("inf"), "flag": True,
         "day": date(1969, 12, 31), "at": datetime(1970, 1, 1, tzinfo=UTC),
         "words": ['say "hi"', "a,b", "{x}", "back\\slash", "", None, "NULL"], "doses": [float("nan"), None, -0.5],
         "sizes": [None, -1], "full": False, "rows": 'quote " comma , brace { } backslash \\ tab \t end'},
        {"pseudonym": "p05", "count": 42, "value": float("-inf"), "flag": False, "day": date(2099, 12, 31),
         "at": datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC), "words": ["Иванова", "папиллярный рак"],
         "doses": [1e-300, 1.7976931348623157e308], "sizes": [9223372036854775807], "full": True,
         "rows": "строка\nвторая строка"},
        {"pseudonym": "p06", "count": 7, "value": 1 / 3, "flag": True, "day": date(2001, 1, 1),
         "at": datetime(2001, 1, 1, 12, tzinfo=UTC), "words": [None], "doses": [None], "sizes": [None],
         "full": None, "rows": "NULL"},
    ]
    return pa.Table.from_pylist(rows, schema=ALL_TYPES)


VISITS = pa.schema([("pseudonym", pa.string()), ("visit", pa.int64()), ("weight", pa.float64()),
                    ("drugs", pa.list_(pa.string()))])
LOG = pa.schema([("number", pa.int64()), ("note", pa.string())])
PATIENTS = pa.schema([("pseudonym", pa.string()), ("sex", pa.string())])


def visits(*rows: tuple) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(VISITS.names, r, strict=True)) for r in rows], schema=VISITS)


def log(number: int, note: str) -> pa.Table:
    return pa.Table.from_pylist([{"number": number, "note": note}], schema=LOG)


def patients(*rows: tuple) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(PATIENTS.names, r, strict=True)) for r in rows], schema=PATIENTS)


def first_publish() -> PublishDelta:
    """A full publish: three patients' visits, their sex, and the log's first row."""
    return PublishDelta((
        TableDelta("visits", visits(("pa", 1, 60.5, ["x"]), ("pa", 2, 61.0, []), ("pb", 1, 80.0, None),
                                    ("pc", 1, None, ["y", "z"]))),
        TableDelta("patients", patients(("pa", "f"), ("pb", "m"), ("pc", "f"))),
        TableDelta("publish_log", log(1, "first"), append=True),
    ), full=True)


def second_publish() -> PublishDelta:
    """pb's visits replaced, pd added, pc retracted (key listed, no rows); patients untouched; a log row appended."""
    return PublishDelta((
        TableDelta("visits", visits(("pb", 1, 79.0, ["w"]), ("pb", 2, 78.5, ["w", "v"]), ("pd", 1, 55.0, [])),
                   replace=("pb", "pc", "pd")),
        TableDelta("publish_log", log(2, "second"), append=True),
    ), full=False)


# What the tables hold after both publishes, worked out by hand from the two deltas above.
VISITS_AFTER = visits(("pa", 1, 60.5, ["x"]), ("pa", 2, 61.0, []), ("pb", 1, 79.0, ["w"]),
                      ("pb", 2, 78.5, ["w", "v"]), ("pd", 1, 55.0, []))
PATIENTS_AFTER = patients(("pa", "f"), ("pb", "m"), ("pc", "f"))
LOG_AFTER = pa.concat_tables([log(1, "first"), log(2, "second")])
