"""The site editor's data: zones drawn on a camera's view in the hub, and the latest picture
of that view, which the camera sends. A camera set to take its zones from the hub uses these
instead of its site file's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.core.errors import Invalid, NotFound
from safewatch.models import AuditEntry, CameraEventRecord, CameraSetup, Device, Incident
from safewatch.models.resources import DeviceKind
from safewatch.services.camera_events import JPEG
from safewatch.services.context import Caller
from safewatch.store.clips import ClipStore
from safewatch.vision.config import ZoneConfig, verify_unique

MAX_VIEW_BYTES = 4 * 1024 * 1024


def view_file(device_id: uuid.UUID) -> str:
    return f"view-{device_id}.jpg"


def _camera(device: Device) -> Device:
    if device.kind is not DeviceKind.camera:
        raise Invalid("only cameras have a view and zones")
    return device


def setup_of(session: Session, device: Device) -> CameraSetup:
    setup = session.get(CameraSetup, _camera(device).id)
    if setup is None:
        setup = CameraSetup(device_id=device.id)
        session.add(setup)
    return setup


def store_view(session: Session, store: ClipStore, device: Device, jpeg: bytes) -> CameraSetup:
    """The camera's current picture, for drawing zones on (replaces the last one)."""
    if not jpeg or len(jpeg) > MAX_VIEW_BYTES:
        raise Invalid(f"a view is a JPEG of 1 to {MAX_VIEW_BYTES:,} bytes")
    if not jpeg.startswith(JPEG):
        raise Invalid("the view must be a JPEG")
    setup = setup_of(session, device)
    name = view_file(device.id)
    store.put(name, jpeg)
    setup.view_name, setup.view_at = name, datetime.now(UTC)
    device.last_seen_at = setup.view_at
    session.flush()
    return setup


LIVE_HOLD = timedelta(seconds=6)  # a watching screen asks again every second


LIVE_AUDIT_EVERY = timedelta(minutes=1)


def watch_live(session: Session, caller: Caller, device: Device, why: str, now: datetime) -> None:
    """Someone is watching the camera live: it sends its view every second for a while.
    Each watcher is audited, at most once a minute (the screen asks every second)."""
    setup = setup_of(session, device)
    if setup.live_until is None or setup.live_until - now < LIVE_HOLD / 2:
        setup.live_until = now + LIVE_HOLD
        session.flush()
    seen_lately = session.scalar(
        select(AuditEntry.seq)
        .where(
            AuditEntry.actor_id == caller.user_id,
            AuditEntry.entity == "camera_view",
            AuditEntry.entity_id == str(device.id),
            AuditEntry.at >= now - LIVE_AUDIT_EVERY,
        )
        .limit(1)
    )
    if seen_lately is None:
        caller.record(session, "read", "camera_view", device.id, why, device.case_id)


def is_watched(setup: CameraSetup, now: datetime) -> bool:
    return setup.live_until is not None and setup.live_until > now


def incident_camera(session: Session, incident: Incident) -> Device:
    """The camera that saw the incident, else the first camera installed at its case (an SOS
    from a home with a camera). Only a camera at the incident's home now: one moved to
    another home since is that home's, and no longer reached through this incident."""
    device_id = session.scalar(
        select(CameraEventRecord.device_id)
        .where(CameraEventRecord.incident_id == incident.id)
        .order_by(CameraEventRecord.occurred_at.desc())
        .limit(1)
    )
    if (
        device_id is not None
        and session.scalar(select(Device.case_id).where(Device.id == device_id)) != incident.case_id
    ):
        device_id = None
    if device_id is None:
        device_id = session.scalar(
            select(Device.id)
            .where(Device.case_id == incident.case_id, Device.kind == DeviceKind.camera)
            .order_by(Device.serial)
            .limit(1)
        )
    device = session.get(Device, device_id) if device_id else None
    if device is None:
        raise NotFound("no camera at this incident's home")
    return device


def view_name(
    session: Session, caller: Caller, device: Device, purpose: str = "camera view seen"
) -> str:
    """The view's file; looking at a picture of someone's home is audited."""
    setup = session.get(CameraSetup, _camera(device).id)
    if setup is None or setup.view_name is None:
        raise NotFound("this camera has not sent a picture of its view yet")
    caller.record(session, "read", "camera_view", device.id, purpose, device.case_id)
    return setup.view_name


def set_zones(
    session: Session, caller: Caller, device: Device, zones: list[ZoneConfig]
) -> CameraSetup:
    try:
        verify_unique([z.name for z in zones], "zone names must differ within a camera")
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    setup = setup_of(session, device)
    setup.zones = [z.model_dump(mode="json") for z in zones]
    setup.zones_updated_at = datetime.now(UTC)
    setup.zones_updated_by = caller.user_id
    summary = ", ".join(f"{z.name} ({z.kind})" for z in zones) or "none"
    caller.record(
        session, "update", "camera_zones", device.id, f"zones drawn: {summary}", device.case_id
    )
    session.flush()
    return setup


def zones_of(session: Session, device: Device) -> tuple[list[ZoneConfig] | None, CameraSetup]:
    """The zones drawn in the hub (None: none drawn yet, the site file's stand)."""
    setup = session.get(CameraSetup, _camera(device).id) or CameraSetup(device_id=device.id)
    if setup.zones is None:
        return None, setup
    return [ZoneConfig.model_validate(z) for z in setup.zones], setup
