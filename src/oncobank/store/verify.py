"""Check the history seal: recompute every sealed row's hash and the chain, and name the first broken link."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from oncobank.store import chain
from oncobank.store.models import Entry, EntryVersion, HistoryLink

KEPT = 1000  # breaks kept in a verdict; every one is counted
KINDS = {
    "start": "the chain's first link does not match the key",
    "gap": "links are missing from the chain",
    "link": "a link does not follow from the one before it: changed, inserted or reordered",
    "changed": "a sealed row differs from what was sealed",
    "missing": "a sealed row is gone",
    "unsealed": "a row was never sealed: written outside OncoBank, or forged",
    "version": "an entry's current version is not its newest sealed version",
    "head": "the chain does not hold the head recorded earlier: links were cut off or rewritten",
}


@dataclass(frozen=True)
class Break:
    """One place where the history no longer matches its seal."""

    kind: str
    seq: int | None  # the link concerned (None for a row that has none)
    table: str | None
    row_id: int | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "table": self.table, "row_id": self.row_id,
                "detail": self.detail}


@dataclass
class Verdict:
    """What `verify` found: links and rows checked, the chain's head, and the breaks (the first KEPT of them)."""

    links: int = 0
    rows: int = 0
    head: tuple[int, str] | None = None
    breaks: list[Break] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def intact(self) -> bool:
        return not self.counts

    @property
    def first(self) -> Break | None:
        """The earliest broken link in chain order; rows without a link come after every link."""
        if not self.breaks:
            return None
        return min(self.breaks, key=lambda b: (b.seq is None, b.seq or 0))

    def add(self, found: Break) -> None:
        self.counts[found.kind] += 1
        if len(self.breaks) < KEPT:
            self.breaks.append(found)

    def to_dict(self) -> dict[str, Any]:
        first = self.first
        return {
            "intact": self.intact, "links": self.links, "rows": self.rows,
            "head": None if self.head is None else {"seq": self.head[0], "hash": self.head[1]},
            "first_broken": None if first is None else first.to_dict(), "counts": dict(self.counts),
            "breaks": [b.to_dict() for b in sorted(self.breaks, key=lambda b: (b.seq is None, b.seq or 0))],
        }


def verify(
    engine: Engine,
    *,
    head: str | None = None,
    on_total: Callable[[int], object] | None = None,
    on_step: Callable[[int], object] | None = None,
) -> Verdict:
    """Check the whole seal in one snapshot of the store; `head` ("SEQ:HASH", from an earlier run) must still be in it.

    `on_total` hears how many links and rows will be checked, `on_step` how many more were.
    """
    mark = _parse_head(head) if head is not None else None
    verdict = Verdict()
    step = on_step or (lambda _n: None)
    with _snapshot(engine) as conn:
        sizes = chain.counts(conn)
        if on_total:
            on_total(sum(sizes.values()))
        key = chain.history_key(conn.engine.url) if sizes["history_chain"] else None
        marked = _walk(conn, key, verdict, step, mark[0] if mark else None) if key is not None else None
        for name in chain.SEALED:
            _match(conn, key, name, verdict, step)
        _versions(conn, verdict)
    if mark is not None and (marked is None or not marked.startswith(mark[1])):
        gone = verdict.head is None or verdict.head[0] < mark[0]
        verdict.add(Break("head", mark[0], None, None, f"the chain ends before link {mark[0]}, which it held earlier"
                          if gone else f"link {mark[0]} is not the one recorded earlier"))
    return verdict


def _parse_head(head: str) -> tuple[int, str]:
    seq, _, digest = head.partition(":")
    if not seq.isdigit() or len(digest) < 12 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"--head {head!r}: expected SEQ:HASH as an earlier verify printed it")
    return int(seq), digest


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads the whole check from one snapshot, so commits made meanwhile do not look broken."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.begin()
        else:
            conn.exec_driver_sql("BEGIN")  # WAL: the snapshot holds from the first read to the end
        try:
            yield conn
        finally:
            conn.rollback()


def _ticking(items: Iterable[Any], step: Callable[[int], object], every: int = 5000) -> Iterator[Any]:
    n = 0
    for n, item in enumerate(items, 1):
        if n % every == 0:
            step(every)
        yield item
    step(n % every)


