"""Camera events: devices deliver them; people of the case see them with snapshot and clip."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from sqlalchemy import select

from safewatch.alerts.intake import Sent
from safewatch.api.deps import (
    STAFF,
    AlertingDep,
    ClipStoreDep,
    DeviceDep,
    DeviceSecretsDep,
    EnrolmentDep,
    IntakeDep,
    KeysDep,
    PageDep,
    SessionDep,
    ThrottleDep,
    allow,
)
from safewatch.api.uploads import bounded_body
from safewatch.bus.messages import MAX_CLIP_BYTES, MAX_SNAPSHOT_BYTES
from safewatch.cases.access import keeps_personal_data
from safewatch.core import links, security
from safewatch.core.errors import Forbidden, NotFound, SafewatchError
from safewatch.core.roles import Role
from safewatch.models import CameraEventRecord, Case, Incident
from safewatch.schemas.common import Page
from safewatch.schemas.events import (
    BatchedReceipt,
    BatchReceipt,
    CameraEventPublic,
    ClipMissing,
    EventBatch,
    EventReceipt,
    FaceLists,
    ListedFace,
    NotTheOffender,
    OriginalsIn,
    OriginalsOut,
    ThresholdChangePublic,
)
from safewatch.services import camera_events, cases, face_feedback, incidents
from safewatch.services.context import Caller, system_record
from safewatch.services.enrolment import face_lists_for
from safewatch.store.paging import page_of
from safewatch.vision.faces.matching import SCORING
from safewatch.vision.faces.templates import TemplateSet

router = APIRouter(tags=["camera events"])
Viewer = Annotated[Caller, allow(*STAFF, Role.security_operator, Role.protected_person)]


def _public(record: CameraEventRecord) -> CameraEventPublic:
    return CameraEventPublic.model_validate(
        {
            **{c: getattr(record, c) for c in CameraEventPublic.model_fields if hasattr(record, c)},
            "has_snapshot": record.snapshot_name is not None,
            "has_clip": record.clip_name is not None,
            "faces_blurred": record.original_snapshot_name is not None
            or record.original_clip_name is not None,
        }
    )


def _sender_key(secret: str) -> str:
    """A camera as the rate limit counts it (not its credential itself)."""
    return security.secret_digest(secret)[:20]


@router.post("/device/events")
async def receive_event(
    response: Response,
    sender: DeviceSecretsDep,
    intake: IntakeDep,
    throttle: ThrottleDep,
    event: Annotated[str, Form(max_length=20_000, description="The event as JSON.")],
    snapshot: UploadFile | None = None,
) -> EventReceipt:
    """From a camera worker's outbox. Sending the same event again is harmless (200). The
    event opens (or joins) an incident in the same transaction, so an accepted event is
    never without its alert; open screens hear of it as the transaction commits."""
    throttle.hit("camera_event", _sender_key(sender.secrets[0]))
    data = await snapshot.read(MAX_SNAPSHOT_BYTES + 1) if snapshot else b""
    parsed = camera_events.parse_event(event)
    [answer] = await intake.submit(sender.secrets[:1], [Sent(0, parsed, data)])
    if isinstance(answer, SafewatchError):
        raise answer
    response.status_code = 201 if answer.created else 200
    return EventReceipt(id=answer.id, created=answer.created)


@router.post("/device/events/batch")
async def receive_events(
    sender: DeviceSecretsDep, intake: IntakeDep, throttle: ThrottleDep, batch: EventBatch
) -> BatchReceipt:
    """Many events from one camera worker (its backlog, or a busy moment), each with the
    answer the single-event route would give it. The header lists the credentials of the
    cameras in the batch, comma-separated; an event of a camera whose credential is refused
    is answered 401 and stops no other."""
    keys = [_sender_key(secret) for secret in sender.secrets]
    refused: dict[int, SafewatchError] = {}
    for k, item in enumerate(batch.events):
        if 0 <= item.camera < len(keys) and not throttle.allows("camera_event", keys[item.camera]):
            refused[k] = throttle.refusal("camera_event", keys[item.camera])  # stays in its outbox
    sent = [
        Sent(item.camera, item.event, item.snapshot or b"")
        for k, item in enumerate(batch.events)
        if k not in refused
    ]
    taken = iter(await intake.submit(sender.secrets, sent) if sent else [])
    answers = [refused[k] if k in refused else next(taken) for k in range(len(batch.events))]
    return BatchReceipt(
        results=[
            BatchedReceipt(
                id=item.event.id,
                created=False,
                status=answer.status_code,
                error=answer.message,
            )
            if isinstance(answer, SafewatchError)
            else BatchedReceipt(
                id=answer.id, created=answer.created, status=201 if answer.created else 200
            )
            for item, answer in zip(batch.events, answers, strict=True)
        ]
    )


@router.put("/device/events/{event_id}/clip")
async def receive_clip(
    request: Request,
    session: SessionDep,
    store: ClipStoreDep,
    device: DeviceDep,
    alerting: AlertingDep,
    event_id: uuid.UUID,
) -> EventReceipt:
    """The clip, once its post-roll has ended: the alert already sent gains its link."""
    body = await bounded_body(request, MAX_CLIP_BYTES, "a clip")

    def attach() -> CameraEventRecord:
        record, new = camera_events.attach_clip(session, store, device, event_id, body)
        if new:
            incidents.clip_arrived(session, alerting.routing, record, alerting.clock())
        return record

    record = await run_in_threadpool(attach)
    return EventReceipt(id=record.id, created=True)


@router.put("/device/events/{event_id}/original/{media}")
async def receive_original(
    request: Request,
    session: SessionDep,
    store: ClipStoreDep,
    device: DeviceDep,
    keys: KeysDep,
    event_id: uuid.UUID,
    media: camera_events.Original,
) -> EventReceipt:
    """The event's snapshot (JPEG) or clip (MP4) before bystanders' faces were blurred,
    for police eyes only; sent after the event."""
    snapshot = media == "snapshot"
    limit = MAX_SNAPSHOT_BYTES if snapshot else MAX_CLIP_BYTES
    body = await bounded_body(request, limit, f"a {media}")
    record = await run_in_threadpool(
        camera_events.attach_original, session, store, keys, device, event_id, media, body
    )
    return EventReceipt(id=record.id, created=True)


@router.post("/device/events/{event_id}/clip-missing")
def clip_missing(
    session: SessionDep, device: DeviceDep, event_id: uuid.UUID, data: ClipMissing
) -> EventReceipt:
    """The camera could not save the clip (full disk, stream gone): the event stands without."""
    record = camera_events.clip_missing(session, device, event_id, data.reason)
    return EventReceipt(id=record.id, created=False)


@router.get("/cases/{case_id}/events")
def case_events(
    session: SessionDep,
    caller: Viewer,
    alerting: AlertingDep,
    case_id: uuid.UUID,
    paging: PageDep,
) -> Page[CameraEventPublic]:
    case = cases.get_case(session, caller, case_id, "camera events viewed")
    order = [CameraEventRecord.occurred_at.desc()]
    where = [CameraEventRecord.case_id == case.id]
    rows, total = page_of(session, CameraEventRecord, where, order, paging.page, paging.size)
    query = select(Incident.id, Incident.closed_at).where(
        Incident.id.in_({r.incident_id for r in rows})
    )
    closed = {incident_id: at for incident_id, at in session.execute(query)}
    now, keep = alerting.clock(), alerting.routing.security_keeps_closed
    items = []
    for r in rows:  # long-closed incidents' events: no one's name, no pictures (security)
        event = _public(r)
        closed_at = closed.get(r.incident_id) if r.incident_id else None
        if not keeps_personal_data(caller.role, closed_at, now, keep):
            gone = {"identity": None, "has_snapshot": False, "has_clip": False}
            event = event.model_copy(update=gone)
        items.append(event)
    return Page(items=items, total=total, page=paging.page, size=paging.size)


def _event(
    session: SessionDep, caller: Caller, event_id: uuid.UUID, purpose: str, manage: bool = False
) -> CameraEventRecord:
    record = session.scalar(select(CameraEventRecord).where(CameraEventRecord.id == event_id))
    if record is None:
        raise NotFound("no such event")
    cases.get_case(session, caller, record.case_id, purpose, manage=manage)
    return record


def _media(
    session: SessionDep,
    caller: Caller,
    alerting: AlertingDep,
    event_id: uuid.UUID,
    what: Literal["snapshot", "clip"],
) -> str:
    record = _event(session, caller, event_id, f"event {what} viewed")
    closed = session.scalar(select(Incident.closed_at).where(Incident.id == record.incident_id))
    now, keep = alerting.clock(), alerting.routing.security_keeps_closed
    if not keeps_personal_data(caller.role, closed, now, keep):
        raise Forbidden("this incident closed long ago: its pictures are no longer shared")
    name = camera_events.media_name(record, what)
    if name is None:
        why = f": {record.clip_error}" if what == "clip" and record.clip_error else ""
        raise NotFound(f"this event has no {what}{why}")
    return name


@router.get(
    "/events/{event_id}/snapshot",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def event_snapshot(
    session: SessionDep,
    caller: Viewer,
    store: ClipStoreDep,
    alerting: AlertingDep,
    event_id: uuid.UUID,
) -> FileResponse:
    name = _media(session, caller, alerting, event_id, "snapshot")
    return FileResponse(
        store.path(name), media_type="image/jpeg", headers={"Cache-Control": "private, no-store"}
    )


@router.get(
    "/events/{event_id}/clip",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}}},
)
def event_clip(
    session: SessionDep,
    caller: Viewer,
    store: ClipStoreDep,
    alerting: AlertingDep,
    event_id: uuid.UUID,
) -> FileResponse:
    """The clip as MP4 (faststart; range requests let a browser play and seek at once)."""
    name = _media(session, caller, alerting, event_id, "clip")
    return FileResponse(
        store.path(name), media_type="video/mp4", headers={"Cache-Control": "private, no-store"}
    )


@router.post("/events/{event_id}/originals")
def open_originals(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.officer)],
    alerting: AlertingDep,
    event_id: uuid.UUID,
    data: OriginalsIn,
) -> OriginalsOut:
    """The event's snapshot and clip without the blur on bystanders' faces, by links that
    last five minutes. Police of the case only, saying why; the request and each opening
    are audited."""
    record = _event(session, caller, event_id, "unblurred originals requested")
    snapshot = camera_events.media_name(record, "original_snapshot")
    clip = camera_events.media_name(record, "original_clip")
    if snapshot is None and clip is None:
        raise NotFound("this event has no snapshot or clip")
    why = f"unblurred originals opened: {data.reason}"
    caller.record(session, "read", "event_original", record.id, why, record.case_id)
    audience = caller.role.value
    seconds = links.ORIGINAL_LINK_SECONDS

    def link(media: links.Media, name: str | None) -> str | None:
        return (
            alerting.links.url(record.id, media, audience, seconds, caller.user_id)
            if name
            else None
        )

    return OriginalsOut(
        snapshot_url=link("original_snapshot", snapshot),
        clip_url=link("original_clip", clip),
        expires_in_seconds=seconds,
    )


@router.post("/events/{event_id}/not-the-offender")
def not_the_offender(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer, Role.security_operator)],
    event_id: uuid.UUID,
    data: NotTheOffender,
) -> ThresholdChangePublic:
    """Whoever checked the scene says the recognised person was someone else: that camera's
    recognition threshold is tightened below the false match (the camera picks it up with its
    next face-list refresh). Nobody's face is added to any model."""
    record = _event(session, caller, event_id, "recognition feedback")
    change = face_feedback.not_the_offender(session, caller, record, data.reason)
    return ThresholdChangePublic.model_validate(change)


@router.get("/device/face-lists")
def face_lists(session: SessionDep, device: DeviceDep, enrolment: EnrolmentDep) -> FaceLists:
    """The camera's watch list (its case's offenders under an order in force), allow list
    (the case's familiar people) and the camera's threshold; no other case's template. Reading
    biometric templates is audited."""
    case_id = camera_events.camera_case(device)
    case = session.get(Case, case_id)
    assert case is not None
    lists = face_lists_for(enrolment.templates, case, date.today())
    system_record(
        session,
        "read",
        "face_templates",
        device.id,
        f"camera fetched its face lists ({len(lists.watch)} watched, {len(lists.allow)} allowed)",
    )
    return FaceLists(
        watch=[_listed(t, o.full_name) for o, t in lists.watch],
        allow=[_listed(t, p.full_name) for p, t in lists.allow],
        threshold=face_feedback.camera_threshold(session, device.id),
        scoring=SCORING,
    )


def _listed(templates: TemplateSet, name: str) -> ListedFace:
    return ListedFace(
        key=templates.person,
        name=name,
        vectors=templates.vectors.tolist(),
        expires_on=templates.expires_on,
    )
