"""The lifecycle rules: stage order, suspension, functional retests (count and 3-month wait), core changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from oncobank.aieval.errors import LifecycleError
from oncobank.aieval.lifecycle import Event, State, apply, replay
from oncobank.aieval.register import Register
from oncobank.aieval.thresholds import Thresholds
from oncobank.store.db import connect


def ev(on: str, action: str, stage: str, **kw: object) -> Event:
    return Event(on=date.fromisoformat(on), action=action, stage=stage, reason=f"{action} {stage}", **kw)  # type: ignore[arg-type]


TO_MONITORING = [
    ev("2026-01-10", "pass", "self_testing"),
    ev("2026-01-20", "pass", "functional"),
    ev("2026-02-01", "pass", "calibration"),
]


def test_passes_move_through_the_testing_stages_to_monitoring() -> None:
    state = State()
    stages = []
    for e in TO_MONITORING:
        state = apply(state, e)
        stages.append(state.stage)
    assert stages == ["functional", "calibration", "technological_monitoring"]
    # the monitoring stages run side by side
    state = apply(state, ev("2026-03-01", "pass", "clinical_monitoring"))
    state = apply(state, ev("2026-03-02", "pass", "feedback"))
    state = apply(state, ev("2026-03-03", "pass", "technological_monitoring"))
    assert (state.stage, state.status) == ("technological_monitoring", "active")


def test_a_stage_cannot_be_skipped() -> None:
    with pytest.raises(LifecycleError, match="stage_order"):
        apply(State(), ev("2026-01-10", "pass", "calibration"))
    with pytest.raises(LifecycleError, match="stage_order"):
        replay([ev("2026-01-10", "pass", "self_testing"), ev("2026-01-11", "pass", "technological_monitoring")])


def test_critical_failure_suspends_until_a_change() -> None:
    state = replay([*TO_MONITORING, ev("2026-03-01", "fail", "technological_monitoring", critical=True)])
    assert (state.stage, state.status, state.suspended_at) == ("finalisation", "suspended", "technological_monitoring")
    with pytest.raises(LifecycleError, match="suspended"):
        apply(state, ev("2026-03-05", "pass", "technological_monitoring"))
    resumed = apply(state, ev("2026-03-10", "change", "finalisation", touches_core=False))
    # a change that leaves the core alone: on to the next stage at once (it used to repeat the failed one)
    assert (resumed.stage, resumed.status) == ("clinical_monitoring", "active")


def test_a_non_core_change_proceeds_to_the_next_stage() -> None:
    """Issue 17 (§7): after a failed calibration and a non-core fix the service went back to calibration."""
    failed = replay([*TO_MONITORING[:2], ev("2026-02-01", "fail", "calibration", critical=True)])
    assert (failed.stage, failed.status, failed.suspended_at) == ("finalisation", "suspended", "calibration")
    fixed = apply(failed, ev("2026-02-10", "change", "finalisation"))
    assert (fixed.stage, fixed.status) == ("technological_monitoring", "active")
    assert apply(fixed, ev("2026-03-01", "pass", "technological_monitoring")).status == "active"
    with pytest.raises(LifecycleError, match="stage_order"):  # calibration is not repeated
        apply(fixed, ev("2026-03-01", "pass", "calibration"))
    # a core change still repeats functional and calibration testing
    assert apply(failed, ev("2026-02-10", "change", "finalisation", touches_core=True)).stage == "functional"


def test_a_change_touching_the_core_sends_the_version_back_to_functional_testing() -> None:
    monitored = replay(TO_MONITORING)
    changed = apply(monitored, ev("2026-04-01", "change", "finalisation", touches_core=True))
    assert (changed.stage, changed.status) == ("functional", "active")
    # and after functional, calibration must be passed again before monitoring
    again = apply(changed, ev("2026-04-10", "pass", "functional"))
    assert again.stage == "calibration"
    suspended = apply(monitored, ev("2026-03-01", "fail", "clinical_monitoring", critical=True))
    assert apply(suspended, ev("2026-03-20", "change", "finalisation", touches_core=True)).stage == "functional"


def test_monitoring_failure_must_be_critical_and_remarks_are_not() -> None:
    monitored = replay(TO_MONITORING)
    with pytest.raises(LifecycleError, match="fail_is_critical"):
        apply(monitored, ev("2026-03-01", "fail", "clinical_monitoring", critical=False))
    with pytest.raises(LifecycleError, match="remark_not_critical"):
        apply(monitored, ev("2026-03-01", "remark", "clinical_monitoring", critical=True))
    remarked = apply(monitored, ev("2026-03-01", "remark", "clinical_monitoring"))
    assert (remarked.status, remarked.open_remarks) == ("active", 1)


FIRST_FAIL = [ev("2026-01-10", "pass", "self_testing"), ev("2026-01-20", "fail", "functional", critical=True)]


def test_functional_retests_first_any_time_second_not_before_three_months() -> None:
    state = replay(FIRST_FAIL)
    assert (state.stage, state.status) == ("finalisation", "suspended")
    state = apply(state, ev("2026-01-25", "change", "finalisation"))
    assert state.stage == "functional"
    # first retest: any time (five days after the failure)
    state = apply(state, ev("2026-01-25", "fail", "functional", critical=True))
    state = apply(state, ev("2026-02-01", "change", "finalisation"))
    # second retest: 2026-01-25 + 3 months = 2026-04-25; the day before is refused
    with pytest.raises(LifecycleError, match="2026-04-25") as exc:
        apply(state, ev("2026-04-24", "pass", "functional"))
    assert "second_retest_wait" in str(exc.value)
    assert apply(state, ev("2026-04-25", "pass", "functional")).stage == "calibration"


def test_two_failed_retests_leave_the_track() -> None:
    state = replay([
        *FIRST_FAIL,
        ev("2026-01-25", "change", "finalisation"),
        ev("2026-01-26", "fail", "functional", critical=True),
        ev("2026-02-01", "change", "finalisation"),
        ev("2026-05-01", "fail", "functional", critical=True),
    ])
    assert state.status == "excluded"
    for action in ("change", "pass"):
        with pytest.raises(LifecycleError, match="excluded") as exc:
            apply(state, ev("2026-09-01", action, "functional"))
        assert "does not start it again" in str(exc.value) and "register a new version" not in str(exc.value)
    # the administrator's override: functional testing again, with the retest count from zero
    back = apply(state, ev("2026-09-01", "reinstate", "functional"))
    assert (back.stage, back.status, back.functional_failures) == ("functional", "active", ())
    with pytest.raises(LifecycleError, match="rule: reinstate"):
        apply(back, ev("2026-09-02", "reinstate", "functional"))


def test_a_functional_pass_resets_the_retest_count() -> None:
    state = replay([
        *FIRST_FAIL,
        ev("2026-01-25", "change", "finalisation"),
        ev("2026-01-26", "pass", "functional"),
        ev("2026-02-01", "pass", "calibration"),
        ev("2026-03-01", "change", "finalisation", touches_core=True),
    ])
    assert state.functional_failures == ()
    state = apply(state, ev("2026-03-02", "fail", "functional", critical=True))
    assert state.functional_failures == (date(2026, 3, 2),)


def test_events_go_in_date_order_and_need_a_reason() -> None:
    state = replay(TO_MONITORING)
    with pytest.raises(LifecycleError, match="date_order"):
        apply(state, ev("2026-01-01", "pass", "feedback"))
    with pytest.raises(LifecycleError, match="reason"):
        apply(state, Event(date(2026, 5, 1), "pass", "feedback", reason=" "))


def test_register_keeps_the_history_and_refuses_broken_rules(store_url: str) -> None:
    engine = connect(store_url)
    reg = Register(engine)
    reg.set_task("lung_nodules_ct", "Lung nodules on CT", "Узлы в лёгких на КТ", Thresholds(min_auc=0.91))
    reg.add_service("svc-a", "Nodule finder", supplier="S", developer="D", modality="CT", region="chest",
                    patient_group="adults", task="lung_nodules_ct")
    vid = reg.add_version("svc-a", "1.0", {"auc": 0.93}, date(2026, 1, 1))
    assert reg.info(vid).thresholds.min_auc == 0.91
    for e in TO_MONITORING:
        reg.record(vid, e, user="tester")
    with pytest.raises(LifecycleError, match="date_order"):
        reg.record(vid, ev("2026-01-01", "pass", "feedback"), user="tester")
    reg.record(vid, ev("2026-03-01", "fail", "technological_monitoring", critical=True), user="tester",
               protocol="TM-2026-0001")
    info = reg.info(vid)
    assert (info.stage, info.status) == ("finalisation", "suspended")
    hist = reg.history(vid)
    assert [h["seq"] for h in hist] == [1, 2, 3, 4]
    assert hist[-1]["on"] == "2026-03-01" and hist[-1]["protocol"] == "TM-2026-0001"
    assert hist[-1]["reason"] == "fail technological_monitoring"
    assert [h["status_after"] for h in hist] == ["active", "active", "active", "suspended"]
    numbers = []
    for _ in range(2):
        with reg.issuing(vid, "calibration", date(2026, 2, 1), "pass", {"auc": 0.93}) as issued:
            numbers.append(issued.number)
    assert numbers == ["CT-2026-0001", "CT-2026-0002"]
    with engine.connect() as c:
        assert c.execute(text("select count(*) from ai_stage_event")).scalar() == 4
    engine.dispose()


def test_a_protocol_whose_block_fails_is_not_kept(store_url: str) -> None:
    """Issuing is one transaction: a protocol whose file cannot be written keeps neither its number nor its step."""
    engine = connect(store_url)
    reg = Register(engine)
    reg.set_task("t", "Task", "Задача")
    reg.add_service("svc", "Finder", supplier="S", developer="D", modality="CT", region="chest",
                    patient_group="adults", task="t")
    vid = reg.add_version("svc", "1.0", {}, date(2026, 1, 1))
    reg.record(vid, ev("2026-01-02", "pass", "self_testing"), user="tester")
    step = ev("2026-01-03", "pass", "functional")
    with (pytest.raises(OSError, match="disk full"),
          reg.issuing(vid, "functional", step.on, "pass", {}, event=step, user="tester") as issued):
        assert (issued.number, issued.state.stage) == ("FT-2026-0001", "calibration")
        raise OSError("disk full")
    assert reg.protocols(vid) == [] and len(reg.history(vid)) == 1 and reg.info(vid).stage == "functional"
    skipping = ev("2026-01-03", "pass", "calibration")
    with (pytest.raises(LifecycleError, match="stage_order"),  # a broken rule is refused before numbering
          reg.issuing(vid, "calibration", step.on, "pass", {}, event=skipping)):
        pytest.fail("the block must not run")
    with reg.issuing(vid, "functional", step.on, "pass", {}, event=step, user="tester") as issued:
        assert issued.number == "FT-2026-0001"
    assert [h["protocol"] for h in reg.history(vid)] == [None, "FT-2026-0001"]
    assert reg.info(vid).stage == "calibration"
    engine.dispose()


EXCLUDING = [ev("2026-01-10", "pass", "self_testing"), ev("2026-01-20", "fail", "functional", critical=True),
             ev("2026-01-25", "change", "finalisation"), ev("2026-01-26", "fail", "functional", critical=True),
             ev("2026-02-01", "change", "finalisation"), ev("2026-05-01", "fail", "functional", critical=True)]


def _service(reg: Register, code: str = "svc", name: str = "Finder") -> None:
    reg.add_service(code, name, supplier="S", developer="D", modality="CT", region="chest", patient_group="adults",
                    task="t")


def test_exclusion_is_the_applicant_s_for_the_service_and_task(store_url: str) -> None:
    """Issue 17: after two failed retests a new version number started the track again."""
    engine = connect(store_url)
    reg = Register(engine)
    reg.set_task("t", "Task", "Задача")
    reg.set_task("t2", "Other task", "Другая задача")
    _service(reg)
    vid = reg.add_version("svc", "1.0", {}, date(2026, 1, 1))
    for e in EXCLUDING:
        reg.record(vid, e, user="tester")
    assert reg.info(vid).status == "excluded"
    with pytest.raises(LifecycleError, match=r"version 1\.0 of 'svc'.*does not start it again.*\[rule: excluded\]"):
        reg.add_version("svc", "1.1", {}, date(2026, 6, 1))
    with pytest.raises(LifecycleError, match="rule: excluded"):  # the same service under another code
        _service(reg, "svc-again")
    reg.add_service("svc-other", "Finder", supplier="S", developer="D", modality="CT", region="chest",
                    patient_group="adults", task="t2")  # another clinical task is another track
    reg.record(vid, ev("2026-06-01", "reinstate", "functional"), user="admin")
    assert (reg.info(vid).stage, reg.info(vid).status) == ("functional", "active")
    assert reg.add_version("svc", "1.1", {}, date(2026, 6, 2)) > vid
    assert reg.history(vid)[-1]["action"] == "reinstate" and reg.history(vid)[-1]["recorded_by"] == "admin"
    engine.dispose()


def test_task_set_keeps_the_thresholds_not_given(store_url: str) -> None:
    """Follow-up of issue 17: setting one threshold reset the others to their defaults."""
    engine = connect(store_url)
    reg = Register(engine)
    reg.set_task("t", "Task", "Задача", changes={"min_auc": 0.91, "max_defect_rate": 0.05})
    kept = reg.set_task("t", changes={"clinical_max_errors": 0.2})
    assert (kept.min_auc, kept.max_defect_rate, kept.clinical_max_errors, kept.min_processed) == (0.91, 0.05, 0.2, 0.9)
    _service(reg)
    assert reg.info(reg.add_version("svc", "1.0", {}, date(2026, 1, 1))).thresholds == kept
    with pytest.raises(ValueError, match="needs its names"):
        reg.set_task("new", changes={"min_auc": 0.9})
    engine.dispose()


def _issue_many(url: str, key: str | None, count: int) -> list[str]:
    """Issue `count` impact protocols of version 1 (one process of the race test)."""
    import os

    from oncobank.store.chain import KEY_ENV

    if key is not None:
        os.environ[KEY_ENV] = key
    engine = connect(url)
    reg = Register(engine)
    numbers = []
    for _ in range(count):
        with reg.issuing(1, "impact", date(2026, 3, 1), "report", {}) as issued:
            numbers.append(issued.number)
    engine.dispose()
    return numbers


def test_protocol_numbers_do_not_race(store_url: str) -> None:
    """Follow-up of issue 17: two processes numbering protocols at once took the same number on PostgreSQL."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from oncobank.store.chain import KEY_ENV

    engine = connect(store_url)
    reg = Register(engine)
    reg.set_task("t", "Task", "Задача")
    _service(reg)
    assert reg.add_version("svc", "1.0", {}, date(2026, 1, 1)) == 1
    engine.dispose()
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        runs = [pool.submit(_issue_many, store_url, os.environ.get(KEY_ENV), 15) for _ in range(2)]
        numbers = [n for run in runs for n in run.result()]
    assert sorted(numbers) == [f"IA-2026-{i:04d}" for i in range(1, 31)]
