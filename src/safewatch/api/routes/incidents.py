"""Incidents: the consoles' queues and actions, the protected person's alert and SOS, the
devices' SOS and location, and signed media links."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import FileResponse, Response
from pydantic import Field, StringConstraints
from sqlalchemy import select

from safewatch.alerts.addresses import recipient_of
from safewatch.alerts.facts import EntryFacts, IncidentFacts, IncidentKind, SignalSource
from safewatch.alerts.lifecycle import (
    Action,
    Asked,
    Claim,
    DeliveryStatus,
    Outcome,
    PoliceReach,
    PoliceRequest,
    PoliceStatus,
    Recipient,
    allowed_actions,
)
from safewatch.api.deps import (
    STAFF,
    AlertingDep,
    ClipStoreDep,
    DeviceDep,
    KeysDep,
    PageDep,
    SessionDep,
    SettingsDep,
    ThrottleDep,
    allow,
    public,
)
from safewatch.cases.access import keeps_personal_data
from safewatch.core.errors import Forbidden, Invalid, NotFound
from safewatch.core.roles import Role
from safewatch.models import CameraEventRecord, Case, Incident
from safewatch.models.resources import DeviceKind
from safewatch.schemas.common import Page, Schema
from safewatch.schemas.resources import CameraStatus
from safewatch.services import camera_watch, cases, evidence, incidents, queue
from safewatch.services.camera_events import media_name, read_media
from safewatch.services.context import Caller
from safewatch.services.packets import incident_packet, without_personal_data
from safewatch.store import audit, signing
from safewatch.store.paging import page_of

router = APIRouter(tags=["incidents"])

Everyone = Annotated[
    Caller,
    allow(*STAFF, Role.security_operator, Role.dispatcher, Role.protected_person),
]
Responders = Annotated[Caller, allow(Role.admin, Role.officer, Role.security_operator)]
Security = Annotated[Caller, allow(Role.admin, Role.security_operator)]
Dispatchers = Annotated[Caller, allow(Role.admin, Role.dispatcher)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class IncidentSummary(Schema):
    id: uuid.UUID
    reference: str
    case_id: uuid.UUID
    source: str
    type: str
    severity: str
    summary: str = Field(description="In English, for logs; screens word `facts`.")
    facts: IncidentFacts | None
    status: str
    police_status: str
    outcome: str | None
    created_at: datetime
    last_signal_at: datetime
    guard_unit: str | None


class PoliceRequestOut(Schema):
    """What a police request asks and how far it got (``lifecycle.PoliceReach``)."""

    reach: PoliceReach
    asked: Asked | None = Field(description="Why the police were asked; None if they were not.")
    by: str = Field(description="Who asked, or which group did not answer in time.")
    note: str

    @classmethod
    def of(cls, request: PoliceRequest) -> PoliceRequestOut:
        return cls(reach=request.reach, asked=request.asked, by=request.by, note=request.note)


class QueueItem(IncidentSummary):
    """A queue row: the incident, and who, where and how far its police request got."""

    case_reference: str
    person_name: str
    area: str = Field(description="The home's district and street, without the house number.")
    claimed_by_name: str | None
    claim: Claim = Field(description="Whether the caller, someone else or nobody claimed it.")
    police: PoliceRequestOut


class TimelineEntry(Schema):
    at: datetime
    kind: str
    actor: str
    recipient: Recipient | None
    detail: str = Field(description="In English (or a person's own words, without facts).")
    facts: EntryFacts | None


class RecipientDuty(Schema):
    recipient: Recipient
    notified_at: datetime
    deadline_at: datetime | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None


class DeliveryPublic(Schema):
    recipient: Recipient
    channel: str
    message: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class IncidentDetail(Schema):
    summary: IncidentSummary
    packet: dict[str, Any]
    recipients: list[RecipientDuty]
    timeline: list[TimelineEntry]
    deliveries: list[DeliveryPublic]
    cameras: list[CameraStatus] = Field(
        default_factory=list, description="The case's cameras now (not for the 112 centre)."
    )
    actions: list[Action] = Field(
        default_factory=list, description="What the caller may do now (the screen's buttons)."
    )
    claim: Claim = Claim.nobody
    claimed_by_name: str | None = None


class SosIn(Schema):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    battery_percent: int | None = Field(None, ge=0, le=100)


class SosReceipt(Schema):
    incident: IncidentSummary
    call: str = Field(description="Hand the phone to this (the 112 emergency line).")
    latest_clip_url: str | None


class LocationIn(Schema):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    battery_percent: int | None = Field(None, ge=0, le=100)


class ManualIn(Schema):
    case_id: uuid.UUID
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class DispatchIn(Schema):
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class NoteIn(Schema):
    note: Note = ""


class ResolveIn(Schema):
    outcome: Outcome
    reason: Note = ""
    not_the_offender: bool = Field(
        False, description="The person a camera named was someone else: tighten its threshold."
    )


def _summary(incident: Incident, keeps: bool = True) -> IncidentSummary:
    """The incident; for a reader whose time with its personal data is over, without whom a
    camera recognised, a position, or a person's own words (``keeps_personal_data``)."""
    summary = IncidentSummary.model_validate(incident)
    if keeps:
        return summary
    personal = {"identity": None, "latitude": None, "longitude": None, "text": None}
    facts = summary.facts.model_copy(update=personal) if summary.facts else None
    return summary.model_copy(update={"summary": incident.type.replace("_", " "), "facts": facts})


