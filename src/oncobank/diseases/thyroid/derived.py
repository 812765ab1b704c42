"""Keep the thyroid derived facts current: find patients whose inputs changed, recompute them set-based, append."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select

from oncobank.diseases.thyroid import facts, rair, recist
from oncobank.diseases.thyroid.entries import patients, read_section
from oncobank.diseases.thyroid.models import DerivedFact
from oncobank.diseases.thyroid.settings import Settings, default_settings
from oncobank.store.models import Entry, EntryVersion, Patient, utcnow

RULES = "2"  # bump when a rule changes: every stored fact is then recomputed
MODULE = "thyroid"

# The sections each kind of fact reads; a change in any of them recomputes the fact.
KINDS: dict[str, tuple[str, ...]] = {
    "rair": ("radioiodine", "imaging", "follow_up"),
    "activity": ("radioiodine",),
    "recist": ("imaging",),
    "stage": ("demographics", "diagnosis", "tumour_stage", "cytology"),
    "rai_to_progression": ("radioiodine", "imaging", "follow_up"),
}
FIELDS: dict[str, dict[str, str]] = {
    "radioiodine": rair.SECTIONS["radioiodine"],
    "imaging": {**rair.SECTIONS["imaging"], **recist.FIELDS},
    "follow_up": {"disease_status": "text", "vital_status": "text", "last_contact_date": "text"},
    "demographics": {"birth_date": "text", "sex": "text"},
    "diagnosis": {"histology_type": "text"},
    "tumour_stage": {"t_category": "text", "n_category": "text", "m_category": "text", "stage_group": "text",
                     "metastasis_sites": "json"},
    "cytology": {"bethesda": "text"},
}


def rules(kind: str, settings: Settings | None = None) -> str:
    """The rules a fact is computed under: RULES, and for RAIR the study settings' digest too (RULES.digest)."""
    if kind == "rair":
        return f"{RULES}.{(settings or default_settings()).digest[:12]}"
    return RULES


@dataclass(frozen=True)
class Refresh:
    """What a refresh did: patients per kind recomputed, and how many were already current."""

    recomputed: dict[str, int]
    current: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"recomputed": self.recomputed, "current": self.current}


def fingerprints(engine: Engine, kinds: Iterable[str], only: Iterable[int] | None = None) -> pd.DataFrame:
    """Per patient (every one, or those of `only`) and kind: the highest entry_version id in the kind's sections (0
    with no entries).

    Every add, edit or retraction writes a new entry_version row, so the id grows whenever an input changes.
    """
    kinds = list(kinds)
    sections = sorted({s for k in kinds for s in KINDS[k]})
    query = (
        select(Entry.patient_id, Entry.section, func.max(EntryVersion.id))
        .join(EntryVersion, EntryVersion.entry_id == Entry.id)
        .join(Patient, Patient.id == Entry.patient_id)
        .where(Entry.section.in_(sections), Patient.module == MODULE)
        .group_by(Entry.patient_id, Entry.section)
    )
    if only is not None:  # one patient's page asks about her alone: no scan of the whole registry
        only = sorted(set(only))
        query = query.where(Entry.patient_id.in_(only))
    with engine.connect() as connection:
        rows = pd.DataFrame.from_records(list(connection.execute(query)),
                                         columns=["patient_id", "section", "max_id"])
        if only is not None:
            everyone = pd.Series(list(connection.scalars(
                select(Patient.id).where(Patient.id.in_(only), Patient.module == MODULE).order_by(Patient.id))),
                dtype="int64")
    wide = rows.pivot(index="patient_id", columns="section", values="max_id")
    if only is None:
        everyone = patients(engine, MODULE)["patient_id"]
    out = pd.DataFrame(index=pd.Index(everyone, name="patient_id"))
    for kind in kinds:
        present = [s for s in KINDS[kind] if s in wide.columns]
        out[kind] = wide[present].max(axis=1).reindex(out.index).fillna(0).astype("int64") if present else 0
    return out


def stored(engine: Engine, kind: str, only: Iterable[int] | None = None) -> pd.DataFrame:
    """The current (latest) stored fact's input_version and rules per patient (every one, or those of `only`), for
    one kind."""
    latest = select(func.max(DerivedFact.id)).where(DerivedFact.kind == kind).group_by(DerivedFact.patient_id)
    if only is not None:
        latest = latest.where(DerivedFact.patient_id.in_(sorted(set(only))))
    query = select(DerivedFact.patient_id, DerivedFact.input_version, DerivedFact.rules).where(
        DerivedFact.id.in_(latest))
    with engine.connect() as connection:
        rows = list(connection.execute(query))
    return pd.DataFrame.from_records(rows, columns=["patient_id", "input_version", "rules"]).set_index("patient_id")


