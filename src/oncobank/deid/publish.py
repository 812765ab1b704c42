"""Build a publish: the patients changed since the last one (or all), de-identified, as one PublishDelta applied.

A publish rebuilds everything when asked (--full), on the first publish, and when the policy, the secret or the
tables (a dictionary changed) differ from the last publish's; otherwise it re-publishes only the patients whose
data changed since the last publish's watermark. A re-run with nothing changed writes nothing, not even a log row.
The clinical store is only read, apart from the one audit event of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine

from oncobank.deid import source
from oncobank.deid.batch import BatchJob, concat, derived_tables
from oncobank.deid.kanon_report import KAnonymityReport
from oncobank.deid.keys import Keys, publish_secret
from oncobank.deid.log import LastPublish, log_row
from oncobank.deid.policy import Policy
from oncobank.deid.pool import default_workers, run_batches
from oncobank.deid.publish_kanon import REPORT, Anonymised, anonymised, as_published, patient_rows, report_table
from oncobank.deid.schema import (
    COLUMNS,
    LOG,
    PATIENT,
    TableSpec,
    columns_table,
    derived_spec,
    digest,
    module_specs,
    patient_spec,
)
from oncobank.dictionary import load_module
from oncobank.engine.delta import PublishDelta, TableDelta

BATCH = 2000  # patients read and de-identified at a time
# Why a publish is full or incremental (the codes in publish_log.reason and the JSON result).
REASONS = ("asked", "first", "secret", "policy", "tables", "late_commits", "changes", "no_changes")


@dataclass
class Plan:
    """What a publish will do, decided before any patient data is read."""

    full: bool
    reason: str
    patients: list[int]
    mark: source.Watermark
    specs: list[TableSpec]
    schema: str
    previous: LastPublish | None


@dataclass
class PublishResult:
    """What a publish did: its number (None when nothing changed), full or not, and rows written per table."""

    number: int | None
    full: bool
    reason: str
    patients_changed: int
    entries_retracted: int
    rows: dict[str, int] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    target: str = ""
    k_report: KAnonymityReport | None = field(default=None, repr=False)  # under the policy's k_anonymity

    @property
    def changed(self) -> bool:
        return self.number is not None

    def to_dict(self) -> dict[str, Any]:
        found = {k: v for k, v in asdict(self).items() if k != "k_report"}
        return {**found, "k_anonymity": None if self.k_report is None else self.k_report.to_dict()}


class Publisher:
    """One publish run over a clinical store's engine, under a policy and the store's secret."""

    def __init__(self, engine: Engine, policy: Policy, secret: bytes | None = None, modules: Sequence[str] = (), *,
                 workers: int = 1, batch: int = BATCH):
        self.engine, self.policy, self.modules = engine, policy, tuple(modules)  # modules published even if empty
        self.keys = Keys(secret if secret is not None else publish_secret(engine.url))
        self.workers, self.batch = workers, batch  # processes de-identifying batches, patients per batch

    # --- what to do --------------------------------------------------------------------------------------------

    def plan(self, previous: LastPublish | None, *, full: bool = False) -> Plan:
        with self.engine.connect() as connection:
            mark = source.watermark(connection)
            modules = sorted({*source.modules(connection, mark), *self.modules})
            specs = self.specs(modules)
            schema = digest(specs)
            reason = self._rebuild_reason(connection, previous, schema, full)
            if reason:
                return Plan(True, reason, source.patient_ids(connection, mark), mark, specs, schema, previous)
            assert previous is not None
            patients = sorted(source.changed_patients(connection, previous.watermark, mark))
        reason = "changes" if patients else "no_changes"
        return Plan(False, reason, patients, mark, specs, schema, previous)

    def _rebuild_reason(self, connection: Connection, previous: LastPublish | None, schema: str, full: bool) -> str:
        if full:
            return "asked"
        if previous is None:
            return "first"
        if previous.secret != self.keys.fingerprint():
            return "secret"
        if previous.policy != self.policy.digest:
            return "policy"
        if previous.schema != schema:
            return "tables"
        if source.late_commits(connection, previous.watermark):
            return "late_commits"
        return ""

    def specs(self, modules: Sequence[str]) -> list[TableSpec]:
        """Every table of the snapshot but the log and `columns`: patient, sections of each module, derived ones."""
        specs: dict[str, TableSpec] = {"patient": patient_spec(self.policy)}
        for module in modules:
            for spec in module_specs(load_module(module), self.policy):
                specs.setdefault(spec.name, spec)  # core sections are shared by the modules
            for table in derived_tables(module, {}):
                specs[table.name] = derived_spec(table, self.policy)
        return list(specs.values())

    # --- doing it ----------------------------------------------------------------------------------------------

    def build(self, plan: Plan, on_batch: Callable[[int], None] | None = None) -> tuple[PublishDelta, PublishResult]:
        """The delta of `plan`: whole tables for a full publish, the changed patients' rows otherwise."""
        chunks: dict[str, list[pa.Table]] = {spec.name: [] for spec in plan.specs}
        pseudonyms: list[str] = []
        retracted = 0
        since = 0 if plan.previous is None else plan.previous.watermark.ids.get("entry_version", 0)
        kanon = self._anonymised(plan)
        patients = plan.patients if kanon is None else sorted({*plan.patients, *kanon[1]})
        batches = [patients[start : start + self.batch] for start in range(0, len(patients), self.batch)]
        job = BatchJob(self.keys, self.policy, plan.mark, tuple(plan.specs), since)
        for ids, part in zip(batches, run_batches(self.engine, job, batches, self.workers), strict=True):
            for name, tables in part.tables.items():
                chunks[name].extend(tables)
            pseudonyms.extend(part.pseudonyms)
            retracted += part.retracted
            if on_batch:
                on_batch(len(ids))
        tables = {spec.name: concat(chunks[spec.name], spec.schema) for spec in plan.specs}
        whole: set[str] = set()  # tables written whole even by an incremental publish
        if kanon is not None and self.policy.k_anonymity is not None:
            done = kanon[0]
            tables = {name: as_published(t, done) for name, t in tables.items()}
            tables[PATIENT] = done.table
            tables[REPORT] = report_table(done.report, self.policy.k_anonymity.small_cell)
            whole = {PATIENT, REPORT}
        number = 1 if plan.previous is None else plan.previous.number + 1
        rows = {name: t.num_rows for name, t in tables.items()}
        names = [*tables, COLUMNS, LOG]
        log = log_row(number=number, full=plan.full, reason=plan.reason, patients=len(plan.patients),
                      retracted=retracted, rows=rows, tables=names, mark=plan.mark, policy=self.policy.digest,
                      schema=plan.schema, secret=self.keys.fingerprint())
        replace = None if plan.full else tuple(sorted(pseudonyms))
        deltas = [TableDelta(name, table, replace=None if name in whole else replace) for name, table in tables.items()]
        if plan.full:
            deltas.append(TableDelta(COLUMNS, columns_table(plan.specs)))
        deltas.append(TableDelta(LOG, log, append=True))
        gone = () if plan.previous is None else tuple(sorted(set(plan.previous.tables) - set(names)))
        result = PublishResult(number, plan.full, plan.reason, len(plan.patients), retracted, rows, sorted(names),
                               k_report=None if kanon is None else kanon[0].report)
        return PublishDelta(tuple(deltas), plan.full, gone), result

    def _anonymised(self, plan: Plan) -> tuple[Anonymised, set[int]] | None:
        """Under k-anonymity: the whole patient table as it leaves, and the patients to re-process besides the
        changed ones (removed now, or removed at the previous watermark and perhaps back now, or whose published
        centre changed)."""
        if self.policy.k_anonymity is None:
            return None
        now = anonymised(patient_rows(self.engine, plan.mark, self.keys, self.policy), self.policy)
        if plan.full or plan.previous is None:
            return now, set()
        before = anonymised(patient_rows(self.engine, plan.previous.watermark, self.keys, self.policy), self.policy)
        return now, set(now.removed | before.removed) | now.moved(before)