def _claim(incident: Incident, caller: Caller) -> Claim:
    if incident.claimed_by is None:
        return Claim.nobody
    return Claim.you if incident.claimed_by == caller.user_id else Claim.someone_else


def _keeps(caller: Caller, incident: Incident, alerting: AlertingDep) -> bool:
    keep = alerting.routing.security_keeps_closed
    return keeps_personal_data(caller.role, incident.closed_at, alerting.clock(), keep)


def _detail(
    session: SessionDep, alerting: AlertingDep, caller: Caller, incident: Incident, case: Case
) -> IncidentDetail:
    recipient = recipient_of(caller.actor, case.scope, case.officer_id) or Recipient.officer
    claim = _claim(incident, caller)
    [row] = queue.queue_facts(session, [incident]).values()
    packet = incident_packet(session, incident, case, recipient, alerting.links, caller.user_id)
    keeps = _keeps(caller, incident, alerting)
    timeline = [TimelineEntry.model_validate(e) for e in incidents.timeline(session, incident)]
    deliveries = [DeliveryPublic.model_validate(d) for d in incidents.deliveries(session, incident)]
    if not keeps:  # the lines stay; what they said of people (a phone, a name) goes
        packet = without_personal_data(packet)
        timeline = [e.model_copy(update={"detail": "", "facts": None}) for e in timeline]
        deliveries = [d.model_copy(update={"last_error": None}) for d in deliveries]
    return IncidentDetail(
        summary=_summary(incident, keeps),
        packet=packet,
        recipients=[RecipientDuty.model_validate(r) for r in incident.recipients],
        timeline=timeline,
        deliveries=deliveries,
        cameras=camera_watch.case_cameras(
            session, caller, case, alerting.clock(), alerting.silence.camera
        ),
        actions=allowed_actions(incident.status, incident.police_status, caller.role, claim),
        claim=claim,
        claimed_by_name=row.claimed_by_name,
    )


# --- Queues -------------------------------------------------------------------------------------


