"""Safe-accommodation stays, patrol plans and logs, relocation support steps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.core.errors import Conflict, Invalid, NotFound
from safewatch.models import Case, PatrolLog, PatrolPlan, RelocationStep, Stay
from safewatch.models.resources import StepStatus
from safewatch.schemas.resources import (
    PatrolLogCreate,
    PatrolPlanCreate,
    RelocationStepChange,
    RelocationStepCreate,
    StayCheckOut,
    StayCreate,
    StayExtend,
)
from safewatch.services.context import Caller

MIN_STAY_NIGHTS = 10  # the programme's rule for safe accommodation


T = TypeVar("T", Stay, PatrolPlan, RelocationStep)


def _in_case(session: Session, model: type[T], case: Case, item_id: uuid.UUID) -> T:
    item = session.get(model, item_id)
    if item is None or item.case_id != case.id:
        raise NotFound(f"no such {model.__tablename__.replace('_', ' ')} in this case")
    return item


def list_stays(session: Session, case: Case) -> list[Stay]:
    return list(
        session.scalars(select(Stay).where(Stay.case_id == case.id).order_by(Stay.check_in))
    )


def open_stay(session: Session, caller: Caller, case: Case, data: StayCreate) -> Stay:
    nights = (data.planned_check_out - data.check_in).days
    if nights < MIN_STAY_NIGHTS:
        raise Invalid(
            f"a safe-accommodation stay is booked for at least {MIN_STAY_NIGHTS} nights; "
            f"this one has {nights}"
        )
    current = session.scalar(
        select(Stay.id).where(Stay.case_id == case.id, Stay.check_out.is_(None))
    )
    if current is not None:
        raise Conflict("the person is already in a stay; check out of it first")
    stay = Stay(case_id=case.id, **data.model_dump())
    session.add(stay)
    session.flush()
    caller.record(session, "create", "stay", stay.id, "safe accommodation booked", case.id)
    return stay


def extend_stay(
    session: Session, caller: Caller, case: Case, stay_id: uuid.UUID, data: StayExtend
) -> Stay:
    """A later planned check-out for a stay under way (the person cannot go home yet)."""
    stay = _in_case(session, Stay, case, stay_id)
    if stay.check_out is not None:
        raise Conflict("this stay has already ended")
    if data.planned_check_out <= stay.planned_check_out:
        raise Invalid("an extension ends after the planned check-out")
    before = stay.planned_check_out
    stay.planned_check_out = data.planned_check_out
    if data.note:
        stay.note = data.note
    session.flush()
    said = f"stay extended from {before} to {data.planned_check_out}"
    caller.record(session, "update", "stay", stay.id, said, case.id)
    return stay


def check_out(
    session: Session, caller: Caller, case: Case, stay_id: uuid.UUID, data: StayCheckOut
) -> Stay:
    stay = _in_case(session, Stay, case, stay_id)
    if stay.check_out is not None:
        raise Conflict("this stay has already ended")
    if data.check_out < stay.check_in:
        raise Invalid("check-out cannot come before check-in")
    nights = (data.check_out - stay.check_in).days
    if nights < MIN_STAY_NIGHTS and not data.note.strip():
        raise Invalid(
            f"the stay ends after {nights} nights, before the {MIN_STAY_NIGHTS}-night minimum: "
            "write why in the note"
        )
    stay.check_out = data.check_out
    if data.note:
        stay.note = data.note
    session.flush()
    caller.record(session, "update", "stay", stay.id, f"checked out after {nights} nights", case.id)
    return stay


def list_patrol_plans(session: Session, case: Case) -> list[PatrolPlan]:
    return list(
        session.scalars(
            select(PatrolPlan).where(PatrolPlan.case_id == case.id).order_by(PatrolPlan.created_at)
        )
    )


def create_patrol_plan(
    session: Session, caller: Caller, case: Case, data: PatrolPlanCreate
) -> PatrolPlan:
    plan = PatrolPlan(
        case_id=case.id,
        place=data.place,
        windows=[w.model_dump() for w in data.windows],
        logs=[],
    )
    session.add(plan)
    session.flush()
    caller.record(session, "create", "patrol_plan", plan.id, "patrol plan made", case.id)
    return plan


def end_patrol_plan(session: Session, caller: Caller, case: Case, plan_id: uuid.UUID) -> PatrolPlan:
    plan = _in_case(session, PatrolPlan, case, plan_id)
    plan.active = False
    session.flush()
    caller.record(session, "update", "patrol_plan", plan.id, "patrol plan ended", case.id)
    return plan


def _window_start(plan: PatrolPlan, at: datetime) -> time | None:
    """The planned window a patrol fell in (plan times are local wall-clock times)."""
    local = at.astimezone()  # the hub's local zone is the region's
    for w in plan.windows:
        start, end = time.fromisoformat(w["start"]), time.fromisoformat(w["end"])
        if local.weekday() in w["weekdays"] and start <= local.time() <= end:
            return start
    return None


def log_patrol(
    session: Session, caller: Caller, case: Case, plan_id: uuid.UUID, data: PatrolLogCreate
) -> PatrolLog:
    plan = _in_case(session, PatrolPlan, case, plan_id)
    if not plan.active:
        raise Conflict("this patrol plan has ended")
    at = data.patrolled_at
    if at.tzinfo is None:
        raise Invalid("patrolled_at needs a time zone, e.g. 2026-11-25T21:30:00+09:00")
    if at > datetime.now(UTC):
        raise Invalid("a patrol cannot be logged in the future")
    log = PatrolLog(
        plan_id=plan.id,
        patrolled_at=at,
        officer_id=caller.user_id,
        observation=data.observation,
        window_start=_window_start(plan, at),
    )
    session.add(log)
    plan.logs.append(log)
    session.flush()
    caller.record(session, "create", "patrol_log", log.id, "patrol logged", case.id)
    return log


def list_relocation(session: Session, case: Case) -> list[RelocationStep]:
    return list(
        session.scalars(
            select(RelocationStep)
            .where(RelocationStep.case_id == case.id)
            .order_by(RelocationStep.created_at)
        )
    )


def add_relocation_step(
    session: Session, caller: Caller, case: Case, data: RelocationStepCreate
) -> RelocationStep:
    step = RelocationStep(case_id=case.id, **data.model_dump())
    session.add(step)
    session.flush()
    caller.record(session, "create", "relocation_step", step.id, "relocation step", case.id)
    return step


def change_relocation_step(
    session: Session,
    caller: Caller,
    case: Case,
    step_id: uuid.UUID,
    data: RelocationStepChange,
) -> RelocationStep:
    step = _in_case(session, RelocationStep, case, step_id)
    if step.status is not StepStatus.planned:
        raise Conflict(f"this step is already {step.status.value}")
    step.status = data.status
    if data.status is StepStatus.done:
        step.done_at = datetime.now(UTC)
    if data.note:
        step.note = data.note
    session.flush()
    caller.record(session, "update", "relocation_step", step.id, f"step {data.status}", case.id)
    return step
