"""Incidents: the consoles' queues, an incident's detail, and the consoles' actions (the SOS
is in ``sos.py``, the evidence and media in ``evidence.py``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter

from safewatch.api.deps import (
    STAFF,
    AlertingDep,
    PageDep,
    SessionDep,
    allow,
)
from safewatch.api.presenters import incident_summary
from safewatch.cases.access import keeps_personal_data
from safewatch.core.roles import Role
from safewatch.incidents.addresses import recipient_of
from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import (
    Claim,
    PoliceStatus,
    Recipient,
    allowed_actions,
)
from safewatch.incidents.location import Fix
from safewatch.models import Case, Incident
from safewatch.schemas.common import Page
from safewatch.schemas.incidents import (
    DeliveryPublic,
    DispatchIn,
    FixPublic,
    GuardPositionIn,
    GuardPublic,
    IncidentDetail,
    IncidentSummary,
    ManualIn,
    NoteIn,
    PoliceRequestOut,
    QueueItem,
    RecipientDuty,
    ResolveIn,
    TimelineEntry,
)
from safewatch.services import (
    camera_watch,
    cases,
    incident_actions,
    incident_reads,
    incidents,
    queue,
)
from safewatch.services.context import Caller
from safewatch.services.packets import incident_packet, without_personal_data
from safewatch.store.paging import page_of

router = APIRouter(tags=["incidents"])

Everyone = Annotated[
    Caller,
    allow(*STAFF, Role.security_operator, Role.dispatcher, Role.protected_person),
]
Responders = Annotated[Caller, allow(Role.admin, Role.officer, Role.security_operator)]
Security = Annotated[Caller, allow(Role.admin, Role.security_operator)]
Dispatchers = Annotated[Caller, allow(Role.admin, Role.dispatcher)]


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
    links, trust, now = alerting.links, alerting.routing.trust, alerting.clock()
    packet = incident_packet(session, incident, case, recipient, links, caller.user_id, trust, now)
    keeps = _keeps(caller, incident, alerting)
    timeline = [TimelineEntry.model_validate(e) for e in incident_reads.timeline(session, incident)]
    deliveries = [
        DeliveryPublic.model_validate(d) for d in incident_reads.deliveries(session, incident)
    ]
    track = [FixPublic.model_validate(f) for f in incident_reads.track(session, incident)]
    guards = [GuardPublic.model_validate(g) for g in incident_reads.guards(session, incident)]
    victim = caller.role is Role.protected_person
    if victim:  # she is told he is near, not where he is
        timeline = [_for_victim(e) for e in timeline]
    if not keeps:  # the lines stay; what they said of people (a phone, a name) goes
        track, guards = [], []
        packet = without_personal_data(packet)
        timeline = [e.model_copy(update={"detail": "", "facts": None}) for e in timeline]
        deliveries = [d.model_copy(update={"last_error": None}) for d in deliveries]
    return IncidentDetail(
        summary=incident_summary(incident, keeps, victim),
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
        track=track,
        guards=guards,
    )


def _for_victim(entry: TimelineEntry) -> TimelineEntry:
    if entry.facts is None or entry.facts.signal is None:
        return entry
    facts = entry.facts.model_copy(update={"signal": entry.facts.signal.for_victim()})
    return entry.model_copy(update={"facts": facts})


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
    where: list[Any] = list(incident_reads.queue_filter(caller))
    if open_only:
        where.append(Incident.closed_at.is_(None))
    if case_id is not None:
        where.append(Incident.case_id == case_id)
    by = queue.triage_order() if order == "triage" else [Incident.created_at.desc()]
    rows, total = page_of(session, Incident, where, by, paging.page, paging.size)
    caller.record(session, "read", "incident", None, "incident queue viewed")
    facts = queue.queue_facts(session, rows)
    victim = caller.role is Role.protected_person
    for i in rows:  # long closed: a record without the person (the security company)
        if not _keeps(caller, i, alerting):
            facts[i.id] = facts[i.id]._replace(person_name="", area="")
    items = [
        QueueItem.model_validate(
            {
                **incident_summary(i, _keeps(caller, i, alerting), victim).model_dump(),
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
    incident, case = incident_actions.visible(session, caller, incident_id)
    return _detail(session, alerting, caller, incident, case)


@router.post("/incidents", status_code=201)
def report_incident(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    alerting: AlertingDep,
    data: ManualIn,
) -> IncidentSummary:
    """An officer's own report (a call, a sighting): routed like any other incident."""
    case = cases.get_case(session, caller, data.case_id, "incident reported", manage=True)
    incident, _ = incidents.open_or_join(
        session,
        alerting.routing,
        case,
        join_key=f"manual:{uuid.uuid4()}",
        now=alerting.clock(),
        actor=incident_actions.actor_of(session, caller),
        summary=data.summary,
        facts=IncidentFacts(
            kind=IncidentKind.manual, source=SignalSource.officer, text=data.summary
        ),
        user_id=caller.user_id,
    )
    return incident_summary(incident)


