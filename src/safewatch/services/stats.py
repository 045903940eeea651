"""Figures for the dashboard: how fast each alert was answered, week by week and site by site,
and how the cameras are doing. Computed from incidents and devices the caller may see."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.incidents.device_health import DeviceCondition, condition, problem
from safewatch.incidents.lifecycle import IncidentStatus
from safewatch.models import Case, Device, Incident
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.services import camera_watch
from safewatch.services.cases import scope_filter
from safewatch.services.context import Caller


@dataclass(frozen=True)
class ResponseRow:
    group: str  # an ISO week (2026-W48) or a site (the case reference)
    incidents: int
    to_acknowledged_s: float | None  # medians, seconds from the alert
    to_dispatched_s: float | None
    to_on_scene_s: float | None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _rows(groups: dict[str, list[Incident]]) -> list[ResponseRow]:
    def since(i: Incident, at: datetime | None) -> float | None:
        return (at - i.created_at).total_seconds() if at is not None else None

    rows = []
    for group in sorted(groups):
        items = groups[group]
        steps = {
            name: [s for i in items if (s := since(i, getattr(i, name))) is not None]
            for name in ("acknowledged_at", "dispatched_at", "on_scene_at")
        }
        rows.append(
            ResponseRow(
                group,
                len(items),
                _median(steps["acknowledged_at"]),
                _median(steps["dispatched_at"]),
                _median(steps["on_scene_at"]),
            )
        )
    return rows


def response_times(
    session: Session, caller: Caller, now: datetime, weeks: int, zone: ZoneInfo
) -> tuple[list[ResponseRow], list[ResponseRow], int]:
    """(per week in the region's time zone, per site, open incidents now) over the last
    ``weeks`` weeks."""
    rows = session.execute(
        select(Incident, Case.reference)
        .join(Case, Case.id == Incident.case_id)
        .where(scope_filter(caller), Incident.created_at >= now - timedelta(weeks=weeks))
    ).all()
    by_week: dict[str, list[Incident]] = {}
    by_site: dict[str, list[Incident]] = {}
    open_now = 0
    for incident, reference in rows:
        year, week, _ = incident.created_at.astimezone(zone).isocalendar()
        by_week.setdefault(f"{year}-W{week:02d}", []).append(incident)
        by_site.setdefault(reference, []).append(incident)
        open_now += incident.status is not IncidentStatus.closed
    return _rows(by_week), _rows(by_site), open_now


@dataclass(frozen=True)
class CameraHealth:
    serial: str
    case_reference: str | None
    state: DeviceCondition  # offline while an outage is open or its heartbeat is old, …
    last_seen_at: datetime | None
    note: str
    undelivered_count: int
    problem: str | None  # "door: 3 events could not be delivered: …"
    offline_incident: str | None = None  # the open camera_offline incident, if any


def camera_health(
    session: Session, caller: Caller, now: datetime, silent_after: timedelta
) -> list[CameraHealth]:
    rows = session.execute(
        select(Device, Case.reference)
        .join(Case, Case.id == Device.case_id)
        .where(
            scope_filter(caller),
            Device.kind == DeviceKind.camera,
            Device.status == DeviceStatus.assigned,
        )
        .order_by(Device.serial)
    ).all()
    outages = camera_watch.open_outages(session, (device.id for device, _ in rows))
    return [
        CameraHealth(
            device.serial,
            reference,
            condition(
                device.last_seen_at, device.camera_state, now, silent_after, device.id in outages
            ),
            device.last_seen_at,
            device.health_note,
            device.undelivered_count,
            problem(device.serial, device.undelivered_count, device.undelivered),
            outages.get(device.id),
        )
        for device, reference in rows
    ]
