"""Receiving camera events at the hub: idempotent by event id, snapshot and clip to the store."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safewatch.bus.messages import MAX_CLIP_BYTES, MAX_SNAPSHOT_BYTES, CameraEvent
from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound, SafewatchError
from safewatch.core.links import Media
from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.policy import Routing
from safewatch.incidents.state import Signal
from safewatch.models import CameraEventRecord, Device
from safewatch.models.resources import DeviceKind
from safewatch.services import signals
from safewatch.services.devices import CLOCK_MARGIN, DeviceRef, installed_since
from safewatch.services.signals import Applied
from safewatch.store.base import table
from safewatch.store.bulk import insert_rows
from safewatch.store.clips import ClipStore
from safewatch.store.sealing import KeyRing, open_or_legacy

log = logging.getLogger(__name__)

JPEG, MP4_BOX = b"\xff\xd8\xff", b"ftyp"


def parse_event(raw: str) -> CameraEvent:
    try:
        return CameraEvent.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise Invalid(f"event {where}: {first['msg']}") from exc


def camera_case(device: Device | DeviceRef) -> uuid.UUID:
    if device.kind is not DeviceKind.camera:
        raise Forbidden("only cameras send camera events")
    if device.case_id is None:
        raise Conflict("this camera is not installed at any case; assign it first")
    return device.case_id


@dataclass(frozen=True)
class Incoming:
    device: DeviceRef
    event: CameraEvent
    snapshot: bytes = b""


@dataclass(frozen=True)
class Received:
    """One event's answer: stored now (created), already stored, or refused (error)."""

    id: uuid.UUID
    created: bool
    error: SafewatchError | None = None


def camera_signal(event: CameraEvent, device: DeviceRef, case_id: uuid.UUID) -> Signal:
    """A camera event as a signal: repeats of the same track join one incident."""
    key = f"cam:{device.id}:" + (f"track:{event.track}" if event.track is not None else event.type)
    what = event.type.replace("_", " ")
    where = f" in {event.zone}" if event.zone else ""
    who = f": {event.identity}" if event.identity and event.type == "offender_recognized" else ""
    return Signal(
        case_id=case_id,
        source=SignalSource.camera,
        type=IncidentKind(event.type),
        join_key=key,
        actor=f"camera {event.camera}",
        summary=f"{what}{where} ({event.camera}){who}",
        device_id=device.id,
        facts=IncidentFacts(
            kind=IncidentKind(event.type),
            source=SignalSource.camera,
            camera=event.camera,
            zone=event.zone,
            identity=event.identity if event.type == "offender_recognized" else None,
        ),
    )


def _check_raised_here(event: CameraEvent, since: datetime | None) -> None:
    """An event the camera raised before it was installed at its case is another home's (a
    worker moved with its outbox kept): it must not alarm this one."""
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    if since is not None and at < since - CLOCK_MARGIN:
        raise Conflict(
            f"this event was raised at {at:%Y-%m-%d %H:%M:%S} UTC, before the camera was "
            f"installed at its case ({since:%Y-%m-%d %H:%M:%S} UTC): it belongs to where the "
            "camera was then"
        )


def _check_snapshot(snapshot: bytes) -> None:
    if len(snapshot) > MAX_SNAPSHOT_BYTES:
        raise Invalid(f"the snapshot is larger than {MAX_SNAPSHOT_BYTES:,} bytes")
    if snapshot and not snapshot.startswith(JPEG):
        raise Invalid("the snapshot must be a JPEG")


def ingest(
    session: Session,
    store: ClipStore,
    routing: Routing,
    items: list[Incoming],
    now: datetime,
) -> tuple[list[Received], Applied]:
    """Store each event once and open or join its incident, all in the session's
    transaction: an accepted event is never without its alert. A repeat of a stored id is
    answered ``created=False``; a refused event carries its error and stops no other."""
    e = table(CameraEventRecord).c
    ids = [item.event.id for item in items]
    owner = {
        row.id: row.device_id
        for row in session.execute(select(e.id, e.device_id).where(e.id.in_(ids)))
    }
    accepted: list[tuple[Incoming, uuid.UUID]] = []
    received = []
    installed = installed_since(session, {item.device.id for item in items})
    for item in items:
        try:
            case_id = camera_case(item.device)
            _check_raised_here(item.event, installed.get(item.device.id))
            if item.event.id in owner:
                if owner[item.event.id] != item.device.id:
                    raise Conflict("an event with this id came from another device")
                received.append(Received(item.event.id, False))
                continue
            _check_snapshot(item.snapshot)
        except SafewatchError as exc:
            received.append(Received(item.event.id, False, exc))
            continue
        owner[item.event.id] = item.device.id  # a repeat within the batch is a repeat
        accepted.append((item, case_id))
        received.append(Received(item.event.id, True))
    applied = signals.apply(
        session,
        routing,
        [camera_signal(item.event, item.device, case_id) for item, case_id in accepted],
        now,
    )
    rows = []
    for (item, case_id), (incident, _) in zip(accepted, applied.results, strict=True):
        event = item.event
        flags = list(event.flags)
        snapshot = f"{event.id}.jpg" if item.snapshot else None
        if snapshot is not None:
            try:
                store.put(snapshot, item.snapshot)
            except OSError as exc:
                # The alert matters more than its picture: a full or failing clip store must
                # not hold the victim's alert back. The operators are told.
                log.error(
                    "snapshot of event %s not stored (%s); the alert goes without", event.id, exc
                )
                snapshot = None
                flags.append("snapshot_not_stored")
        rows.append(
            {
                "id": event.id,
                "device_id": item.device.id,
                "case_id": case_id,
                "site": event.site,
                "camera": event.camera,
                "type": event.type,
                "severity": event.severity,
                "occurred_at": event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC),
                "received_at": now,
                "video_t": event.video_t,
                "track": event.track,
                "zone": event.zone,
                "identity": event.identity,
                "score": event.score,
                "detail": event.detail,
                "flags": flags,
                "snapshot_name": snapshot,
                "clip_name": None,
                "original_snapshot_name": None,
                "original_clip_name": None,
                "clip_received_at": None,
                "clip_error": None,
                "held_in_memory_by": event.held_in_memory_by,
                "incident_id": incident.id,
            }
        )
    if rows:
        insert_rows(session, table(CameraEventRecord), rows)
        d = table(Device)
        heard = {item.device.id for item, _ in accepted}
        session.execute(update(d).where(d.c.id.in_(heard)).values(last_seen_at=now))
    return received, applied


