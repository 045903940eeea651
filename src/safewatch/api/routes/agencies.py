from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from safewatch.api.deps import ALL_ROLES, SessionDep, allow
from safewatch.core.errors import Conflict
from safewatch.core.roles import Role
from safewatch.models import Agency
from safewatch.schemas.people import AgencyCreate, AgencyPublic
from safewatch.services.context import Caller

router = APIRouter(prefix="/agencies", tags=["agencies"])


@router.get("")
def list_agencies(
    session: SessionDep, _caller: Annotated[Caller, allow(*ALL_ROLES)]
) -> list[AgencyPublic]:
    return [
        AgencyPublic.model_validate(a)
        for a in session.scalars(select(Agency).order_by(Agency.kind, Agency.name))
    ]


@router.post("", status_code=201)
def create_agency(
    session: SessionDep, caller: Annotated[Caller, allow(Role.admin)], data: AgencyCreate
) -> AgencyPublic:
    if session.scalar(select(Agency.id).where(Agency.name == data.name)):
        raise Conflict(f"an agency named '{data.name}' exists")
    agency = Agency(**data.model_dump())
    session.add(agency)
    session.flush()
    caller.record(session, "create", "agency", agency.id, "agency added")
    return AgencyPublic.model_validate(agency)
