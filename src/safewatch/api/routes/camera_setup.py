"""The site editor: officers draw a camera's zones on the picture of its view; the camera
sends that picture and takes the zones."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from safewatch.api.deps import STAFF, AlertingDep, ClipStoreDep, DeviceDep, SessionDep, allow
from safewatch.api.uploads import bounded_body
from safewatch.cases.access import keeps_personal_data
from safewatch.core.errors import Forbidden
from safewatch.core.roles import Role
from safewatch.models import CameraSetup
from safewatch.schemas.common import Schema
from safewatch.services import camera_setup, devices, incident_actions
from safewatch.services.context import Caller
from safewatch.store.base import utcnow
from safewatch.vision.config import ZoneConfig

router = APIRouter(tags=["site editor"])
Reader = Annotated[Caller, allow(*STAFF)]
Keeper = Annotated[Caller, allow(Role.admin, Role.officer)]


class CameraZones(Schema):
    zones: list[ZoneConfig] | None = None  # None: none drawn in the hub; the site file's stand
    updated_at: datetime | None = None
    view_at: datetime | None = None


class ZonesIn(Schema):
    zones: list[ZoneConfig]


def _public(zones: list[ZoneConfig] | None, setup: CameraSetup) -> CameraZones:
    return CameraZones(zones=zones, updated_at=setup.zones_updated_at, view_at=setup.view_at)


@router.get("/devices/{device_id}/zones")
def read_zones(session: SessionDep, caller: Reader, device_id: uuid.UUID) -> CameraZones:
    device = devices.get_device(session, caller, device_id, manage=False)
    return _public(*camera_setup.zones_of(session, device))


@router.put("/devices/{device_id}/zones")
def write_zones(
    session: SessionDep, caller: Keeper, device_id: uuid.UUID, data: ZonesIn
) -> CameraZones:
    """Zones as polygons in relative coordinates (0–1 of the picture's width and height);
    the camera takes them at its next refresh."""
    device = devices.get_device(session, caller, device_id, manage=True)
    setup = camera_setup.set_zones(session, caller, device, data.zones)
    return _public(data.zones, setup)


@router.get(
    "/devices/{device_id}/view",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def read_view(
    session: SessionDep, caller: Reader, store: ClipStoreDep, device_id: uuid.UUID
) -> Response:
    """The latest picture of the camera's view (seeing it is audited)."""
    device = devices.get_device(session, caller, device_id, manage=False)
    name = camera_setup.view_name(session, caller, device)
    return Response(
        store.path(name).read_bytes(),
        media_type="image/jpeg",
        headers={"Cache-Control": "private, no-store"},
    )


class ViewReceipt(Schema):
    live: bool  # someone watches: send the view every second


@router.put("/device/view")
async def receive_view(
    request: Request, session: SessionDep, store: ClipStoreDep, device: DeviceDep
) -> ViewReceipt:
    """From a camera: a JPEG of what it sees now, for drawing zones on and for the live view
    of an incident. ``live: true`` while someone watches."""
    body = await bounded_body(request, camera_setup.MAX_VIEW_BYTES, "a view")
    setup = await run_in_threadpool(camera_setup.store_view, session, store, device, body)
    return ViewReceipt(live=camera_setup.is_watched(setup, utcnow()))


@router.get(
    "/incidents/{incident_id}/live.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {}},
)
def live_view(
    session: SessionDep,
    caller: Annotated[
        Caller, allow(Role.admin, Role.officer, Role.security_operator, Role.dispatcher)
    ],
    store: ClipStoreDep,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
) -> Response:
    """The incident's camera as it is now. A screen asks again every second: while it does,
    the camera sends a picture every second. Each watcher is audited (once a minute, not
    per picture)."""
    incident, _ = incident_actions.visible(session, caller, incident_id)
    now, keep = alerting.clock(), alerting.routing.security_keeps_closed
    if not keeps_personal_data(caller.role, incident.closed_at, now, keep):
        raise Forbidden("this incident closed long ago: its live view is over")
    device = camera_setup.incident_camera(session, incident)
    why = f"live view during incident {incident.reference}"
    camera_setup.watch_live(session, caller, device, why, utcnow())
    path = store.path(camera_setup.view_file(device.id))
    headers = {"Cache-Control": "private, no-store"}
    sent = camera_setup.setup_of(session, device).view_name is not None  # at this home
    if not sent or not path.is_file():  # a response, not an error: the watch must be committed
        detail = {"detail": "the camera has not sent a picture yet; it is asked to now"}
        return JSONResponse(detail, status_code=404, headers=headers)
    return Response(path.read_bytes(), media_type="image/jpeg", headers=headers)


@router.get("/device/zones")
def device_zones(session: SessionDep, device: DeviceDep) -> CameraZones:
    """The zones drawn for this camera in the hub (``zones: null`` until someone draws)."""
    return _public(*camera_setup.zones_of(session, device))
