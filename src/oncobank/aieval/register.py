"""The register of AI services and versions in the store: tasks, services, versions, history and protocols."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from oncobank.aieval.errors import LifecycleError
from oncobank.aieval.labels import codes
from oncobank.aieval.lifecycle import EXCLUDED, Event, State, apply, replay
from oncobank.aieval.models import AiProtocol, AiService, AiStageEvent, AiTask, AiVersion
from oncobank.aieval.thresholds import Thresholds
from oncobank.store.errors import NotFound

PROTOCOL_PREFIX = {
    "self_testing": "ST",
    "functional": "FT",
    "calibration": "CT",
    "technological_monitoring": "TM",
    "clinical_monitoring": "CM",
    "feedback": "FB",
    "impact": "IA",
}
DECLARED_KEYS = ("auc", "sensitivity", "specificity", "accuracy", "ppv", "npv", "minutes")


@dataclass(frozen=True)
class VersionInfo:
    """A service version with its service, task and thresholds, as protocols need them."""

    id: int
    service_code: str
    service_name: str
    supplier: str
    developer: str
    modality: str
    region: str
    patient_group: str
    task_code: str
    task_name: dict[str, str]
    version: str
    declared: dict[str, float]
    thresholds: Thresholds
    stage: str
    status: str

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["thresholds"] = self.thresholds.model_dump()
        return out


def _registered(kind: str, what: str, value: str) -> str:
    allowed = codes(kind)
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Issued:
    """A protocol being issued: its number and the state its lifecycle step leads to (None without a step)."""

    number: str
    state: State | None


def _lock_numbers(s: Session, prefix: str) -> None:
    """Serialise the numbering of `prefix`'s protocols until the transaction ends.

    The next number is read (count + 1) and then taken; two writers at once would read the same count. On
    PostgreSQL an advisory transaction lock per prefix makes the second wait; on SQLite a no-op write takes the
    database's write lock before anything is read (a read first would let both read, then one fail on write).
    """
    if s.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"oncobank ai_protocol {prefix}".encode()).digest()[:8], "big",
                             signed=True)
        s.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")
    else:
        s.connection().exec_driver_sql("UPDATE ai_protocol SET id = id WHERE 0")


class Register:
    """Reads and writes the AI register; every stage change goes through the lifecycle rules."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def set_task(self, code: str, name_en: str | None = None, name_ru: str | None = None,
                 thresholds: Thresholds | None = None, *, changes: dict[str, Any] | None = None) -> Thresholds:
        """Create a clinical task or update it; returns its thresholds as stored.

        `thresholds` replaces all of them; `changes` sets only the named ones and keeps the others (a new task
        starts from the defaults). Names not given keep their stored values; a new task needs both.
        """
        with Session(self.engine) as s, s.begin():
            task = s.scalar(select(AiTask).where(AiTask.code == code).with_for_update())
            base = Thresholds() if task is None else Thresholds(**task.thresholds)
            values = (thresholds or Thresholds(**{**base.model_dump(), **(changes or {})})).model_dump()
            if task is None:
                if not name_en or not name_ru:
                    raise ValueError(f"a new clinical task {code!r} needs its names (--name-en and --name-ru)")
                s.add(AiTask(code=code, name_en=name_en, name_ru=name_ru, thresholds=values))
            else:
                task.name_en, task.name_ru = name_en or task.name_en, name_ru or task.name_ru
                task.thresholds = values
            return Thresholds(**values)

    def add_service(self, code: str, name: str, *, supplier: str, developer: str, modality: str, region: str,
                    patient_group: str, task: str) -> int:
        """Register a service; modality, region and patient group are codes of the label tables (`codes`)."""
        modality = _registered("modality", "modality", modality.strip().upper())
        region = _registered("region", "anatomical region", region.strip().lower().replace(" ", "_"))
        patient_group = _registered("group", "patient group", patient_group.strip().lower().replace(" ", "_"))
        with Session(self.engine) as s, s.begin():
            task_row = s.scalar(select(AiTask).where(AiTask.code == task))
            if task_row is None:
                raise NotFound(f"no clinical task {task!r}; add it first with 'oncobank ai task set'")
            if s.scalar(select(AiService.id).where(AiService.code == code)) is not None:
                raise LifecycleError(f"service {code!r} is already registered")
            # The exclusion is the applicant's, for the service and the clinical task: not undone by a new code.
            same = select(AiVersion.id).join(AiService).where(
                AiService.supplier == supplier, AiService.name == name, AiService.task_id == task_row.id,
                AiVersion.status == "excluded")
            if s.scalar(same.limit(1)) is not None:
                raise LifecycleError(f"{supplier!r} registered {name!r} for this clinical task before: {EXCLUDED}")
            service = AiService(code=code, name=name, supplier=supplier, developer=developer, modality=modality,
                                region=region, patient_group=patient_group, task_id=task_row.id)
            s.add(service)
            s.flush()
            return service.id

    def add_version(self, service: str, version: str, declared: dict[str, float], registered_on: date) -> int:
        unknown = sorted(set(declared) - set(DECLARED_KEYS))
        if unknown:
            raise ValueError(f"unknown declared metric(s) {', '.join(unknown)}; expected {', '.join(DECLARED_KEYS)}")
        with Session(self.engine) as s, s.begin():
            service_id = s.scalar(select(AiService.id).where(AiService.code == service))
            if service_id is None:
                raise NotFound(f"no AI service {service!r}")
            exists = s.scalar(select(AiVersion.id).where(AiVersion.service_id == service_id,
                                                         AiVersion.version == version))
            if exists is not None:
                raise LifecycleError(f"version {version!r} of {service!r} is already registered")
            excluded = s.scalar(select(AiVersion.version).where(AiVersion.service_id == service_id,
                                                                AiVersion.status == "excluded").limit(1))
            if excluded is not None:
                raise LifecycleError(f"version {excluded} of {service!r}: {EXCLUDED}")
            start = State()
            row = AiVersion(service_id=service_id, version=version, declared=declared, registered_on=registered_on,
                            stage=start.stage, status=start.status, events=0)
            s.add(row)
            s.flush()
            return row.id

    def version_id(self, service: str, version: str) -> int:
        with Session(self.engine) as s:
            found = s.scalar(select(AiVersion.id).join(AiService).where(AiService.code == service,
                                                                        AiVersion.version == version))
        if found is None:
            raise NotFound(f"no version {version!r} of AI service {service!r}")
        return found

    def info(self, version_id: int) -> VersionInfo:
        with Session(self.engine) as s:
            row = s.execute(select(AiVersion, AiService, AiTask).join(AiService, AiVersion.service_id == AiService.id)
                            .join(AiTask, AiService.task_id == AiTask.id).where(AiVersion.id == version_id)).first()
            if row is None:
                raise NotFound(f"no AI service version with id {version_id}")
            v, svc, task = row
            return VersionInfo(
                id=v.id, service_code=svc.code, service_name=svc.name, supplier=svc.supplier,
                developer=svc.developer, modality=svc.modality, region=svc.region,
                patient_group=svc.patient_group, task_code=task.code,
                task_name={"en": task.name_en, "ru": task.name_ru}, version=v.version,
                declared=dict(v.declared), thresholds=Thresholds(**task.thresholds), stage=v.stage,
                status=v.status,
            )

    def record(self, version_id: int, event: Event, user: str, protocol: str | None = None) -> State:
        """Check `event` against the replayed history and store it; the version's stage follows."""
        with Session(self.engine) as s, s.begin():
            version, new = self._next_state(s, version_id, event)
            self._append(s, version, event, new, user, protocol)
            return new

    @contextmanager
    def issuing(self, version_id: int, kind: str, issued_on: date, decision: str, payload: dict[str, Any], *,
                period: str | None = None, event: Event | None = None, user: str = "unknown") -> Iterator[Issued]:
        """Number and store a protocol, and the lifecycle step it decides, as one transaction.

        The step is checked first (a broken rule spends no number). The block gets the number to write the
        protocol's files with; everything commits when the block ends and nothing is kept if it raises, so a
        protocol whose file could not be written (no Chromium, a full disk) leaves its number free.
        """
        prefix = f"{PROTOCOL_PREFIX[kind]}-{issued_on.year}-"
        with Session(self.engine) as s, s.begin():
            _lock_numbers(s, prefix)
            version, state = self._next_state(s, version_id, event) if event is not None else (None, None)
            count = s.scalar(select(func.count()).select_from(AiProtocol).where(AiProtocol.number.like(prefix + "%")))
            number = f"{prefix}{(count or 0) + 1:04d}"
            s.add(AiProtocol(number=number, kind=kind, version_id=version_id, issued_on=issued_on, period=period,
                             decision=decision, payload=payload))
            s.flush()  # the number is taken (unique) until the transaction ends
            yield Issued(number, state)
            if version is not None and event is not None and state is not None:
                self._append(s, version, event, state, user, number)

    def _next_state(self, s: Session, version_id: int, event: Event) -> tuple[AiVersion, State]:
        # The row lock serialises writers of one version on PostgreSQL; SQLite locks the file on write.
        version = s.scalar(select(AiVersion).where(AiVersion.id == version_id).with_for_update())
        if version is None:
            raise NotFound(f"no AI service version with id {version_id}")
        return version, apply(replay(self._events(s, version_id)), event)

    @staticmethod
    def _append(s: Session, version: AiVersion, event: Event, new: State, user: str, protocol: str | None) -> None:
        version.events += 1
        s.add(AiStageEvent(
            version_id=version.id, seq=version.events, happened_on=event.on, action=event.action,
            stage=event.stage, critical=event.critical, touches_core=event.touches_core, reason=event.reason,
            protocol=protocol, stage_after=new.stage, status_after=new.status, recorded_by=user,
        ))
        version.stage, version.status = new.stage, new.status

    @staticmethod
    def _events(s: Session, version_id: int) -> list[Event]:
        rows = s.scalars(select(AiStageEvent).where(AiStageEvent.version_id == version_id)
                         .order_by(AiStageEvent.seq)).all()
        return [Event(on=r.happened_on, action=r.action, stage=r.stage, reason=r.reason, critical=r.critical,
                      touches_core=r.touches_core) for r in rows]

    def history(self, version_id: int) -> list[dict[str, Any]]:
        with Session(self.engine) as s:
            rows = s.scalars(select(AiStageEvent).where(AiStageEvent.version_id == version_id)
                             .order_by(AiStageEvent.seq)).all()
            return [{"seq": r.seq, "on": r.happened_on.isoformat(), "action": r.action, "stage": r.stage,
                     "critical": r.critical, "touches_core": r.touches_core, "reason": r.reason,
                     "protocol": r.protocol, "stage_after": r.stage_after, "status_after": r.status_after,
                     "recorded_by": r.recorded_by} for r in rows]

    def versions(self) -> list[dict[str, Any]]:
        with Session(self.engine) as s:
            rows = s.execute(select(AiService.code, AiService.name, AiVersion.version, AiVersion.stage,
                                    AiVersion.status, AiVersion.id).join(AiService)
                             .order_by(AiService.code, AiVersion.id)).all()
        return [dict(r._mapping) for r in rows]

    def protocols(self, version_id: int) -> list[dict[str, Any]]:
        with Session(self.engine) as s:
            rows = s.scalars(select(AiProtocol).where(AiProtocol.version_id == version_id)
                             .order_by(AiProtocol.id)).all()
            return [{"number": r.number, "kind": r.kind, "issued_on": r.issued_on.isoformat(), "period": r.period,
                     "decision": r.decision, "payload": r.payload} for r in rows]
