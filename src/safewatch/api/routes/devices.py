from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import STAFF, AlertingDep, DeviceDep, PageDep, SessionDep, allow
from safewatch.core.roles import Role
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.schemas.common import Page
from safewatch.schemas.resources import (
    DeviceAssign,
    DeviceAssignmentPublic,
    DeviceCreate,
    DeviceCredentialPublic,
    DeviceHeartbeat,
    DevicePublic,
    DeviceStatusChange,
    StockRow,
)
from safewatch.services import camera_watch, cases, devices
from safewatch.services.context import Caller

router = APIRouter(tags=["devices"])
Reader = Annotated[Caller, allow(*STAFF)]
Keeper = Annotated[Caller, allow(Role.admin, Role.officer)]


@router.get("/devices")
def list_devices(
    session: SessionDep,
    caller: Reader,
    paging: PageDep,
    alerting: AlertingDep,
    kind: DeviceKind | None = None,
    status: DeviceStatus | None = None,
    case_id: uuid.UUID | None = None,
) -> Page[DevicePublic]:
    """The devices your agency holds (all, for an admin), by kind, status or case; each with
    its condition (offline while a camera_offline incident is open or its heartbeat is old,
    whatever it last said)."""
    items, total = devices.list_devices(
        session, caller, paging.page, paging.size, kind, status, case_id
    )
    now = alerting.clock()
    shown = camera_watch.devices_public(session, items, now, alerting.silence)
    return paging.wrap(DevicePublic, shown, total)


@router.get("/devices/stock")
def stock(session: SessionDep, caller: Reader) -> list[StockRow]:
    """Devices per agency, kind and status (in stock, assigned, faulty, retired)."""
    return devices.stock(session, caller)


@router.post("/devices", status_code=201)
def register_device(session: SessionDep, caller: Keeper, data: DeviceCreate) -> DevicePublic:
    return DevicePublic.model_validate(devices.create_device(session, caller, data))


@router.get("/devices/{device_id}")
def read_device(
    session: SessionDep, caller: Reader, alerting: AlertingDep, device_id: uuid.UUID
) -> DevicePublic:
    device = devices.get_device(session, caller, device_id, False)
    [shown] = camera_watch.devices_public(session, [device], alerting.clock(), alerting.silence)
    return shown


@router.post("/devices/{device_id}/assign", status_code=201)
def assign_device(
    session: SessionDep,
    caller: Keeper,
    alerting: AlertingDep,
    device_id: uuid.UUID,
    data: DeviceAssign,
) -> DeviceAssignmentPublic:
    device = devices.get_device(session, caller, device_id, manage=True)
    case = cases.get_case(session, caller, data.case_id, "device assigned", manage=True)
    return DeviceAssignmentPublic.model_validate(
        devices.assign(session, caller, device, case, data.note, alerting.clock())
    )


@router.post("/devices/{device_id}/status")
def change_status(
    session: SessionDep, caller: Keeper, device_id: uuid.UUID, data: DeviceStatusChange
) -> DevicePublic:
    """Return to stock, or mark faulty or retired; its credential stops working at once."""
    device = devices.get_device(session, caller, device_id, manage=True)
    return DevicePublic.model_validate(
        devices.set_status(session, caller, device, data.status, data.note)
    )


@router.post("/devices/{device_id}/credential", status_code=201)
def issue_credential(
    session: SessionDep, caller: Keeper, device_id: uuid.UUID
) -> DeviceCredentialPublic:
    device = devices.get_device(session, caller, device_id, manage=True)
    secret = devices.issue_credential(session, caller, device)
    return DeviceCredentialPublic(device_id=device.id, secret=secret)


@router.delete("/devices/{device_id}/credential", status_code=204)
def revoke_credential(session: SessionDep, caller: Keeper, device_id: uuid.UUID) -> None:
    device = devices.get_device(session, caller, device_id, manage=True)
    devices.revoke_credentials(session, device)
    caller.record(session, "delete", "device_credential", device.id, "credential revoked")


@router.post("/device/heartbeat")
def heartbeat(
    session: SessionDep,
    device: DeviceDep,
    alerting: AlertingDep,
    data: DeviceHeartbeat,
) -> dict[str, str]:
    """Called by a camera, watch or bell with its own credential; a camera worker also says
    the camera's state and what the hub refused of it for good."""
    camera_watch.heartbeat(session, alerting.routing, device, data, alerting.clock())
    answer = {"status": "ok", "device_id": str(device.id)}
    feedback = devices.sos_feedback_of(session, device)
    if feedback is not None:  # what the watch does when she presses SOS: her choice
        answer["sos_feedback"] = feedback.value
    return answer
