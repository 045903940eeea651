"""The police request: how far it got (``PoliceReach``), what it asks of the police, and its
fallback. A request that no 112 screen and no 112 system took, or that 112 left unanswered
past its deadline, is texted to the duty phone (the setting, else the case's police
station's phone); with neither, the administrators are told. It is never silent."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.bus.base import Notice
from safewatch.incidents import decisions
from safewatch.incidents.lifecycle import (
    NOT_REQUESTED,
    Asked,
    DeliveryStatus,
    PoliceRequest,
    PoliceStatus,
    Recipient,
    needs_fallback,
    police_reach,
)
from safewatch.incidents.policy import Routing
from safewatch.models import Agency, Case, Delivery, Incident, IncidentEntry
from safewatch.services import incident_writer
from safewatch.services.incident_writer import Change
from safewatch.store.base import table

log = logging.getLogger(__name__)
UNREACHED = decisions.POLICE_UNREACHED  # the timeline entry of a fallback
ADMINS = "role:admin"

Alerts = list[tuple[str, DeliveryStatus]]


class PoliceFacts(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def police_status(self) -> PoliceStatus: ...


def _alerts(session: Session, incident_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Alerts]:
    """The police group's alerts (channel, status) of many incidents, in one query."""
    ids = list(set(incident_ids))
    out: dict[uuid.UUID, Alerts] = defaultdict(list)
    if not ids:
        return out
    d = table(Delivery).c
    query = select(d.incident_id, d.channel, d.status).where(
        d.incident_id.in_(ids), d.recipient == Recipient.police, d.message != "update"
    )
    for row in session.execute(query):
        out[row.incident_id].append((row.channel, row.status))
    return out


def requests_by_incident(
    session: Session, found: Iterable[PoliceFacts]
) -> dict[uuid.UUID, PoliceRequest]:
    """Each incident's police request: how far it got (deliveries, only for requests still
    waiting for 112) and what it asks (its timeline: a person's request, an escalation to
    the police, else the policy of the incident's type). Two queries for any number."""
    found = list(found)
    asked = [i.id for i in found if i.police_status is not PoliceStatus.none]
    if not asked:
        return {i.id: NOT_REQUESTED for i in found}
    waiting = [i.id for i in found if i.police_status is PoliceStatus.requested]
    alerts = _alerts(session, waiting)
    e = table(IncidentEntry).c
    rows = session.execute(
        select(e.incident_id, e.kind, e.actor, e.detail, e.recipient)
        .where(e.incident_id.in_(asked), e.kind.in_(("police_request", "escalated")))
        .order_by(e.id)
    )
    why: dict[uuid.UUID, tuple[Asked, str, str]] = {}
    for row in rows:
        if row.incident_id in why:
            continue  # the first one asked
        if row.kind == "police_request":
            why[row.incident_id] = (Asked.by_person, row.actor, row.detail)
        elif row.recipient is Recipient.police:  # "<group> did not acknowledge by …"
            why[row.incident_id] = (Asked.escalated, row.detail.split(" ", 1)[0], "")
    out = {}
    for i in found:
        if i.police_status is PoliceStatus.none:
            out[i.id] = NOT_REQUESTED
            continue
        reach = police_reach(i.police_status, alerts.get(i.id, []))
        out[i.id] = PoliceRequest(reach, *why.get(i.id, (Asked.by_policy, "", "")))
    return out


def duty_phone(session: Session, routing: Routing, case_id: uuid.UUID) -> str | None:
    """Where a request that reached nobody is texted: the setting, else the case's police
    station's phone."""
    if routing.police_duty_phone:
        return routing.police_duty_phone
    phone = session.scalar(
        select(Agency.phone)
        .join(Case, Case.police_station_id == Agency.id)
        .where(Case.id == case_id)
    )
    return phone or None


def fall_back(
    session: Session,
    routing: Routing,
    incident_ids: Iterable[uuid.UUID],
    now: datetime,
    deadline_missed: bool = False,
) -> list[Notice]:
    """Send the requests that reached nobody (or that 112 left past its deadline) to the
    duty phone, once; every screen showing them hears of it. Returns the administrators'
    notices for requests with no duty phone to text (to publish after the commit)."""
    ids = sorted(set(incident_ids))
    if not ids:
        return []
    locked = session.scalars(select(Incident).where(Incident.id.in_(ids)).with_for_update())
    found = {i.id: i for i in locked}
    alerts = _alerts(session, ids)
    e = table(IncidentEntry).c
    done = set(
        session.scalars(select(e.incident_id).where(e.incident_id.in_(ids), e.kind == UNREACHED))
    )
    notices = []
    states = incident_writer.load(session, found)
    changes = []
    for incident_id in ids:
        incident = found.get(incident_id)
        if incident is None or incident_id in done:
            continue
        if not needs_fallback(incident.police_status, alerts[incident_id], deadline_missed):
            continue
        phone = duty_phone(session, routing, incident.case_id)
        before = states[incident_id]
        effects = decisions.police_unreached(routing, before, phone, deadline_missed)
        changes.append(Change(before, effects))
        if not phone:
            log.error("incident %s: %s", incident.reference, effects.lines[0].detail)
            payload = {
                "kind": "security",
                "what": UNREACHED,
                "reference": incident.reference,
                "incident_id": str(incident.id),
            }
            notices.append(Notice(frozenset({ADMINS}), payload))
    incident_writer.save(session, changes, now)
    return notices
