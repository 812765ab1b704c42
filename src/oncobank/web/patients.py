"""The patient list: registry-ID or (own centre only) name and birth-date search, completeness and derived-status
filters, keyset paging by registry ID so that page 1,000 costs what page 1 costs."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlalchemy import and_, exists, false, func, select

from oncobank.store import crypt, name_index, progress
from oncobank.store.access import Actor
from oncobank.store.clinical import ClinicalStore
from oncobank.store.models import Centre, Entry, EntryVersion, Patient
from oncobank.store.progress import COMPLETE, STATUSES, active_of, unreviewed
from oncobank.store.progress.models import PatientProgress
from oncobank.web.forms import typed_date

PAGE = 50
COUNT_CAP = 10_000
NAME_FIELDS = name_index.NAME_FIELDS
DEMOGRAPHICS = "demographics"
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ListQuery:
    """What the list is asked for: a search text, filters, and the registry ID the page starts after."""

    q: str = ""
    status: str = ""  # incomplete | unverified | complete
    section: str = ""
    state: str = ""  # present | missing | unreviewed (of `section`)
    derived: str = ""  # a code of the disease module's STATUSES
    after: str = ""
    limit: int = PAGE


@dataclass
class Row:
    registry_id: str
    centre: str
    patient_id: int
    status: str = COMPLETE
    derived: str | None = None
    name: str | None = None  # only for a name search within the user's own centre


@dataclass
class Page:
    rows: list[Row]
    total: int  # COUNT_CAP + 1: more than COUNT_CAP
    next: str | None
    name_search: bool = False
    refused: str | None = None  # why a name search was not made (a label key)

    @property
    def more(self) -> bool:
        """Whether more patients match than were counted."""
        return self.total > COUNT_CAP


def disease_hook(module: str) -> ModuleType | None:
    """The disease module's patient_summary (RAIR and the like), if it has one."""
    try:
        return importlib.import_module(f"oncobank.diseases.{module}.patient_summary")
    except ModuleNotFoundError:
        return None


def _is_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def looks_like_id(text: str) -> bool:
    """A registry ID is typed with digits and no spaces (TH-000123); a name or a date of birth otherwise."""
    return any(c.isdigit() for c in text) and " " not in text.strip() and not _date_like(text)


def _date_like(text: str) -> bool:
    return _ISO.fullmatch(typed_date(text)) is not None


def find(store: ClinicalStore, actor: Actor, query: ListQuery) -> Page:
    """One page of the patients within the user's reach that match `query`, and how many match in all."""
    where: list[Any] = [] if actor.whole_registry else [Patient.centre_id == actor.centre_id]
    text = query.q.strip()
    names: dict[int, str] = {}
    page = Page([], 0, None)
    if text and looks_like_id(text):
        where.append(Patient.registry_id.like(_is_like(text), escape="\\"))
    elif text:
        if actor.whole_registry:  # names are searched only among one's own centre's patients
            page.refused = "name_search_centre_only"
            return page
        names = _by_name(store, actor, text)
        page.name_search = True
        where.append(Patient.id.in_(sorted(names)) if names else false())
    if query.section in store.dictionary.sections:
        chosen = {"present": exists(active_of(query.section)), "missing": ~exists(active_of(query.section)),
                  "unreviewed": exists(unreviewed(query.section))}.get(query.state)
        if chosen is not None:
            where.append(chosen)
    hook = disease_hook(store.dictionary.name)
    if query.derived and hook is not None and query.derived in hook.STATUSES:
        where.append(Patient.id.in_(hook.with_status(query.derived)))
    key = Patient.registry_id
    counted = select(Patient.id)
    if query.status in STATUSES:
        # The status as the store's writes keep it: the page is one range of the (status, registry ID) index.
        key = PatientProgress.registry_id
        where.append(PatientProgress.status == query.status)
        counted = counted.join(PatientProgress, PatientProgress.patient_id == Patient.id)
    listed = (select(Patient.registry_id, Centre.code, Patient.id).join(Centre, Centre.id == Patient.centre_id)
              .where(*where).order_by(key).limit(query.limit + 1))
    if key is not Patient.registry_id:
        listed = listed.join(PatientProgress, PatientProgress.patient_id == Patient.id)
    if query.after:
        listed = listed.where(key > query.after)
    with store.session() as s:
        progress.catch_up(s, store.dictionary)
        rows = s.execute(listed).all()
        # Counting every match of a filter costs a scan; beyond COUNT_CAP the page says "more than".
        capped = counted.where(*where).limit(COUNT_CAP + 1).subquery()
        page.total = s.scalar(select(func.count()).select_from(capped)) or 0
    page.rows = [Row(rid, centre, pid, name=names.get(pid)) for rid, centre, pid in rows[: query.limit]]
    page.next = page.rows[-1].registry_id if len(rows) > query.limit else None
    _mark(store, page.rows, hook)
    return page


def _mark(store: ClinicalStore, rows: list[Row], hook: ModuleType | None) -> None:
    """Each listed patient's completeness (and derived status), with two queries for the whole page."""
    if not rows:
        return
    pids = [r.patient_id for r in rows]
    with store.session() as s:
        found = dict(s.execute(select(PatientProgress.patient_id, PatientProgress.status)
                               .where(PatientProgress.patient_id.in_(pids))).all())
    for row in rows:
        row.status = found.get(row.patient_id, COMPLETE)
    if hook is not None:
        found = hook.statuses(store, pids)
        for row in rows:
            row.derived = found.get(row.patient_id)


def _by_name(store: ClinicalStore, actor: Actor, text: str) -> dict[int, str]:
    """Patients of the user's own centre whose names hold every word of `text` whole (a date: the birth date);
    id -> name.

    The words are looked up in the name index (keyed hashes of folded names, oncobank.store.name_index); only the
    matching patients' demographics are read, and decrypted, to show their names."""
    dates = {typed_date(w) for w in text.split() if _date_like(w)}
    words = [w for w in text.split() if typed_date(w) not in dates]
    wanted = name_index.query_words(words, dates)
    if not wanted or actor.centre_id is None:
        return {}
    codec = crypt.attach(store.engine)
    query = (select(Entry.patient_id, EntryVersion.values)
             .join(EntryVersion, and_(EntryVersion.entry_id == Entry.id, EntryVersion.version == Entry.current_version))
             .where(Entry.patient_id.in_(name_index.matching(codec, actor.centre_id, wanted)),
                    Entry.section == DEMOGRAPHICS, EntryVersion.status == "active"))
    found: dict[int, str] = {}
    with store.session() as s:
        for pid, values in s.execute(query):
            found[pid] = " ".join(str(values[k]) for k in NAME_FIELDS if values.get(k))
    return found
