"""The hub's watch over its cameras: a camera of a high or very-high case whose heartbeats
stop raises one ``camera_offline`` incident per silence; its next heartbeat says on the
timeline that it is back; the screens see each camera's true condition.

The silence uses the worker's own join key for ``camera_offline`` (``cam:<device>:
camera_offline``), and such an incident gathers every report of its key while it is open
(``policy.JOINS_WHILE_OPEN``): the worker's watchdog event and the hub's sweep about the same
outage make one incident, whichever comes first."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safewatch.cases.access import can_see_case
from safewatch.cases.risk import RiskLevel
from safewatch.incidents import decisions
from safewatch.incidents.device_health import Silence, condition, problem
from safewatch.incidents.effects import SYSTEM
from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import IncidentStatus
from safewatch.incidents.policy import Routing
from safewatch.incidents.state import Signal
from safewatch.models import Case, Device, Incident
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.schemas.resources import CameraStatus, DeviceHeartbeat, DevicePublic
from safewatch.services import camera_events, devices, incident_writer, signals
from safewatch.services.context import Caller
from safewatch.services.incident_writer import Change

WATCHED_LEVELS = (RiskLevel.high, RiskLevel.very_high)


def offline_key(device_id: uuid.UUID) -> str:
    """The join key of a camera's outage: the same as the worker's camera_offline event."""
    return f"cam:{device_id}:camera_offline"


def silent_cameras(
    session: Session, routing: Routing, now: datetime, silent_after: timedelta
) -> tuple[int, datetime | None]:
    """Raise (or join) ``camera_offline`` for each installed camera of an open high or
    very-high case not heard from for ``silent_after`` and not yet reported for this
    silence. Returns how many, and when the next camera would fall silent (the sweep's
    next run need not wait longer)."""
    d = Device
    rows = session.execute(
        select(d.id, d.serial, d.case_id, d.last_seen_at, d.camera_state, d.health_note)
        .join(Case, Case.id == d.case_id)
        .where(
            d.kind == DeviceKind.camera,
            d.status == DeviceStatus.assigned,
            d.silence_reported_at.is_(None),
            # Installed: heard from since it was assigned (``devices.assign`` forgets what
            # it said before); a camera not yet set up is not missing, it is "never seen".
            d.last_seen_at.is_not(None),
            Case.risk_level.in_(WATCHED_LEVELS),
            Case.closed_at.is_(None),
        )
    ).all()
    silent, next_due = [], None
    for row in rows:
        due = row.last_seen_at + silent_after
        if now < due:
            next_due = due if next_due is None else min(next_due, due)
            continue
        seconds = int((now - row.last_seen_at).total_seconds())
        said = f"; it last said: {row.health_note}" if row.health_note else ""
        silent.append(
            Signal(
                case_id=row.case_id,
                source=SignalSource.camera,
                type=IncidentKind.camera_offline,
                join_key=offline_key(row.id),
                actor=SYSTEM,
                summary=f"camera {row.serial} silent: no heartbeat for {seconds} s{said}"[:300],
                device_id=row.id,
                facts=IncidentFacts(
                    kind=IncidentKind.camera_offline,
                    source=SignalSource.camera,
                    serial=row.serial,
                    seconds=seconds,
                ),
            )
        )
    if silent:
        signals.apply(session, routing, silent, now)
        session.execute(
            update(Device)
            .where(Device.id.in_([s.device_id for s in silent]))
            .values(silence_reported_at=now)
        )
    return len(silent), next_due


def heartbeat(
    session: Session, routing: Routing, device: Device, data: DeviceHeartbeat, now: datetime
) -> bool:
    """A device's heartbeat. A camera reported silent is back: its outage's incident says so
    (and its screens hear of it). Returns whether there is something to send."""
    silent_since = device.last_seen_at
    devices.heartbeat(session, device, data, now)
    if data.run is not None:
        camera_events.clips_lost_with_run(session, device, data.run)
    if device.silence_reported_at is None:
        return False
    device.silence_reported_at = None
    incident = session.scalar(
        select(Incident)
        .where(Incident.case_id == device.case_id, Incident.join_key == offline_key(device.id))
        .order_by(Incident.created_at.desc())
        .limit(1)
    )
    if incident is None:
        return False
    seconds = int((now - silent_since).total_seconds()) if silent_since else None
    state = device.camera_state.value if device.camera_state else None
    before = incident_writer.state_of(incident)
    effects = decisions.camera_back(routing, before, device.serial, seconds, state)
    incident_writer.save(session, [Change(before, effects)], now)
    return True


def open_outages(session: Session, device_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The open ``camera_offline`` incident of each of these cameras that has one (its
    reference): while it is open, every screen shows the camera offline."""
    wanted = set(device_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Incident.device_id, Incident.reference)
        .where(
            Incident.type == IncidentKind.camera_offline,
            Incident.status != IncidentStatus.closed,
            Incident.device_id.in_(wanted),
        )
        .order_by(Incident.created_at)
    )
    return {row.device_id: row.reference for row in rows if row.device_id is not None}


def device_public(
    device: Device, now: datetime, silence: Silence, outage: str | None = None
) -> DevicePublic:
    """A device with what the screens show of it (computed on reading: age counts);
    ``outage`` is the reference of its open camera_offline incident, if any."""
    shown = DevicePublic.model_validate(device)
    return shown.model_copy(
        update={
            "condition": condition(
                device.last_seen_at,
                device.camera_state,
                now,
                silence.after(device.kind is DeviceKind.camera),
                outage is not None,
            ),
            "offline_incident": outage,
            "problem": problem(device.serial, device.undelivered_count, device.undelivered),
        }
    )


def devices_public(
    session: Session, devices: list[Device], now: datetime, silence: Silence
) -> list[DevicePublic]:
    outages = open_outages(session, (d.id for d in devices if d.kind is DeviceKind.camera))
    return [device_public(d, now, silence, outages.get(d.id)) for d in devices]


def case_cameras(
    session: Session, caller: Caller, case: Case, now: datetime, silent_after: timedelta
) -> list[CameraStatus]:
    """The cameras installed at the case, for whoever may see the case (not the 112 centre,
    which sees an incident's packet, never the case file)."""
    if not can_see_case(caller.actor, case.scope):
        return []
    cameras = devices.installed_cameras(session, case.id)
    outages = open_outages(session, (c.id for c in cameras))
    return [
        CameraStatus(
            serial=c.serial,
            condition=condition(c.last_seen_at, c.camera_state, now, silent_after, c.id in outages),
            offline_incident=outages.get(c.id),
            last_seen_at=c.last_seen_at,
            note=c.health_note,
            undelivered_count=c.undelivered_count,
            problem=problem(c.serial, c.undelivered_count, c.undelivered),
        )
        for c in cameras
    ]