@router.get("/incidents")
def list_incidents(
    session: SessionDep,
    caller: Everyone,
    alerting: AlertingDep,
    paging: PageDep,
    open_only: bool = True,
    case_id: uuid.UUID | None = None,
    order: Literal["newest", "triage"] = "newest",
) -> Page[QueueItem]:
    """The caller's queue, newest first (or ``triage``: the most severe first, then new
    before handled): the security company's cases, the 112 centre's police requests, an
    officer's or caseworker's agency, the protected person's own. Each row says who, the
    home's area, its case, who claimed it and how far its police request got."""
    where: list[Any] = list(incidents.queue_filter(caller))
    if open_only:
        where.append(Incident.closed_at.is_(None))
    if case_id is not None:
        where.append(Incident.case_id == case_id)
    by = queue.triage_order() if order == "triage" else [Incident.created_at.desc()]
    rows, total = page_of(session, Incident, where, by, paging.page, paging.size)
    caller.record(session, "read", "incident", None, "incident queue viewed")
    facts = queue.queue_facts(session, rows)
    for i in rows:  # long closed: a record without the person (the security company)
        if not _keeps(caller, i, alerting):
            facts[i.id] = facts[i.id]._replace(person_name="", area="")
    items = [
        QueueItem.model_validate(
            {
                **_summary(i, _keeps(caller, i, alerting)).model_dump(),
                **facts[i.id]._asdict(),
                "police": PoliceRequestOut.of(facts[i.id].police),
                "claim": _claim(i, caller),
            }
        )
        for i in rows
    ]
    return Page(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/incidents/{incident_id}")
def get_incident(
    session: SessionDep, caller: Everyone, alerting: AlertingDep, incident_id: uuid.UUID
) -> IncidentDetail:
    incident, case = incidents.visible(session, caller, incident_id)
    return _detail(session, alerting, caller, incident, case)


@router.post("/incidents", status_code=201)
def report_incident(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    alerting: AlertingDep,
    background: BackgroundTasks,
    data: ManualIn,
) -> IncidentSummary:
    """An officer's own report (a call, a sighting): routed like any other incident."""
    case = cases.get_case(session, caller, data.case_id, "incident reported", manage=True)
    incident, _ = incidents.open_or_join(
        session,
        alerting.routing,
        case,
        source="officer",
        type_="manual",
        join_key=f"manual:{uuid.uuid4()}",
        now=alerting.clock(),
        actor=incidents.actor_of(session, caller),
        summary=data.summary,
        facts=IncidentFacts(
            kind=IncidentKind.manual, source=SignalSource.officer, text=data.summary
        ),
        user_id=caller.user_id,
    )
    background.add_task(alerting.dispatcher.wake)
    return _summary(incident)


# --- Actions ------------------------------------------------------------------------------------


def _acted(
    session: SessionDep,
    alerting: AlertingDep,
    background: BackgroundTasks,
    caller: Caller,
    incident: Incident,
    case: Case,
) -> IncidentDetail:
    background.add_task(alerting.dispatcher.wake)
    session.flush()
    return _detail(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/seen")
def mark_seen(
    session: SessionDep,
    caller: Everyone,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
) -> dict[str, str]:
    """The screen showed the alert: a delivery receipt on the timeline."""
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.seen(session, caller, incident, case, alerting.clock())
    return {"status": "ok"}


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(
    session: SessionDep,
    caller: Everyone,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
) -> IncidentDetail:
    """“I've seen it / I'm safe”: stops the caller's acknowledgement deadline."""
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.acknowledge(session, alerting.routing, caller, incident, case, alerting.clock())
    return _acted(session, alerting, background, caller, incident, case)


@router.post("/incidents/{incident_id}/claim")
def claim(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
) -> IncidentDetail:
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.claim(session, alerting.routing, caller, incident, case, alerting.clock())
    return _acted(session, alerting, background, caller, incident, case)


@router.post("/incidents/{incident_id}/dispatch")
def dispatch_guards(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
    data: DispatchIn,
) -> IncidentDetail:
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.dispatch_guards(
        session, alerting.routing, caller, incident, case, data.unit, alerting.clock()
    )
    return _acted(session, alerting, background, caller, incident, case)


@router.post("/incidents/{incident_id}/arrive")
def arrive(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
) -> IncidentDetail:
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.arrived(session, alerting.routing, caller, incident, case, alerting.clock())
    return _acted(session, alerting, background, caller, incident, case)


@router.post("/incidents/{incident_id}/request-police")
def request_police(
    session: SessionDep,
    caller: Responders,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
    data: NoteIn,
) -> IncidentDetail:
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.request_police(
        session, alerting.routing, caller, incident, case, data.note, alerting.clock()
    )
    return _acted(session, alerting, background, caller, incident, case)


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    session: SessionDep,
    caller: Responders,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
    data: ResolveIn,
) -> IncidentDetail:
    """Resolved, or a false alarm with its reason; "not the offender" tightens recognition."""
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.resolve(
        session,
        alerting.routing,
        caller,
        incident,
        case,
        data.outcome,
        data.reason,
        data.not_the_offender,
        alerting.clock(),
    )
    return _acted(session, alerting, background, caller, incident, case)


POLICE_STEPS = {
    "accept": PoliceStatus.accepted,
    "dispatch": PoliceStatus.dispatched,
    "close": PoliceStatus.closed,
}


@router.post("/incidents/{incident_id}/police/{step}")
def police_step(
    session: SessionDep,
    caller: Dispatchers,
    alerting: AlertingDep,
    background: BackgroundTasks,
    incident_id: uuid.UUID,
    step: Literal["accept", "dispatch", "close"],
    data: NoteIn,
) -> IncidentDetail:
    """The 112 centre: accept the request, dispatch a patrol, close it."""
    incident, case = incidents.visible(session, caller, incident_id)
    incidents.police_action(
        session, alerting.routing, caller, incident, POLICE_STEPS[step], data.note, alerting.clock()
    )
    return _acted(session, alerting, background, caller, incident, case)


# --- SOS ----------------------------------------------------------------------------------------


def _latest_clip(
    session: SessionDep, alerting: AlertingDep, case: Case, caller: Caller
) -> str | None:
    record = session.scalar(
        select(CameraEventRecord)
        .where(CameraEventRecord.case_id == case.id, CameraEventRecord.clip_name.is_not(None))
        .order_by(CameraEventRecord.occurred_at.desc())
        .limit(1)
    )
    return alerting.links.url(record.id, "clip", "victim", by=caller.user_id) if record else None


@router.post("/me/sos", status_code=201)
def my_sos(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.protected_person)],
    alerting: AlertingDep,
    data: SosIn,
    throttle: ThrottleDep,
) -> SosReceipt:
    """The app's SOS button: the security company and 112 are told at once, with the location
    and the latest clip; the app then dials 112."""
    throttle.hit("sos", f"person:{caller.user_id}")
    found, _ = cases.list_cases(session, caller, 1, 1)
    if not found:
        raise NotFound("no open case is linked to your account")
    case = found[0]
    incident = incidents.open_sos(
        session,
        alerting.routing,
        case,
        alerting.clock(),
        "phone",
        incidents.actor_of(session, caller),
        data.latitude,
        data.longitude,
        data.battery_percent,
        user_id=caller.user_id,
    )
    alerting.dispatcher.publish_after_commit(session, incident)
    return SosReceipt(
        incident=_summary(incident),
        call="tel:112",
        latest_clip_url=_latest_clip(session, alerting, case, caller),
    )


