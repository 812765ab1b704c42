"""The publish's k-anonymity step: the whole patient table made k-anonymous under the policy, and its report.

A change in one patient can change the equivalence classes of others, so the step always runs over every patient
of the snapshot (the patient table is small: a row per patient, read without texts or derived facts) and the
patient table is rewritten whole. Patients whose class still fails after masking are removed from every table, and
every other table's `centre` is the patient table's (generalised or masked with it, never the original). The publish
re-processes those removed now or at the previous watermark, and those whose published centre changed, so an
incremental publish and a full rebuild agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine

from oncobank.deid import source
from oncobank.deid.kanon import KAnonymityPolicy, Kind, QuasiIdentifier, anonymise
from oncobank.deid.kanon_report import KAnonymityReport
from oncobank.deid.keys import Keys
from oncobank.deid.policy import Policy
from oncobank.deid.rows import Builder, people
from oncobank.deid.schema import CENTRE, KEY, patient_spec
from oncobank.dictionary import load_module

REPORT = "k_anonymity"
SMALL_CELL = "small_cell"  # the measure of the report table that holds the policy's small-cell threshold
REPORT_SCHEMA = pa.schema([("measure", pa.string()), ("column", pa.string()), ("before", pa.float64()),
                           ("after", pa.float64()), ("level", pa.string())])
_KINDS: dict[str, Kind] = {"birth_year": "birth_year"}


@dataclass(frozen=True)
class Anonymised:
    """The patient table as it leaves, what was done to it, the patients removed (IDs in the store), and each kept
    patient's published centre (by ID in the store)."""

    table: pa.Table
    report: KAnonymityReport
    removed: frozenset[int]
    removed_pseudonyms: tuple[str, ...]
    centres: pd.Series

    def moved(self, before: Anonymised) -> set[int]:
        """The patients kept at both runs whose published centre differs: all their rows carry the centre."""
        both = self.centres.index.intersection(before.centres.index)
        return {int(i) for i in both[self.centres[both].to_numpy() != before.centres[both].to_numpy()]}


def kanon_policy(policy: Policy) -> KAnonymityPolicy:
    """The `KAnonymityPolicy` of a publish policy's `k_anonymity` section (which must be set)."""
    settings = policy.k_anonymity
    assert settings is not None
    quasi = [QuasiIdentifier(column=c, kind=_KINDS.get(c, "category"), generalise=c != "centre"
                             or settings.generalise_centre) for c in policy.quasi_identifiers]
    allowance = 1.0 if settings.method == "suppress" else settings.max_suppressed  # suppress: no generalising
    return KAnonymityPolicy(quasi_identifiers=quasi, k=settings.k, l=settings.l, sensitive=settings.sensitive,
                            max_suppressed=allowance, small_cell=settings.small_cell)


def patient_rows(engine: Engine, mark: source.Watermark, keys: Keys, policy: Policy,
                 batch: int = 2000) -> pd.DataFrame:
    """Every patient's row of the patient table at `mark`, before k-anonymity, indexed by the store's patient ID."""
    builder = Builder(keys, policy)
    spec = patient_spec(policy, generalised=False)
    frames: list[pd.DataFrame] = []
    with engine.connect() as connection:
        ids = source.patient_ids(connection, mark)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            found = source.patients(connection, mark, chunk)
            dictionaries = {m: load_module(m) for m in sorted({p.module for p in found})}
            persons = people(found, source.entries(connection, mark, chunk), {}, dictionaries, keys, policy)
            ids_of = {person.pseudonym: pid for pid, person in persons.items()}
            frame = builder.patients(spec, persons.values()).to_pandas()
            frames.append(frame.set_axis([ids_of[p] for p in frame[KEY]], axis=0))
    if not frames:
        return spec.schema.empty_table().to_pandas()
    return pd.concat(frames)


def anonymised(rows: pd.DataFrame, policy: Policy) -> Anonymised:
    """`rows` (from `patient_rows`) made k-anonymous: the published table, sorted by pseudonym, and its report."""
    out, report = anonymise(rows, kanon_policy(policy))
    spec = patient_spec(policy)
    for name in policy.quasi_identifiers:  # text whether generalised or not (see patient_spec)
        out[name] = [None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in out[name]]
    table = pa.Table.from_pandas(out, schema=spec.schema, preserve_index=False)
    table = table.sort_by([(KEY, "ascending")]) if table.num_rows else table
    removed = sorted(int(i) for i in report.removed)
    return Anonymised(table, report, frozenset(removed), tuple(sorted(rows.loc[removed, KEY])), out[CENTRE])


def report_table(report: KAnonymityReport, small_cell: int) -> pa.Table:
    """The report as the analysis store's `k_anonymity` table: a row per measure (and column), before and after.

    The row `small_cell` carries the policy's threshold of small counts with the store, for whatever shows its
    aggregates (oncobank.deid.small_cells)."""
    rows: list[tuple[str, str | None, float | None, float | None, str | None]] = [
        ("k_target", None, None, float(report.k_target), None),
        ("l_target", None, None, None if report.l_target is None else float(report.l_target), None),
        ("rows", None, float(report.rows_before), float(report.rows_after), None),
        ("k", None, float(report.k_before), float(report.k_after), None),
        ("classes", None, float(report.classes_before), float(report.classes_after), None),
        ("share_below_k", None, report.below_k_before, report.below_k_after, None),
        ("masked_rows", None, None, float(report.masked_rows), None),
        ("removed_rows", None, None, float(len(report.removed)), None),
        ("information_loss", None, None, report.information_loss, None),
        ("holds", None, None, float(report.holds), None),
        (SMALL_CELL, None, None, float(small_cell), None),
    ]
    rows += [("distinct_l", c, float(report.l_before[c]), float(report.l_after[c]), None) for c in report.l_before]
    rows += [("entropy_l", c, report.entropy_l_before[c], report.entropy_l_after[c], None)
             for c in report.entropy_l_before]
    rows += [("generalisation", c, None, None, level) for c, level in report.levels.items()]
    return pa.Table.from_pylist([dict(zip(REPORT_SCHEMA.names, r, strict=True)) for r in rows], schema=REPORT_SCHEMA)


def as_published(table: pa.Table, done: Anonymised) -> pa.Table:
    """`table` without the removed patients' rows, its `centre` (if it has one) the published patient table's."""
    table = without(table, done.removed_pseudonyms)
    if CENTRE not in table.column_names or not table.num_rows:
        return table
    where = pc.index_in(table.column(KEY), value_set=done.table.column(KEY).combine_chunks())
    return table.set_column(table.column_names.index(CENTRE), CENTRE, done.table.column(CENTRE).take(where))


def without(table: pa.Table, pseudonyms: Sequence[str]) -> pa.Table:
    """`table` without the rows of these patients."""
    if not pseudonyms or KEY not in table.column_names or not table.num_rows:
        return table
    return table.filter(pc.invert(pc.is_in(table.column(KEY), pa.array(sorted(pseudonyms), pa.string()))))
