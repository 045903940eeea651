"""The dashboard's figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from safewatch.api.deps import STAFF, AlertingDep, SessionDep, SettingsDep, allow
from safewatch.core.roles import Role
from safewatch.incidents.device_health import DeviceCondition
from safewatch.schemas.common import Schema
from safewatch.services import stats
from safewatch.services.context import Caller

router = APIRouter(prefix="/stats", tags=["dashboard"])
Viewer = Annotated[Caller, allow(*STAFF, Role.security_operator)]


class ResponseRowPublic(Schema):
    group: str
    incidents: int
    to_acknowledged_s: float | None
    to_dispatched_s: float | None
    to_on_scene_s: float | None


class ResponseTimes(Schema):
    open_incidents: int
    by_week: list[ResponseRowPublic]
    by_site: list[ResponseRowPublic]


class CameraHealthPublic(Schema):
    serial: str
    case_reference: str | None
    state: DeviceCondition
    last_seen_at: datetime | None
    note: str
    undelivered_count: int
    problem: str | None
    offline_incident: str | None  # the open camera_offline incident that makes it offline


@router.get("/response-times")
def response_times(
    session: SessionDep,
    caller: Viewer,
    alerting: AlertingDep,
    settings: SettingsDep,
    weeks: Annotated[int, Query(ge=1, le=104)] = 8,
) -> ResponseTimes:
    """Median seconds from the alert to acknowledged, guards dispatched and on scene, per ISO
    week and per site (case), over the caller's cases."""
    zone = ZoneInfo(settings.timezone)
    by_week, by_site, open_now = stats.response_times(
        session, caller, alerting.clock(), weeks, zone
    )
    caller.record(session, "read", "incident", None, "response times viewed")
    return ResponseTimes(
        open_incidents=open_now,
        by_week=[ResponseRowPublic.model_validate(r) for r in by_week],
        by_site=[ResponseRowPublic.model_validate(r) for r in by_site],
    )


@router.get("/cameras")
def cameras(session: SessionDep, caller: Viewer, alerting: AlertingDep) -> list[CameraHealthPublic]:
    """Every installed camera of the caller's cases: ok, starting, degraded, restarting,
    late, offline or never seen, and what each could not deliver."""
    cameras = stats.camera_health(session, caller, alerting.clock(), alerting.silence.camera)
    return [CameraHealthPublic.model_validate(c) for c in cameras]