def _wearer_case(session: SessionDep, device: DeviceDep) -> Case:
    if device.kind not in (DeviceKind.smartwatch, DeviceKind.bell):
        raise Forbidden("only a smartwatch or an emergency bell sends an SOS")
    if device.case_id is None:
        raise Invalid("this device is not issued to any case")
    case = incidents.alert_case(session, device.case_id)
    assert case is not None
    return case


@router.post("/device/sos", status_code=201)
def device_sos(
    session: SessionDep,
    device: DeviceDep,
    alerting: AlertingDep,
    data: SosIn,
    throttle: ThrottleDep,
) -> IncidentSummary:
    """A smartwatch's or an emergency bell's SOS (a bell without GPS: the home address)."""
    throttle.hit("sos", f"device:{device.id}")
    case = _wearer_case(session, device)
    now = alerting.clock()
    device.last_seen_at = now
    if data.battery_percent is not None:
        device.battery_percent = data.battery_percent
    source = "watch" if device.kind is DeviceKind.smartwatch else "bell"
    incident = incidents.open_sos(
        session,
        alerting.routing,
        case,
        now,
        source,
        f"{source} {device.serial}",
        data.latitude,
        data.longitude,
        data.battery_percent,
        device=device,
    )
    alerting.dispatcher.publish_after_commit(session, incident)
    return _summary(incident)