def stale(engine: Engine, kinds: Iterable[str], only: Iterable[int] | None = None,
          settings: Settings | None = None) -> dict[str, pd.Series]:
    """Per kind, the patients (with their fingerprint) whose fact is missing, out of date, or from other rules
    (for RAIR: other study settings)."""
    only = None if only is None else sorted(set(only))
    prints = fingerprints(engine, kinds, only)
    out = {}
    for kind in prints.columns:
        known = stored(engine, kind, only).reindex(prints.index)
        fresh = (known["input_version"] == prints[kind]) & (known["rules"] == rules(kind, settings))
        out[kind] = prints.loc[~fresh, kind]
    return out


def compute(kind: str, pids: pd.Index, frames: dict[str, pd.DataFrame],
            settings: Settings | None = None) -> dict[int, dict[str, Any]]:
    """One kind of fact for `pids` from section frames read with FIELDS."""
    f = frames
    if kind == "rair":
        return rair.evaluate(pids, f["radioiodine"], f["imaging"], f["follow_up"], settings)
    if kind == "activity":
        return facts.activity_facts(pids, f["radioiodine"])
    if kind == "recist":
        return facts.recist_facts(pids, f["imaging"])
    if kind == "stage":
        return facts.stage_facts(pids, f["demographics"], f["diagnosis"], f["tumour_stage"], f["cytology"])
    if kind == "rai_to_progression":
        return facts.progression_facts(pids, f["radioiodine"], f["imaging"], f["follow_up"])
    raise ValueError(f"unknown kind of derived fact {kind!r}; known: {', '.join(KINDS)}")


def read_frames(engine: Engine, sections: Iterable[str], pids: Iterable[int] | None = None) -> dict[str, pd.DataFrame]:
    """The sections' current entries, one query each (all patients when `pids` is None)."""
    return {s: read_section(engine, s, FIELDS[s], MODULE, pids) for s in sections}


def refresh(engine: Engine, kinds: Iterable[str] | None = None, only: Iterable[int] | None = None,
            on_kind: Callable[[str, int], None] | None = None, settings: Settings | None = None) -> Refresh:
    """Recompute the facts whose inputs (or rules, or RAIR settings) changed since they were stored; append them."""
    kinds = list(kinds or KINDS)
    todo = stale(engine, kinds, only, settings)
    total = {k: len(v) for k, v in todo.items()}
    everyone = len(patients(engine, MODULE)) if only is None else len(set(only))
    needed = {s for k in kinds if len(todo[k]) for s in KINDS[k]}
    pids = sorted({int(p) for v in todo.values() for p in v.index})
    # Reading everything with one plain query is cheaper than long IN lists once many patients are stale.
    frames = read_frames(engine, needed, pids if len(pids) < everyone / 2 else None)
    for kind in kinds:
        index = todo[kind].index
        if not len(index):
            continue
        results = compute(kind, index, frames, settings)
        now = utcnow()
        rows = [{"patient_id": int(pid), "kind": kind, "rules": rules(kind, settings), "input_version": int(version),
                 "computed_at": now, "result": results[int(pid)]} for pid, version in todo[kind].items()]
        with engine.begin() as connection:
            for start in range(0, len(rows), 5000):
                connection.execute(insert(DerivedFact), rows[start : start + 5000])
        if on_kind:
            on_kind(kind, len(rows))
    return Refresh(total, {k: everyone - n for k, n in total.items()})


def latest(engine: Engine, kind: str, registry_ids: Iterable[str] | None = None,
           settings: Settings | None = None) -> dict[str, dict[str, Any]]:
    """The current fact of `kind` per patient computed under the current rules (for RAIR: under `settings`),
    keyed by registry ID (every patient, or only those named)."""
    newest = (select(func.max(DerivedFact.id))
              .where(DerivedFact.kind == kind, DerivedFact.rules == rules(kind, settings))
              .group_by(DerivedFact.patient_id))
    named = None if registry_ids is None else list(registry_ids)
    if named is not None:  # the newest fact of the named patients only, not a group over every patient's facts
        newest = newest.where(DerivedFact.patient_id.in_(select(Patient.id).where(Patient.registry_id.in_(named))))
    query = (
        select(Patient.registry_id, DerivedFact.result, DerivedFact.computed_at)
        .join(Patient, and_(Patient.id == DerivedFact.patient_id))
        .where(DerivedFact.id.in_(newest))
        .order_by(Patient.registry_id)
    )
    if named is not None:
        query = query.where(Patient.registry_id.in_(named))
    with engine.connect() as connection:
        return {rid: result for rid, result, _ in connection.execute(query)}