def publish(store: Any, target: str | None = None, policy: Policy | None = None, *, full: bool = False,
            user: str | None = None, on_plan: Callable[[Plan], None] | None = None,
            on_batch: Callable[[int], None] | None = None, workers: int | None = None) -> PublishResult:
    """Publish the clinical store `store` into the analysis store at `target` (None: the default DuckDB file).

    `workers` processes de-identify the batches (None: one per core; a run of one batch stays in this process).
    They are spawned, so a script that calls this with more than one guards its top level with
    `if __name__ == "__main__":`, as for any multiprocessing code.

    One audit event records the run (action "publish", counts only), whatever its outcome, as the store's acting
    user (else `user`, else no one named).
    """
    from oncobank.engine.sinks import open_sink

    sink = open_sink(target)
    publisher = Publisher(store.engine, policy or Policy(), modules=[store.dictionary.name],
                          workers=default_workers() if workers is None else workers)
    result = PublishResult(None, full, "not started", 0, 0, target=sink.target.describe())
    outcome = "failed"
    try:
        last = None if sink.snapshot is None else sink.last_log("number")
        plan = publisher.plan(None if last is None else LastPublish.from_row(last), full=full)
        if on_plan:
            on_plan(plan)
        if not plan.patients and not plan.full:
            result.reason, outcome = plan.reason, "nothing to publish"
            return result
        delta, built = publisher.build(plan, on_batch)
        built.target = result.target
        sink.apply(delta)
        result, outcome = built, "applied"
        return result
    finally:
        _audit(store, user, result, outcome, publisher.policy.digest)


def _audit(store: Any, user: str | None, result: PublishResult, outcome: str, policy: str) -> None:
    """The run's one audit event: what was published, in counts (no patient is named)."""
    from oncobank.store import audit

    actor = getattr(store, "actor", None)
    with store.session() as s:
        uid = actor.id if actor is not None else (None if user is None else store.user_id(s, user))
        audit.record(s, "publish", uid, number=result.number, full=result.full,
                     patients=result.patients_changed, retracted=result.entries_retracted, rows=result.rows,
                     outcome=outcome, policy=policy)