@router.post("/device/location")
def device_location(
    session: SessionDep,
    device: DeviceDep,
    alerting: AlertingDep,
    background: BackgroundTasks,
    data: LocationIn,
) -> dict[str, str | None]:
    """Where the watch is; while an SOS is open its incident follows the wearer."""
    case = _wearer_case(session, device)
    now = alerting.clock()
    device.last_seen_at = now
    if data.battery_percent is not None:
        device.battery_percent = data.battery_percent
    incident = incidents.update_location(
        session, alerting.routing, case, device, data.latitude, data.longitude, now
    )
    if incident is not None:
        background.add_task(alerting.dispatcher.wake)
    return {"status": "ok", "incident_id": str(incident.id) if incident else None}


@router.get(
    "/incidents/{incident_id}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_evidence(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    store: ClipStoreDep,
    settings: SettingsDep,
    alerting: AlertingDep,
    keys: KeysDep,
    incident_id: uuid.UUID,
) -> Response:
    """The incident's evidence package (zip): record, timeline, events with their snapshots
    and clips, the audit extract, and a signed hash manifest (``safewatch evidence verify``).
    The reason goes in the X-Safewatch-Reason header; the export is audited."""
    if not caller.stated_reason:
        raise Invalid("say why the evidence is exported (X-Safewatch-Reason header)")
    incident, case = incidents.visible(session, caller, incident_id)
    incident.evidence_hold = True  # what went to court is not purged from under it
    package = evidence.build(
        session,
        store,
        signing.load_or_create(settings.evidence_key_file),
        incident,
        case,
        incidents.actor_of(session, caller),
        caller.stated_reason,
        alerting.clock(),
        keys if caller.role is Role.officer else None,  # unblurred faces: police eyes only
    )
    caller.record(
        session,
        "export",
        "incident",
        incident.id,
        f"evidence exported (manifest sha256 {package.manifest_sha256})",
        case.id,
    )
    return Response(
        package.data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{package.name}"',
            "Cache-Control": "no-store",
        },
    )


class HoldIn(Schema):
    hold: bool = Field(description="Keep the media past the retention period (or stop).")


@router.post("/incidents/{incident_id}/hold")
def hold_as_evidence(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    incident_id: uuid.UUID,
    data: HoldIn,
) -> dict[str, bool]:
    """Hold an incident's snapshots and clips as evidence (they outlive the retention
    period), or release them. The reason goes in the X-Safewatch-Reason header."""
    if not caller.stated_reason:
        raise Invalid("say why (X-Safewatch-Reason header)")
    incident, case = incidents.visible(session, caller, incident_id)
    incident.evidence_hold = data.hold
    what = "held as evidence" if data.hold else "released from the evidence hold"
    caller.record(session, "update", "incident", incident.id, what, case.id)
    return {"evidence_hold": incident.evidence_hold}


# --- Media by signed link -----------------------------------------------------------------------


@router.get(
    "/media/{token}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "video/mp4": {}}}},
    dependencies=[public],
)
def media(
    session: SessionDep, store: ClipStoreDep, keys: KeysDep, alerting: AlertingDep, token: str
) -> Response:
    """A snapshot or clip by a short-lived signed link (what a <video> tag or the 112 system
    can open); every opening is audited."""
    grant = alerting.links.verify(token)
    record = session.get(CameraEventRecord, grant.event_id)
    name = None if record is None else media_name(record, grant.media)
    if record is None or name is None:
        raise NotFound(f"this event has no {grant.media.replace('_', ' ')}")
    # Who opened it is whoever holds the link: the trail names whom it was made for.
    made = f"made for {grant.audience}" + ("" if grant.by else " by an alert's delivery")
    audit.append(
        session,
        audit.AuditRecord(
            actor_id=grant.by,
            actor_role="signed_link",
            action="read",
            entity=f"event_{grant.media}",
            entity_id=str(record.id),
            reason=f"opened by a signed link {made}",
            case_id=record.case_id,
        ),
    )
    media_type = "image/jpeg" if grant.media.endswith("snapshot") else "video/mp4"
    headers = {"Cache-Control": "private, no-store"}
    if name in (record.original_snapshot_name, record.original_clip_name):  # sealed at rest
        return Response(read_media(store, keys, name), media_type=media_type, headers=headers)
    return FileResponse(store.path(name), media_type=media_type, headers=headers)
