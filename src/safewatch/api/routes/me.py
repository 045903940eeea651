"""What a protected person sees of their own case."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import select

from safewatch.api.deps import ALL_ROLES, AlertingDep, SessionDep, allow
from safewatch.cases.guidance import Language, guidance_for
from safewatch.cases.measures import MeasureKind, MeasureStatus
from safewatch.cases.risk import RiskLevel
from safewatch.core.errors import NotFound
from safewatch.core.roles import Role
from safewatch.incidents.device_health import DeviceCondition
from safewatch.models import Agency, Device
from safewatch.models.resources import DeviceKind
from safewatch.schemas.cases import GuidancePublic, MeasurePublic
from safewatch.schemas.common import Schema
from safewatch.schemas.resources import PatrolWindow
from safewatch.services import camera_watch, cases, engagement, support
from safewatch.services.context import Caller

router = APIRouter(tags=["protected person"])


class MyDevice(Schema):
    kind: DeviceKind
    serial: str
    # What the app may say of it: "never seen" is issued but never connected (she must not
    # rely on it; staff check it with her), "offline"/"late" not working now, "ok" working.
    condition: DeviceCondition


class MyStay(Schema):
    place_name: str
    check_in: date
    planned_check_out: date


class MyCase(Schema):
    reference: str
    risk_level: RiskLevel | None
    guidance: list[str]
    measures: list[MeasurePublic]
    missing_measures: list[MeasureKind]
    current_stay: MyStay | None
    patrol_windows: list[PatrolWindow]
    officer_station_phone: str | None
    devices: list[MyDevice]  # issued to the case (the watch, the bell, the home's cameras)


@router.get("/guidance")
def guidance(
    _caller: Annotated[Caller, allow(*ALL_ROLES)],
    level: RiskLevel | None = None,
    language: Language = Language.ko,
) -> GuidancePublic:
    return GuidancePublic(level=level, language=language, items=guidance_for(level, language))


@router.get("/me/case")
def my_case(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.protected_person)],
    alerting: AlertingDep,
    language: Language | None = None,
) -> MyCase:
    found, _ = cases.list_cases(session, caller, 1, 1)
    if not found:
        raise NotFound("no open case is linked to your account")
    case = cases.get_case(session, caller, found[0].id, "own case viewed")
    engagement.opened_app(case.protected_person, alerting.clock())
    lang = language or Language(case.protected_person.language)
    stay = next((s for s in support.list_stays(session, case) if s.check_out is None), None)
    plans = [p for p in support.list_patrol_plans(session, case) if p.active]
    station = session.get(Agency, case.police_station_id)
    issued = list(
        session.scalars(
            select(Device)
            .where(
                Device.case_id == case.id,
                # His monitor is linked to her case, but it is not a device of hers.
                Device.kind != DeviceKind.offender_monitor,
            )
            .order_by(Device.kind, Device.serial)
        )
    )
    shown = camera_watch.devices_public(session, issued, alerting.clock(), alerting.silence)
    return MyCase(
        reference=case.reference,
        risk_level=case.risk_level,
        guidance=guidance_for(case.risk_level, lang),
        measures=[
            MeasurePublic.model_validate(m)
            for m in case.measures
            if m.status is not MeasureStatus.ended
        ],
        missing_measures=cases.missing_measures(case),
        current_stay=MyStay.model_validate(stay) if stay else None,
        patrol_windows=[PatrolWindow.model_validate(w) for p in plans for w in p.windows],
        officer_station_phone=station.phone if station else None,
        devices=[MyDevice.model_validate(d) for d in shown],
    )
