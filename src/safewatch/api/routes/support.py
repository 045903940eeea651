"""Safe-accommodation stays, patrol plans and relocation support of a case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import STAFF, SessionDep, allow
from safewatch.core.roles import Role
from safewatch.schemas.resources import (
    PatrolLogCreate,
    PatrolLogPublic,
    PatrolPlanCreate,
    PatrolPlanPublic,
    RelocationStepChange,
    RelocationStepCreate,
    RelocationStepPublic,
    StayCheckOut,
    StayCreate,
    StayExtend,
    StayPublic,
)
from safewatch.services import cases, support
from safewatch.services.context import Caller

router = APIRouter(prefix="/cases/{case_id}", tags=["support"])
Manager = Annotated[Caller, allow(*STAFF)]
Police = Annotated[Caller, allow(Role.admin, Role.officer)]


@router.get("/stays")
def list_stays(session: SessionDep, caller: Manager, case_id: uuid.UUID) -> list[StayPublic]:
    case = cases.get_case(session, caller, case_id, "stays viewed")
    return [StayPublic.model_validate(s) for s in support.list_stays(session, case)]


@router.post("/stays", status_code=201)
def open_stay(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, data: StayCreate
) -> StayPublic:
    case = cases.get_case(session, caller, case_id, "stay booked", manage=True)
    return StayPublic.model_validate(support.open_stay(session, caller, case, data))


@router.post("/stays/{stay_id}/extend")
def extend_stay(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, stay_id: uuid.UUID, data: StayExtend
) -> StayPublic:
    """A later planned check-out for a stay under way."""
    case = cases.get_case(session, caller, case_id, "stay extended", manage=True)
    return StayPublic.model_validate(support.extend_stay(session, caller, case, stay_id, data))


@router.post("/stays/{stay_id}/check-out")
def check_out(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, stay_id: uuid.UUID, data: StayCheckOut
) -> StayPublic:
    case = cases.get_case(session, caller, case_id, "stay ended", manage=True)
    return StayPublic.model_validate(support.check_out(session, caller, case, stay_id, data))


@router.get("/patrol-plans")
def list_patrol_plans(
    session: SessionDep, caller: Manager, case_id: uuid.UUID
) -> list[PatrolPlanPublic]:
    case = cases.get_case(session, caller, case_id, "patrol plans viewed")
    return [PatrolPlanPublic.model_validate(p) for p in support.list_patrol_plans(session, case)]


@router.post("/patrol-plans", status_code=201)
def create_patrol_plan(
    session: SessionDep, caller: Police, case_id: uuid.UUID, data: PatrolPlanCreate
) -> PatrolPlanPublic:
    case = cases.get_case(session, caller, case_id, "patrol plan made", manage=True)
    return PatrolPlanPublic.model_validate(support.create_patrol_plan(session, caller, case, data))


@router.post("/patrol-plans/{plan_id}/end")
def end_patrol_plan(
    session: SessionDep, caller: Police, case_id: uuid.UUID, plan_id: uuid.UUID
) -> PatrolPlanPublic:
    case = cases.get_case(session, caller, case_id, "patrol plan ended", manage=True)
    return PatrolPlanPublic.model_validate(support.end_patrol_plan(session, caller, case, plan_id))


@router.post("/patrol-plans/{plan_id}/logs", status_code=201)
def log_patrol(
    session: SessionDep,
    caller: Police,
    case_id: uuid.UUID,
    plan_id: uuid.UUID,
    data: PatrolLogCreate,
) -> PatrolLogPublic:
    case = cases.get_case(session, caller, case_id, "patrol logged", manage=True)
    return PatrolLogPublic.model_validate(support.log_patrol(session, caller, case, plan_id, data))


@router.get("/relocation-steps")
def list_relocation(
    session: SessionDep, caller: Manager, case_id: uuid.UUID
) -> list[RelocationStepPublic]:
    case = cases.get_case(session, caller, case_id, "relocation viewed")
    return [RelocationStepPublic.model_validate(s) for s in support.list_relocation(session, case)]


@router.post("/relocation-steps", status_code=201)
def add_relocation_step(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, data: RelocationStepCreate
) -> RelocationStepPublic:
    case = cases.get_case(session, caller, case_id, "relocation planned", manage=True)
    return RelocationStepPublic.model_validate(
        support.add_relocation_step(session, caller, case, data)
    )


@router.patch("/relocation-steps/{step_id}")
def change_relocation_step(
    session: SessionDep,
    caller: Manager,
    case_id: uuid.UUID,
    step_id: uuid.UUID,
    data: RelocationStepChange,
) -> RelocationStepPublic:
    case = cases.get_case(session, caller, case_id, "relocation updated", manage=True)
    return RelocationStepPublic.model_validate(
        support.change_relocation_step(session, caller, case, step_id, data)
    )
