"""Import a verified bundle into the multi-centre analysis store: one centre's tables replaced at once, others kept.

Every row gets the bundle's centre code in a `centre` column (the code the signature vouches for; a `centre` column
the node wrote is overwritten), and its pseudonym the prefix "CENTRE:" so that two centres' pseudonyms never meet.
A table with pseudonyms whose columns match the stored table is updated by patient (the centre's earlier patients
and its new ones deleted, its new rows inserted); any other table is rewritten with the other centres' rows kept.
A table the centre sent before and no longer sends loses that centre's rows. The log `central_imports` gets a row
per import, in the same delta, so the whole import is applied at once or not at all.

The centre's last import decides: the same snapshot again (same id and content hash) changes nothing; a bundle made
before it, or the same snapshot id with other content, is refused. Imports are meant to run one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from rich.table import Table

from oncobank.deid.bundle import BundleError, BundleHeader, open_payload, read_file, verify
from oncobank.deid.wording import pick
from oncobank.engine import AnalysisStore, connect
from oncobank.engine.delta import KEY, PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink
from oncobank.engine.types import TIMESTAMP, conform

IMPORTS = "central_imports"
CENTRE = "centre"

_LABELS: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "title": ("Import of centre {centre}, snapshot {snapshot}", "Импорт центра {centre}, снимок {snapshot}"),
    "table": ("Table", "Таблица"),
    "rows": ("Rows of the centre", "Строк центра"),
    "imported": ("Imported: the centre's earlier rows were replaced.",
                 "Импортировано: прежние строки центра заменены."),
    "unchanged": ("This snapshot was imported already: nothing changed.",
                  "Этот снимок уже импортирован: ничего не изменилось."),
    "removed": ("no longer sent: the centre's rows removed", "больше не передаётся: строки центра удалены"),
}


def label(key: str, lang: str = "en", **values: Any) -> str:
    """The interface text `key` in `lang` ("en" or "ru"), with `values` filled in."""
    return pick(_LABELS, key, lang, **values)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: `imported` (the centre's rows replaced) or `unchanged` (that snapshot was in already)."""

    header: BundleHeader
    status: str
    tables: dict[str, int]  # rows of the centre now in each table it sent
    removed: tuple[str, ...] = ()  # tables it sent before and no longer does

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **self.header.describe(), "rows": dict(self.tables),
                "removed_tables": list(self.removed)}

    def table(self, lang: str = "en") -> Table:
        t = Table(title=label("title", lang, centre=self.header.centre, snapshot=self.header.snapshot_id),
                  caption=label(self.status, lang))
        t.add_column(label("table", lang))
        t.add_column(label("rows", lang), justify="right")
        for name, rows in self.tables.items():
            t.add_row(name, f"{rows:,}")
        for name in self.removed:
            t.add_row(name, label("removed", lang))
        return t


def import_bundle(path: Path, *, recipient: X25519PrivateKey, trusted: dict[str, Ed25519PublicKey],
                  url: str | None = None) -> ImportResult:
    """Verify the bundle at `path` and write its centre's tables into the analysis store at `url`."""
    where = str(path)
    data = read_file(path)
    header = verify(data, trusted=trusted, recipient=recipient, where=where)
    sink = open_sink(url)
    fresh = sink.snapshot is None
    previous = None if fresh else _last_import(url, header.centre)
    if previous is not None:
        if previous["snapshot_id"] == header.snapshot_id:
            if previous["content_hash"] == header.content_hash:
                return ImportResult(header, "unchanged", dict(header.tables))
            raise BundleError(f"{where}: snapshot {header.snapshot_id} of centre {header.centre} was imported "
                              "already with other content")
        if header.created_at <= previous["created_at"]:
            raise BundleError(f"{where}: snapshot {header.snapshot_id} of centre {header.centre} was made "
                              f"{header.created_at:%Y-%m-%d %H:%M:%S} UTC, not after the imported snapshot "
                              f"{previous['snapshot_id']} ({previous['created_at']:%Y-%m-%d %H:%M:%S} UTC): "
                              "an older bundle is refused")
    tables = open_payload(data, header, recipient, where)
    if IMPORTS in tables:
        raise BundleError(f"{where}: a table may not be named {IMPORTS} (the central platform's own log)")
    rows = {name: _centred(t, header.centre) for name, t in tables.items()}
    before = set(previous["tables"]) if previous is not None else set()
    changes = [] if fresh else _changes(url, header.centre, rows, before)
    if fresh:
        changes = [TableDelta(name, r) for name, r in sorted(rows.items())]
    changes.append(TableDelta(IMPORTS, _log_row(header), append=True))
    sink.apply(PublishDelta(tables=tuple(changes), full=False))
    return ImportResult(header, "imported", dict(header.tables), tuple(sorted(before - set(rows))))


