"""The site editor's data: zones drawn on a camera's view in the hub, and the latest picture
of that view, which the camera sends. A camera set to take its zones from the hub uses these
instead of its site file's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from safewatch.core.errors import Invalid, NotFound
from safewatch.models import CameraSetup, Device
from safewatch.models.resources import DeviceKind
from safewatch.services.camera_events import JPEG
from safewatch.services.context import Caller
from safewatch.store.clips import ClipStore
from safewatch.vision.config import ZoneConfig, verify_unique

MAX_VIEW_BYTES = 4 * 1024 * 1024


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
    name = f"view-{device.id}.jpg"
    store.put(name, jpeg)
    setup.view_name, setup.view_at = name, datetime.now(UTC)
    device.last_seen_at = setup.view_at
    session.flush()
    return setup


def view_name(session: Session, caller: Caller, device: Device) -> str:
    """The view's file; looking at a picture of someone's home is audited."""
    setup = session.get(CameraSetup, _camera(device).id)
    if setup is None or setup.view_name is None:
        raise NotFound("this camera has not sent a picture of its view yet")
    caller.record(session, "read", "camera_view", device.id, "camera view seen", device.case_id)
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