def _walk(
    conn: Connection, key: bytes, verdict: Verdict, step: Callable[[int], object], mark: int | None
) -> str | None:
    """Follow the chain link by link from its first: places without gaps, each hash from the one before.

    Returns the hash of link `mark`, when there is one.
    """
    previous: str | None = None
    marked: str | None = None
    expected = 0
    for link in _ticking(chain.links_of(conn), step):
        verdict.links += 1
        if link.seq == mark:
            marked = link.chain_hash
        if link.seq == 0:
            if link.table_name != chain.GENESIS or link.chain_hash != chain.genesis_hash(key, link.row_hash):
                verdict.add(Break("start", 0, None, None, "the chain's first link does not match the history key "
                                  "(a key that is not this store's, or a changed first link)"))
            previous, expected = link.chain_hash, 1
            continue
        if previous is None:
            verdict.add(Break("start", link.seq, None, None, "the chain's first link (0) is missing"))
        elif link.seq != expected:
            verdict.add(Break("gap", expected, None, None, f"links {expected}–{link.seq - 1} are missing"))
        if previous is not None and link.chain_hash != chain.link_hash(
                key, previous, link.seq, link.table_name, link.row_id, link.row_hash):
            verdict.add(Break("link", link.seq, link.table_name, link.row_id,
                              f"link {link.seq} ({link.table_name} row {link.row_id}) does not follow from the link "
                              "before it: it was changed, inserted or moved"))
        previous, expected = link.chain_hash, link.seq + 1
    verdict.head = None if previous is None else (expected - 1, previous)
    return marked


def _match(conn: Connection, key: bytes | None, name: str, verdict: Verdict, step: Callable[[int], object]) -> None:
    """Walk a table's rows and its links side by side, both by row ID."""
    links = chain.links_of(conn, name) if key is not None else iter(())
    link = next(links, None)
    columns = ", ".join(chain.SEALED[name])
    for row in _ticking(chain.rows_of(conn, name), step):
        verdict.rows += 1
        while link is not None and link.row_id < row[0]:
            verdict.add(_gone(name, link))
            link = next(links, None)
        if link is None or link.row_id != row[0]:
            verdict.add(Break("unsealed", None, name, row[0], f"{name} row {row[0]} was never sealed"))
            continue
        if key is not None and chain.row_hash(key, name, row) != link.row_hash:
            verdict.add(Break("changed", link.seq, name, row[0],
                              f"{name} row {row[0]} differs from what link {link.seq} sealed ({columns})"))
        link = next(links, None)
    while link is not None:
        verdict.add(_gone(name, link))
        link = next(links, None)


def _gone(name: str, link: Any) -> Break:
    return Break("missing", link.seq, name, link.row_id, f"{name} row {link.row_id} was sealed at link {link.seq} "
                 "and is gone")


def _versions(conn: Connection, verdict: Verdict) -> None:
    """Each entry's current version is its newest version, and its versions are 1, 2, … without holes."""
    link = HistoryLink.__table__
    newest = (select(EntryVersion.entry_id, func.max(EntryVersion.version).label("top"),
                     func.count().label("n")).group_by(EntryVersion.entry_id).subquery())
    query = (
        select(Entry.id, Entry.current_version, newest.c.top, newest.c.n, link.c.seq)
        .join(newest, newest.c.entry_id == Entry.id, isouter=True)
        .join(link, (link.c.table_name == "entry") & (link.c.row_id == Entry.id), isouter=True)
        .where((newest.c.top.is_(None)) | (newest.c.top != Entry.current_version) | (newest.c.n != newest.c.top))
        .order_by(Entry.id)
    )
    for entry_id, current, top, n, seq in conn.execute(query):
        if top is None:
            detail = f"entry {entry_id} has no versions"
        elif top != current:
            detail = f"entry {entry_id} points at version {current}, but its newest version is {top}"
        else:
            detail = f"entry {entry_id} has {n} versions numbered up to {top}"
        verdict.add(Break("version", seq, "entry", entry_id, detail))
