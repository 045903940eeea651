"""Receiving camera events at the hub: idempotent by event id, snapshot and clip to the store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session

from safewatch.bus.messages import CameraEvent
from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from safewatch.models import CameraEventRecord, Device
from safewatch.models.resources import DeviceKind
from safewatch.store.clips import ClipStore

MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024
MAX_CLIP_BYTES = 200 * 1024 * 1024
JPEG, MP4_BOX = b"\xff\xd8\xff", b"ftyp"


def parse_event(raw: str) -> CameraEvent:
    try:
        return CameraEvent.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise Invalid(f"event {where}: {first['msg']}") from exc


def camera_case(device: Device) -> uuid.UUID:
    if device.kind is not DeviceKind.camera:
        raise Forbidden("only cameras send camera events")
    if device.case_id is None:
        raise Conflict("this camera is not installed at any case; assign it first")
    return device.case_id


def ingest(
    session: Session, store: ClipStore, device: Device, event: CameraEvent, snapshot: bytes
) -> tuple[CameraEventRecord, bool]:
    """Store an event once; a repeat of the same id returns the stored one (created=False)."""
    case_id = camera_case(device)
    existing = session.get(CameraEventRecord, event.id)
    if existing is not None:
        if existing.device_id != device.id:
            raise Conflict("an event with this id came from another device")
        return existing, False
    if len(snapshot) > MAX_SNAPSHOT_BYTES:
        raise Invalid(f"the snapshot is larger than {MAX_SNAPSHOT_BYTES:,} bytes")
    if snapshot and not snapshot.startswith(JPEG):
        raise Invalid("the snapshot must be a JPEG")
    record = CameraEventRecord(
        id=event.id,
        device_id=device.id,
        case_id=case_id,
        site=event.site,
        camera=event.camera,
        type=event.type,
        severity=event.severity,
        occurred_at=event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC),
        video_t=event.video_t,
        track=event.track,
        zone=event.zone,
        identity=event.identity,
        score=event.score,
        detail=event.detail,
        flags=list(event.flags),
        snapshot_name=f"{event.id}.jpg" if snapshot else None,
    )
    if snapshot:
        store.put(f"{event.id}.jpg", snapshot)
    session.add(record)
    device.last_seen_at = datetime.now(UTC)
    session.flush()
    return record, True


def _own_event(session: Session, device: Device, event_id: uuid.UUID) -> CameraEventRecord:
    record = session.get(CameraEventRecord, event_id)
    if record is None:
        raise NotFound("no such event; send the event before its clip")
    if record.device_id != device.id:
        raise Forbidden("this event came from another device")
    return record


def attach_clip(
    session: Session, store: ClipStore, device: Device, event_id: uuid.UUID, clip: bytes
) -> tuple[CameraEventRecord, bool]:
    """The event's clip; (record, False) for a retried upload of one already stored."""
    record = _own_event(session, device, event_id)
    if record.clip_name is not None:
        return record, False
    if not clip or len(clip) > MAX_CLIP_BYTES:
        raise Invalid(f"a clip is 1 to {MAX_CLIP_BYTES:,} bytes")
    if clip[4:8] != MP4_BOX:
        raise Invalid("the clip must be an MP4 file")
    store.put(f"{event_id}.mp4", clip)
    record.clip_name = f"{event_id}.mp4"
    record.clip_received_at = datetime.now(UTC)
    record.clip_error = None
    session.flush()
    return record, True


def clip_missing(
    session: Session, device: Device, event_id: uuid.UUID, reason: str
) -> CameraEventRecord:
    record = _own_event(session, device, event_id)
    if record.clip_name is None:
        record.clip_error = reason[:500]
    session.flush()
    return record