def current(engine: Engine, patient_id: int, kinds: Iterable[str],
            settings: Settings | None = None) -> dict[str, dict[str, Any] | None]:
    """One patient's current fact of each kind (None: none computed), as `refresh(engine, kinds, only=[patient_id])`
    then `latest` give it, for a patient's page.

    Plain Python over the patient's few rows: two queries when every fact is current (the common case), no frames;
    only a fact found stale is recomputed, by `refresh`, and read again.
    """
    kinds = list(kinds)
    with engine.connect() as connection:
        todo, found = _check_one(connection, patient_id, kinds, settings)
    if todo:
        refresh(engine, list(todo), only=[patient_id], settings=settings)
    again = kinds if todo is None else list(todo)  # another module's patient: nothing computed, the stored facts
    if again:
        with engine.connect() as connection:
            found.update(_newest_one(connection, patient_id, again, settings))
    return {kind: found.get(kind) for kind in kinds}


def stale_one(engine: Engine, patient_id: int, kinds: Iterable[str],
              settings: Settings | None = None) -> dict[str, int]:
    """`stale(engine, kinds, [patient_id], settings)` for one patient without pandas: kind -> fingerprint of each
    kind whose fact is missing, out of date or from other rules (empty for a patient of another module)."""
    with engine.connect() as connection:
        todo, _ = _check_one(connection, patient_id, list(kinds), settings)
    return todo or {}


def _check_one(connection: Connection, patient_id: int, kinds: list[str], settings: Settings | None
               ) -> tuple[dict[str, int] | None, dict[str, dict[str, Any]]]:
    """The stale kinds of one patient with their fingerprints, and the results of the current ones (None instead of
    the stale kinds: the patient is not of this module). The same tests as `fingerprints`, `stored` and `stale`."""
    sections = sorted({s for k in kinds for s in KINDS[k]})
    highest: dict[str | None, int | None] = dict(connection.execute(  # one row (None, None) with no entries at all
        select(Entry.section, func.max(EntryVersion.id))
        .select_from(Patient)
        .outerjoin(Entry, and_(Entry.patient_id == Patient.id, Entry.section.in_(sections)))
        .outerjoin(EntryVersion, EntryVersion.entry_id == Entry.id)
        .where(Patient.id == patient_id, Patient.module == MODULE)
        .group_by(Entry.section)).all())
    if not highest:
        return None, {}
    latest_ids = (select(func.max(DerivedFact.id))
                  .where(DerivedFact.patient_id == patient_id, DerivedFact.kind.in_(kinds))
                  .group_by(DerivedFact.kind))
    stored_now = {kind: (version, rule, result) for kind, version, rule, result in connection.execute(
        select(DerivedFact.kind, DerivedFact.input_version, DerivedFact.rules, DerivedFact.result)
        .where(DerivedFact.id.in_(latest_ids)))}
    todo: dict[str, int] = {}
    fresh: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        fingerprint = max((highest.get(s) or 0 for s in KINDS[kind]), default=0)
        known = stored_now.get(kind)
        if known is not None and known[0] == fingerprint and known[1] == rules(kind, settings):
            fresh[kind] = known[2]
        else:
            todo[kind] = fingerprint
    return todo, fresh


def _newest_one(connection: Connection, patient_id: int, kinds: list[str],
                settings: Settings | None) -> dict[str, dict[str, Any]]:
    """One patient's newest fact of each kind computed under the current rules (`latest` for one patient)."""
    newest = (select(func.max(DerivedFact.id))
              .where(DerivedFact.patient_id == patient_id,
                     or_(*(and_(DerivedFact.kind == k, DerivedFact.rules == rules(k, settings)) for k in kinds)))
              .group_by(DerivedFact.kind))
    return dict(connection.execute(select(DerivedFact.kind, DerivedFact.result).where(DerivedFact.id.in_(newest)))
                .all())


def history(engine: Engine, kind: str, registry_id: str) -> list[dict[str, Any]]:
    """Every stored computation of one fact for one patient, oldest first."""
    query = (
        select(DerivedFact.id, DerivedFact.input_version, DerivedFact.computed_at, DerivedFact.result)
        .join(Patient, Patient.id == DerivedFact.patient_id)
        .where(DerivedFact.kind == kind, Patient.registry_id == registry_id)
        .order_by(DerivedFact.id)
    )
    with engine.connect() as connection:
        return [{"id": i, "input_version": v, "computed_at": at, "result": r}
                for i, v, at, r in connection.execute(query)]