def _centred(table: pa.Table, centre: str) -> pa.Table:
    """The table with the centre's code in column `centre` and its pseudonyms prefixed with it."""
    code = pa.array([centre] * table.num_rows, pa.string())
    if CENTRE in table.column_names:
        table = table.set_column(table.column_names.index(CENTRE), CENTRE, code)
    else:
        table = table.add_column(0, CENTRE, code)
    if KEY in table.column_names:
        prefixed = pc.binary_join_element_wise(pa.scalar(f"{centre}:"), table[KEY].cast(pa.string()), "")
        table = table.set_column(table.column_names.index(KEY), KEY, prefixed)
    return table


def _last_import(url: str | None, centre: str) -> dict[str, Any] | None:
    with connect(url) as store:
        if IMPORTS not in store.tables():
            return None
        log = store.table(IMPORTS)
        found = store.to_arrow(log.filter(log[CENTRE] == centre).order_by(log.created_at.desc()).limit(1))
    rows = found.to_pylist()
    return rows[0] if rows else None


def _changes(url: str | None, centre: str, rows: dict[str, pa.Table], before: set[str]) -> list[TableDelta]:
    changes: list[TableDelta] = []
    with connect(url) as store:
        present = set(store.tables())
        for name in sorted(set(rows) | before):
            new = rows.get(name)
            if name not in present:
                if new is not None:
                    changes.append(TableDelta(name, new))
                continue
            changes.append(_table_change(store, name, centre, new))
    return changes


def _table_change(store: AnalysisStore, name: str, centre: str, new: pa.Table | None) -> TableDelta:
    t = store.table(name)
    stored = store.to_arrow(t.limit(0)).schema
    by_patient = KEY in stored.names and CENTRE in stored.names
    if by_patient and (new is None or conform(new, name).schema.equals(stored)):
        mine = t.filter(t[CENTRE] == centre).select(KEY).distinct()
        keys = set(store.to_arrow(mine).column(KEY).to_pylist())
        if new is not None:
            keys |= set(new.column(KEY).to_pylist())
        return TableDelta(name, new if new is not None else stored.empty_table(),
                          replace=tuple(sorted(k for k in keys if k is not None)))
    others = t.filter(t[CENTRE].isnull() | (t[CENTRE] != centre)) if CENTRE in stored.names else t
    kept = store.to_arrow(others)
    if new is None:
        return TableDelta(name, kept)
    try:
        return TableDelta(name, pa.concat_tables([kept, conform(new, name)], promote_options="permissive"))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BundleError(f"table {name}: centre {centre}'s columns do not fit the stored table's ({exc})") from None


def _log_row(header: BundleHeader) -> pa.Table:
    return pa.table({
        CENTRE: pa.array([header.centre]), "snapshot_id": pa.array([header.snapshot_id]),
        "created_at": pa.array([header.created_at], TIMESTAMP), "content_hash": pa.array([header.content_hash]),
        "signer": pa.array([header.signer]), "imported_at": pa.array([datetime.now(UTC)], TIMESTAMP),
        "tables": pa.array([sorted(header.tables)], pa.list_(pa.string())),
        "rows": pa.array([sum(header.tables.values())], pa.int64()),
    })
