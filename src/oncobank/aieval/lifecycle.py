"""The seven-stage lifecycle of a service version as a state machine: which step may follow which, and why not.

Pure rules: a state and an event in, the next state out (or a LifecycleError naming the rule). The register
replays a version's stored events through `apply` before it accepts a new one, so the history is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from dateutil.relativedelta import relativedelta

from oncobank.aieval.errors import LifecycleError

STAGES: tuple[str, ...] = (
    "self_testing",
    "functional",
    "calibration",
    "technological_monitoring",
    "clinical_monitoring",
    "feedback",
    "finalisation",
)
MONITORING = ("technological_monitoring", "clinical_monitoring", "feedback")
ACTIONS = ("pass", "fail", "remark", "change", "reinstate")
STATUSES = ("active", "suspended", "excluded")

MAX_FUNCTIONAL_RETESTS = 2
SECOND_RETEST_WAIT = relativedelta(months=3)

# A passed test moves the version on; monitoring stages run side by side once calibration is passed.
NEXT_STAGE = {
    "self_testing": "functional",
    "functional": "calibration",
    "calibration": "technological_monitoring",
}
# After a change that leaves the core alone the service proceeds to the next stage at once (methodology §7); a
# failed functional test is the exception: §2 has it retested (at most twice), so it resumes at functional.
RESUME_AT = {
    **NEXT_STAGE,
    "functional": "functional",
    "technological_monitoring": "clinical_monitoring",
    "clinical_monitoring": "feedback",
    "feedback": "technological_monitoring",
}
EXCLUDED = ("the applicant failed functional testing and its two retests and has left the testing track for this "
            "service and clinical task; registering a new version does not start it again (an administrator may "
            "reinstate it: oncobank ai reinstate) [rule: excluded]")


@dataclass(frozen=True)
class Event:
    """One thing that happened to a version: a test passed or failed, a remark, or a software change."""

    on: date
    action: str
    stage: str
    reason: str
    critical: bool = False
    touches_core: bool = False  # for a change: declared functions, architecture or diagnostic accuracy


@dataclass(frozen=True)
class State:
    """Where a version is: its stage, its status, and what the retest rules need to remember."""

    stage: str = "self_testing"
    status: str = "active"
    suspended_at: str | None = None  # the stage whose critical failure suspended the version
    functional_failures: tuple[date, ...] = ()  # failed functional protocols since the last pass
    last_event: date | None = None
    open_remarks: int = 0


def _check_event(event: Event) -> None:
    if event.action not in ACTIONS:
        raise LifecycleError(f"unknown action {event.action!r}; expected one of {', '.join(ACTIONS)}")
    if event.stage not in STAGES:
        raise LifecycleError(f"unknown stage {event.stage!r}; expected one of {', '.join(STAGES)}")
    if not event.reason.strip():
        raise LifecycleError("every step needs a reason (it is kept in the history)")


def _same_stage(state: State, stage: str) -> bool:
    if state.stage == stage:
        return True
    return state.stage in MONITORING and stage in MONITORING


def _check_functional_retest(state: State, on: date) -> None:
    """At most two retests; the second no earlier than 3 months after the last failed protocol."""
    failures = state.functional_failures
    if len(failures) == MAX_FUNCTIONAL_RETESTS:
        earliest = failures[-1] + SECOND_RETEST_WAIT
        if on < earliest:
            raise LifecycleError(
                f"the second functional retest may not be earlier than 3 months after the failed protocol of "
                f"{failures[-1].isoformat()}: {on.isoformat()} is before {earliest.isoformat()} "
                "[rule: second_retest_wait]"
            )


def _result(state: State, event: Event) -> State:
    """A test or monitoring result (pass or fail) at the version's current stage."""
    if state.status != "active":
        raise LifecycleError(
            f"the version is {state.status} at stage {state.stage}; record a change (finalisation) first "
            "[rule: suspended]"
        )
    if not _same_stage(state, event.stage):
        raise LifecycleError(
            f"a {event.stage} result cannot be recorded while the version is at stage {state.stage} "
            "[rule: stage_order]"
        )
    if event.stage == "functional":
        _check_functional_retest(state, event.on)
    if event.action == "pass":
        if event.stage == "functional":
            state = replace(state, functional_failures=())
        return replace(state, stage=NEXT_STAGE.get(event.stage, event.stage))
    # A failed self-test only means "not compatible yet": the supplier may try again.
    if event.stage == "self_testing":
        return state
    if event.stage == "functional":
        failures = (*state.functional_failures, event.on)
        if len(failures) > MAX_FUNCTIONAL_RETESTS:
            return replace(state, functional_failures=failures, status="excluded", suspended_at="functional")
        return replace(state, functional_failures=failures, status="suspended", stage="finalisation",
                       suspended_at="functional")
    if not event.critical:
        raise LifecycleError(
            f"a failed {event.stage} result is a critical nonconformity; record a non-critical finding as a "
            "remark [rule: fail_is_critical]"
        )
    return replace(state, status="suspended", stage="finalisation", suspended_at=event.stage)


def _change(state: State, event: Event) -> State:
    """The supplier's refinement: back to functional testing if it touches the core, else on to the next stage."""
    if event.touches_core:
        return replace(state, stage="functional", status="active", suspended_at=None, open_remarks=0)
    if state.status == "suspended":
        failed = state.suspended_at or state.stage
        return replace(state, stage=RESUME_AT.get(failed, failed), status="active", suspended_at=None,
                       open_remarks=0)
    return replace(state, open_remarks=0)


def _reinstate(state: State, event: Event) -> State:
    """The administrator's override of an exclusion: functional testing again, the retest count from zero."""
    if state.status != "excluded":
        raise LifecycleError(f"only an excluded version can be reinstated; this one is {state.status} "
                             "[rule: reinstate]")
    return replace(state, stage="functional", status="active", suspended_at=None, functional_failures=(),
                   open_remarks=0)


def apply(state: State, event: Event) -> State:
    """The state after `event`, or LifecycleError naming the rule the event breaks."""
    _check_event(event)
    if state.last_event is not None and event.on < state.last_event:
        raise LifecycleError(
            f"events must be recorded in date order: {event.on.isoformat()} is before the last event of "
            f"{state.last_event.isoformat()} [rule: date_order]"
        )
    if event.action == "reinstate":
        return replace(_reinstate(state, event), last_event=event.on)
    if state.status == "excluded":
        raise LifecycleError(EXCLUDED)
    if event.action in ("pass", "fail"):
        new = _result(state, event)
    elif event.action == "remark":
        if event.critical:
            raise LifecycleError("a critical finding is a failed result, not a remark [rule: remark_not_critical]")
        new = replace(state, open_remarks=state.open_remarks + 1)
    else:
        new = _change(state, event)
    return replace(new, last_event=event.on)


def replay(events: list[Event]) -> State:
    """The state a history of events leads to (each event checked against the rules in turn)."""
    state = State()
    for event in events:
        state = apply(state, event)
    return state
