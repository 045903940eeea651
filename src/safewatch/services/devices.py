"""Device inventory: stock, assignment to cases, health, and device credentials."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from safewatch.cases.access import can_manage_case
from safewatch.core import security
from safewatch.core.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    SafewatchError,
    Unauthorized,
)
from safewatch.core.roles import Role
from safewatch.incidents.device_health import redact
from safewatch.incidents.facts import SosFeedback
from safewatch.models import (
    Agency,
    CameraSetup,
    Case,
    Device,
    DeviceAssignment,
    DeviceCredential,
)
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.schemas.resources import DeviceCreate, DeviceHeartbeat, StockRow
from safewatch.services.context import Caller
from safewatch.store.base import table
from safewatch.store.paging import page_of


def _visible(caller: Caller) -> ColumnElement[bool]:
    if caller.role is Role.admin:
        return true()
    own_cases = select(Case.id).where(
        or_(
            Case.police_station_id == caller.agency_id,
            Case.support_centre_id == caller.agency_id,
        )
    )
    return or_(Device.agency_id == caller.agency_id, Device.case_id.in_(own_cases))


def list_devices(
    session: Session,
    caller: Caller,
    page: int,
    size: int,
    kind: str | None,
    status: str | None,
    case_id: uuid.UUID | None = None,
) -> tuple[list[Device], int]:
    where = [_visible(caller)]
    if case_id is not None:
        where.append(Device.case_id == case_id)
    if kind:
        where.append(Device.kind == kind)
    if status:
        where.append(Device.status == status)
    return page_of(session, Device, where, [Device.kind, Device.serial], page, size)


def get_device(session: Session, caller: Caller, device_id: uuid.UUID, manage: bool) -> Device:
    device = session.scalar(select(Device).where(Device.id == device_id))
    if device is None:
        raise NotFound("no such device")
    seen = session.scalar(select(Device.id).where(Device.id == device_id, _visible(caller)))
    if seen is None:
        raise Forbidden("this device belongs to another agency")
    if manage and caller.role is not Role.admin and device.agency_id != caller.agency_id:
        raise Forbidden("only the agency holding a device may change it")
    return device


def create_device(session: Session, caller: Caller, data: DeviceCreate) -> Device:
    agency_id = data.agency_id or caller.agency_id
    if caller.role is not Role.admin and agency_id != caller.agency_id:
        raise Forbidden("you can add devices only to your own agency's stock")
    if agency_id is None or session.get(Agency, agency_id) is None:
        raise Invalid("agency_id must name an agency")
    if session.scalar(select(Device.id).where(Device.serial == data.serial)):
        raise Conflict(f"a device with serial '{data.serial}' is already registered")
    device = Device(kind=data.kind, serial=data.serial, model=data.model, agency_id=agency_id)
    session.add(device)
    session.flush()
    return device


def assign(
    session: Session, caller: Caller, device: Device, case: Case, note: str, now: datetime
) -> DeviceAssignment:
    """``now``: the hub's clock, which the camera's events are compared with (an event raised
    before the installation is another home's)."""
    if not can_manage_case(caller.actor, case.scope):
        raise Forbidden("this case is not shared with you")
    if device.status is not DeviceStatus.in_stock:
        raise Conflict(f"device {device.serial} is {device.status.value}, not in stock")
    if case.closed_at is not None:
        raise Conflict("the case is closed")
    assignment = DeviceAssignment(
        device_id=device.id, case_id=case.id, assigned_by=caller.user_id, note=note, assigned_at=now
    )
    session.add(assignment)
    device.assignments.append(assignment)
    device.status, device.case_id = DeviceStatus.assigned, case.id
    # At a new home it has not been heard from yet (the camera watch starts once it is).
    device.last_seen_at, device.camera_state, device.silence_reported_at = None, None, None
    device.undelivered, device.undelivered_count = None, 0
    session.flush()
    caller.record(session, "update", "device", device.id, f"assigned {device.serial}", case.id)
    return assignment


def set_status(
    session: Session, caller: Caller, device: Device, status: DeviceStatus, note: str
) -> Device:
    """Return a device to stock, or mark it faulty or retired; ends any assignment."""
    if status is DeviceStatus.assigned:
        raise Invalid("assign a device to a case with the assign action")
    now = datetime.now(UTC)
    case_id = device.case_id
    for a in device.assignments:
        if a.returned_at is None:
            a.returned_at = now
            a.note = (a.note + " " + note).strip()
    device.status, device.case_id = status, None
    device.health_note = note or device.health_note
    # A device leaving a person's hands must not keep speaking for them; a camera leaving a
    # home keeps nothing of it: no zones drawn on its view, no picture of it, no live watch.
    revoke_credentials(session, device)
    setup = session.get(CameraSetup, device.id)
    if setup is not None:
        setup.zones = setup.zones_updated_at = setup.zones_updated_by = None
        setup.view_name = setup.view_at = setup.live_until = None
    session.flush()
    caller.record(session, "update", "device", device.id, f"{device.serial} → {status}", case_id)
    return device


def revoke_credentials(session: Session, device: Device) -> int:
    now = datetime.now(UTC)
    live = list(
        session.scalars(
            select(DeviceCredential).where(
                DeviceCredential.device_id == device.id, DeviceCredential.revoked_at.is_(None)
            )
        )
    )
    for credential in live:
        credential.revoked_at = now
    return len(live)


def issue_credential(session: Session, caller: Caller, device: Device) -> str:
    """A new secret for the device; the previous one stops working at once."""
    if device.status in (DeviceStatus.retired, DeviceStatus.faulty):
        raise Conflict(f"device {device.serial} is {device.status.value}")
    secret = replace_credential(session, device)
    caller.record(session, "create", "device_credential", device.id, "credential issued")
    return secret


def replace_credential(session: Session, device: Device) -> str:
    """Revoke the device's credentials and make a new one; only its hash is stored."""
    revoke_credentials(session, device)
    secret = security.new_secret(security.DEVICE_TOKEN_PREFIX)
    session.add(DeviceCredential(device_id=device.id, token_hash=security.secret_digest(secret)))
    session.flush()
    return secret


class DeviceRef(NamedTuple):
    """A device as the event path needs it: a plain row, not an ORM object (a busy hub
    checks thousands of credentials a second)."""

    id: uuid.UUID
    kind: DeviceKind
    case_id: uuid.UUID | None


def device_for_secret(session: Session, secret: str) -> Device:
    found = devices_for_secrets(session, [secret])[0]
    if isinstance(found, SafewatchError):
        raise found
    device = session.get(Device, found.id)
    assert device is not None
    return device


def devices_for_secrets(session: Session, secrets: list[str]) -> list[DeviceRef | SafewatchError]:
    """The device of each credential, or why it is refused; one query for them all (a
    camera worker's batch names each of its cameras)."""
    digests = {
        secret: security.secret_digest(secret)
        for secret in secrets
        if secret.startswith(security.DEVICE_TOKEN_PREFIX)
    }
    found: dict[str, tuple[DeviceRef, bool]] = {}
    if digests:
        c, d = table(DeviceCredential).c, table(Device).c
        query = (
            select(c.token_hash, c.revoked_at, d.id, d.kind, d.case_id)
            .join_from(table(DeviceCredential), table(Device), d.id == c.device_id)
            .where(c.token_hash.in_(set(digests.values())))
        )
        for row in session.execute(query):
            found[row.token_hash] = (
                DeviceRef(row.id, row.kind, row.case_id),
                row.revoked_at is not None,
            )
    out: list[DeviceRef | SafewatchError] = []
    for secret in secrets:
        if secret not in digests:
            out.append(Unauthorized("not a device credential"))
        elif digests[secret] not in found:
            out.append(Unauthorized("unknown device credential"))
        elif found[digests[secret]][1]:
            out.append(Unauthorized("this device credential was revoked"))
        else:
            out.append(found[digests[secret]][0])
    return out


# The event stream stamps with its server's clock, the revocation with the hub's: an event
# counts as sent before a revocation only by more than this.
CLOCK_MARGIN = timedelta(seconds=1)


def valid_when_sent(session: Session, secret: str, sent_at: datetime) -> DeviceRef | None:
    """The device a credential spoke for when an event reached the event stream, though it
    was revoked since (a credential rotated while the event waited on the stream's disk):
    the stream stamps that time itself, so a camera cannot claim an earlier one. Only while
    the device is still at the case it was at then; None otherwise."""
    if not secret.startswith(security.DEVICE_TOKEN_PREFIX):
        return None
    c, d = table(DeviceCredential).c, table(Device).c
    row = session.execute(
        select(c.revoked_at, d.id, d.kind, d.case_id)
        .join_from(table(DeviceCredential), table(Device), d.id == c.device_id)
        .where(c.token_hash == security.secret_digest(secret))
    ).first()
    if row is None or row.revoked_at is None or row.case_id is None:
        return None
    if _utc(row.revoked_at) - CLOCK_MARGIN <= sent_at:  # the stream's clock is another's
        return None
    a = table(DeviceAssignment).c
    since = session.scalar(
        select(a.assigned_at).where(
            a.device_id == row.id, a.case_id == row.case_id, a.returned_at.is_(None)
        )
    )
    if since is None or _utc(since) > sent_at:
        return None  # it was at another case (or none) when the event was sent
    return DeviceRef(row.id, row.kind, row.case_id)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def heard_from(device: Device, now: datetime, battery_percent: int | None) -> None:
    """The device spoke (a heartbeat, an SOS, its location): it was seen now, and its battery
    is what it said, if it said."""
    device.last_seen_at = now
    if battery_percent is not None:
        device.battery_percent = battery_percent


def sos_feedback_of(session: Session, device: Device) -> SosFeedback | None:
    """A watch's answer to an SOS press, as its wearer chose (silent unless she chose)."""
    if device.kind is not DeviceKind.smartwatch or device.case_id is None:
        return None
    case = session.get(Case, device.case_id)
    return case.protected_person.sos_feedback if case is not None else None


def heartbeat(session: Session, device: Device, data: DeviceHeartbeat, now: datetime) -> Device:
    """What the device says of itself, kept without stream addresses or credentials. The
    camera fields are replaced only when sent (an old worker or a watch never sends them)."""
    heard_from(device, now, data.battery_percent)
    if data.health_note:
        device.health_note = redact(data.health_note.replace("\x00", ""))[:300]
    if data.state is not None:
        device.camera_state = data.state
    if {"state", "undelivered", "undelivered_count"} & data.model_fields_set:
        device.undelivered = [
            {**item.model_dump(mode="json"), "reason": redact(item.reason.replace("\x00", ""))}
            for item in data.undelivered
        ]
        device.undelivered_count = max(data.undelivered_count, len(data.undelivered))
    session.flush()
    return device


def stock(session: Session, caller: Caller) -> list[StockRow]:
    rows = session.execute(
        select(Device.agency_id, Agency.name, Device.kind, Device.status, func.count())
        .join(Agency, Agency.id == Device.agency_id)
        .where(_visible(caller))
        .group_by(Device.agency_id, Agency.name, Device.kind, Device.status)
        .order_by(Agency.name, Device.kind, Device.status)
    )
    return [
        StockRow(agency_id=a, agency_name=n, kind=k, status=s, count=c) for a, n, k, s, c in rows
    ]


def installed_cameras(session: Session, case_id: uuid.UUID) -> list[Device]:
    """The cameras installed at a case's home now, by serial."""
    return list(
        session.scalars(
            select(Device)
            .where(
                Device.case_id == case_id,
                Device.kind == DeviceKind.camera,
                Device.status == DeviceStatus.assigned,
            )
            .order_by(Device.serial)
        )
    )


def installed_since(session: Session, device_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each device was installed where it is now (its assignment not yet returned)."""
    a = table(DeviceAssignment).c
    ids = set(device_ids)
    if not ids:
        return {}
    query = select(a.device_id, a.assigned_at).where(a.device_id.in_(ids), a.returned_at.is_(None))
    return {row.device_id: _utc(row.assigned_at) for row in session.execute(query)}


def raised_where_it_is(
    session: Session, device_id: uuid.UUID | None, case_id: uuid.UUID, at: datetime
) -> bool:
    """The device is at this case now, and was already there at ``at``: what it saw then is
    this case's. A camera moved to another home since answers False — its old case's
    incidents and events reach it no more."""
    if device_id is None:
        return False
    device = session.get(Device, device_id)
    if device is None or device.case_id != case_id:
        return False
    since = installed_since(session, [device_id]).get(device_id)
    return since is not None and since - CLOCK_MARGIN <= _utc(at)