# --- Actions ------------------------------------------------------------------------------------


def _acted(
    session: SessionDep,
    alerting: AlertingDep,
    caller: Caller,
    incident: Incident,
    case: Case,
) -> IncidentDetail:
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
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.seen(session, caller, incident, case, alerting.clock())
    return {"status": "ok"}


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(
    session: SessionDep,
    caller: Everyone,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
) -> IncidentDetail:
    """“I've seen it / I'm safe”: stops the caller's acknowledgement deadline."""
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.acknowledge(
        session, alerting.routing, caller, incident, case, alerting.clock()
    )
    return _acted(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/claim")
def claim(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
) -> IncidentDetail:
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.claim(session, alerting.routing, caller, incident, case, alerting.clock())
    return _acted(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/dispatch")
def dispatch_guards(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
    data: DispatchIn,
) -> IncidentDetail:
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.dispatch_guards(
        session, alerting.routing, caller, incident, case, data.unit, alerting.clock()
    )
    return _acted(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/arrive")
def arrive(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
) -> IncidentDetail:
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.arrived(session, alerting.routing, caller, incident, case, alerting.clock())
    return _acted(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/request-police")
def request_police(
    session: SessionDep,
    caller: Responders,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
    data: NoteIn,
) -> IncidentDetail:
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.request_police(
        session, alerting.routing, caller, incident, case, data.note, alerting.clock()
    )
    return _acted(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    session: SessionDep,
    caller: Responders,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
    data: ResolveIn,
) -> IncidentDetail:
    """Resolved, or a false alarm with its reason; "not the offender" tightens recognition."""
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.resolve(
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
    return _acted(session, alerting, caller, incident, case)


@router.post("/incidents/{incident_id}/guards")
def guard_position(
    session: SessionDep,
    caller: Security,
    alerting: AlertingDep,
    incident_id: uuid.UUID,
    data: GuardPositionIn,
) -> IncidentDetail:
    """A guard unit on its way says where it is: the consoles' map shows each unit's latest."""
    incident, case = incident_actions.visible(session, caller, incident_id)
    fix = Fix(data.latitude, data.longitude, data.accuracy_m)
    now = alerting.clock()
    incident_actions.guard_position(
        session, alerting.routing, caller, incident, case, data.unit, fix, now
    )
    return _acted(session, alerting, caller, incident, case)


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
    incident_id: uuid.UUID,
    step: Literal["accept", "dispatch", "close"],
    data: NoteIn,
) -> IncidentDetail:
    """The 112 centre: accept the request, dispatch a patrol, close it."""
    incident, case = incident_actions.visible(session, caller, incident_id)
    incident_actions.police_action(
        session,
        alerting.routing,
        caller,
        incident,
        case,
        POLICE_STEPS[step],
        data.note,
        alerting.clock(),
    )
    return _acted(session, alerting, caller, incident, case)