def _own_event(session: Session, device: Device, event_id: uuid.UUID) -> CameraEventRecord:
    record = session.get(CameraEventRecord, event_id)
    if record is None:
        raise NotFound("no such event; send the event before its clip")
    if record.device_id != device.id:
        raise Forbidden("this event came from another device")
    return record


def _check_clip(clip: bytes) -> None:
    if not clip or len(clip) > MAX_CLIP_BYTES:
        raise Invalid(f"a clip is 1 to {MAX_CLIP_BYTES:,} bytes")
    if clip[4:8] != MP4_BOX:
        raise Invalid("the clip must be an MP4 file")


def attach_clip(
    session: Session, store: ClipStore, device: Device, event_id: uuid.UUID, clip: bytes
) -> tuple[CameraEventRecord, bool]:
    """The event's clip; (record, False) for a retried upload of one already stored."""
    record = _own_event(session, device, event_id)
    if record.clip_name is not None:
        return record, False
    _check_clip(clip)
    store.put(f"{event_id}.mp4", clip)
    record.clip_name = f"{event_id}.mp4"
    record.clip_received_at = datetime.now(UTC)
    record.clip_error = None
    session.flush()
    return record, True


Original = Literal["snapshot", "clip"]


def read_media(store: ClipStore, keys: KeyRing, name: str) -> bytes:
    """A stored snapshot or clip as it was taken (an original is opened from its seal)."""
    return open_or_legacy(keys, store.path(name).read_bytes(), name)


def media_name(record: CameraEventRecord, media: Media) -> str | None:
    """The stored file of an event's snapshot or clip: as shown (bystanders blurred), or
    the original, which is the shown one when nothing was blurred."""
    match media:
        case "snapshot":
            return record.snapshot_name
        case "clip":
            return record.clip_name
        case "original_snapshot":
            return record.original_snapshot_name or record.snapshot_name
        case "original_clip":
            return record.original_clip_name or record.clip_name


def attach_original(
    session: Session,
    store: ClipStore,
    keys: KeyRing,
    device: Device,
    event_id: uuid.UUID,
    media: Original,
    data: bytes,
) -> CameraEventRecord:
    """The unblurred snapshot or clip of an event (police eyes only), sealed at rest like
    face photos: a stolen disk or bucket does not show the faces; a retry is harmless."""
    record = _own_event(session, device, event_id)
    column = f"original_{media}_name"
    if getattr(record, column) is not None:
        return record
    if media == "snapshot":
        if not data:
            raise Invalid("the original snapshot is empty")
        _check_snapshot(data)
    else:
        _check_clip(data)
    name = f"{event_id}.original.{'jpg' if media == 'snapshot' else 'mp4'}"
    store.put(name, keys.seal(data, name))
    setattr(record, column, name)
    session.flush()
    return record


def clip_missing(
    session: Session, device: Device, event_id: uuid.UUID, reason: str
) -> CameraEventRecord:
    record = _own_event(session, device, event_id)
    if record.clip_name is None:
        record.clip_error = reason[:500]
    session.flush()
    return record


RUN_ENDED = (
    "the camera worker restarted before it sent this clip: its disk was full, so the event "
    "and its clip were held in its memory only"
)


def clips_lost_with_run(session: Session, device: Device, run: uuid.UUID) -> int:
    """The worker now runs as ``run``: clips that an earlier run held in memory only (its
    disk was full) and never sent are gone with it. Said on their events, so nobody waits
    for them; a clip that comes after all still replaces the note. Returns how many."""
    e = table(CameraEventRecord)
    lost = session.execute(
        update(e)
        .where(
            e.c.device_id == device.id,
            e.c.held_in_memory_by.is_not(None),
            e.c.held_in_memory_by != run,
            e.c.clip_name.is_(None),
            e.c.clip_error.is_(None),
        )
        .values(clip_error=RUN_ENDED)
    )
    count = int(lost.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        log.warning("%s: %d clips held in memory by an earlier run are lost", device.serial, count)
    return count
