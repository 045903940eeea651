"""The home's plan: its picture, its ways in and what each camera covers (issue 23, point 3)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from safewatch.api.deps import STAFF, AlertingDep, PhotoStoreDep, SessionDep, allow
from safewatch.api.uploads import bounded_body
from safewatch.schemas.site_plan import SitePlanIn, SitePlanPublic
from safewatch.services import cases, site_plan
from safewatch.services.context import Caller

router = APIRouter(prefix="/cases/{case_id}/plan", tags=["cases"])
Staff = Annotated[Caller, allow(*STAFF)]


@router.get("")
def get_plan(session: SessionDep, caller: Staff, case_id: uuid.UUID) -> SitePlanPublic:
    """The ways in, which cameras see each, and the blind spots: the ways in none sees."""
    case = cases.get_case(session, caller, case_id, "home plan viewed")
    return site_plan.plan_of(session, case)


@router.put("")
def save_plan(
    session: SessionDep, caller: Staff, alerting: AlertingDep, case_id: uuid.UUID, data: SitePlanIn
) -> SitePlanPublic:
    case = cases.get_case(session, caller, case_id, "home plan drawn", manage=True)
    return site_plan.save_plan(session, caller, case, data, alerting.clock())


@router.put("/picture", status_code=204)
async def put_picture(
    request: Request,
    session: SessionDep,
    caller: Staff,
    alerting: AlertingDep,
    store: PhotoStoreDep,
    case_id: uuid.UUID,
) -> None:
    """The home's plan or picture (JPEG or PNG), sealed at rest like the photos."""
    data = await bounded_body(request, site_plan.MAX_PICTURE_BYTES, "the plan's picture")
    case = cases.get_case(session, caller, case_id, "home plan picture", manage=True)
    site_plan.put_picture(session, caller, store, case, data, alerting.clock())


@router.get("/picture", response_class=Response)
def get_picture(
    session: SessionDep, caller: Staff, store: PhotoStoreDep, case_id: uuid.UUID
) -> Response:
    case = cases.get_case(session, caller, case_id, "home plan viewed")
    data, kind = site_plan.picture(session, store, case)
    return Response(data, media_type=kind, headers={"Cache-Control": "no-store"})
