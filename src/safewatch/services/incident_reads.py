"""What the screens read of incidents — a queue's conditions, an incident's timeline and
deliveries — and the backlog a screen shows when it connects (the in-app alerts that waited
for a screen are marked delivered then, on the timeline)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from safewatch.core.links import LinkSigner
from safewatch.core.roles import Role
from safewatch.incidents import decisions
from safewatch.incidents.addresses import recipient_of
from safewatch.incidents.lifecycle import (
    DeliveryStatus,
    IncidentStatus,
    PoliceStatus,
    Recipient,
)
from safewatch.incidents.policy import Routing
from safewatch.models import (
    Case,
    Delivery,
    GuardPosition,
    Incident,
    IncidentEntry,
    IncidentFix,
    IncidentRecipient,
)
from safewatch.schemas.alerts import AlertPacket
from safewatch.services import incident_writer
from safewatch.services.cases import scope_filter
from safewatch.services.context import Caller
from safewatch.services.incident_writer import Change
from safewatch.services.packets import build_packet, case_facts, events_by_incident
from safewatch.services.police import requests_by_incident


def open_incidents_for(session: Session, caller: Caller, limit: int = 200) -> list[Incident]:
    """The backlog a screen shows when it connects: the open incidents of its queue."""
    query = select(Incident).where(Incident.status != IncidentStatus.closed, *queue_filter(caller))
    return list(session.scalars(query.order_by(Incident.created_at.desc()).limit(limit)))


@dataclass(frozen=True)
class BacklogItem:
    """An open incident as a connecting screen first shows it."""

    recipient: Recipient  # the group the screen's person answers for
    answered_at: datetime | None  # when they said "I've seen it" (shown after a reload)
    packet: AlertPacket

    def wire(self) -> dict[str, Any]:
        return {
            "kind": "backlog",
            "recipient": self.recipient.value,
            "answered_at": self.answered_at,
            **self.packet.wire(),
        }


def backlog(
    session: Session, caller: Caller, links: LinkSigner, routing: Routing, now: datetime
) -> list[BacklogItem]:
    """The open incidents of the caller's queue (up to 200), each with the packet made for
    their group: cases, events and police requests in one query each, not per incident (a
    hub restart reconnects every phone at once). In-app alerts that waited for a screen are
    shown now (``shown_on_connect``); reading a protected person's details is audited."""
    open_now = open_incidents_for(session, caller)
    cases = case_facts(session, {i.case_id for i in open_now})
    events = events_by_incident(session, {i.id for i in open_now})
    requests = requests_by_incident(session, open_now)
    items = []
    shown_with_person: dict[uuid.UUID, list[str]] = defaultdict(list)
    for incident in open_now:
        case = cases[incident.case_id]
        who = recipient_of(caller.actor, case.scope, case.officer_id) or Recipient.officer
        packet = build_packet(
            incident,
            case,
            events[incident.id],
            who,
            links,
            requests[incident.id],
            caller.user_id,
            trust=routing.trust,
            now=now,
        )
        shown = shown_on_connect(session, incident, who, now)
        if shown and who is Recipient.police:  # now on a 112 screen: the others hear it
            state = incident_writer.state_of(incident)
            effects = decisions.screens_told(routing, state)
            incident_writer.save(session, [Change(state, effects)], now)
        answered = next(
            (r.acknowledged_at for r in incident.recipients if r.recipient is who), None
        )
        items.append(BacklogItem(who, answered, packet))
        if packet.protected_person is not None:  # her name, phone and address were read
            shown_with_person[incident.case_id].append(incident.reference)
    for case_id, references in shown_with_person.items():
        what = f"open incident(s) shown when a screen connected: {', '.join(references)}"
        caller.record(session, "read", "incident", None, what[:300], case_id)
    return items


def shown_on_connect(
    session: Session, incident: Incident, recipient: Recipient, now: datetime
) -> bool:
    """A screen that connects shows the open incident first thing (its backlog): in-app
    alerts that earlier found no screen open are delivered now, and the timeline says so.
    True if there were any."""
    waiting = session.scalars(
        select(Delivery).where(
            Delivery.incident_id == incident.id,
            Delivery.recipient == recipient,
            Delivery.channel == "in_app",
            Delivery.message != "update",
            Delivery.status.in_((DeliveryStatus.pending, DeliveryStatus.failed)),
        )
    ).all()
    for d in waiting:
        d.status, d.delivered_at, d.last_error = DeliveryStatus.delivered, now, None
    if waiting:
        before = incident_writer.state_of(incident)
        effects = decisions.shown_on_connect(before, recipient)
        incident_writer.save(session, [Change(before, effects)], now)
    return bool(waiting)


def timeline(session: Session, incident: Incident) -> list[IncidentEntry]:
    return list(
        session.scalars(
            select(IncidentEntry)
            .where(IncidentEntry.incident_id == incident.id)
            .order_by(IncidentEntry.id)
        )
    )


def track(session: Session, incident: Incident) -> list[IncidentFix]:
    return list(
        session.scalars(
            select(IncidentFix)
            .where(IncidentFix.incident_id == incident.id)
            .order_by(IncidentFix.id)
        )
    )


def guards(session: Session, incident: Incident) -> list[GuardPosition]:
    """Each guard unit's latest position."""
    latest: dict[str, GuardPosition] = {}
    query = select(GuardPosition).where(GuardPosition.incident_id == incident.id)
    for row in session.scalars(query.order_by(GuardPosition.id)):
        latest[row.unit] = row
    return list(latest.values())


def deliveries(session: Session, incident: Incident) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.incident_id == incident.id)
            .order_by(Delivery.created_at)
        )
    )


POLICE_OPEN = (PoliceStatus.requested, PoliceStatus.accepted, PoliceStatus.dispatched)


def queue_filter(caller: Caller) -> list[ColumnElement[bool]]:
    """Which incidents a person's queue holds (SQL conditions): the 112 centre's are the
    police requests it has not closed; everyone else's are those of the cases they may list."""
    if caller.role is Role.dispatcher:  # a request 112 has closed leaves its queue
        return [Incident.police_status.in_(POLICE_OPEN)]
    mine: list[ColumnElement[bool]] = [
        Incident.case_id.in_(select(Case.id).where(scope_filter(caller)))
    ]
    if caller.role is Role.protected_person:
        # Only what she was told: a covered camera or a silent one is the staff's to handle.
        told = select(IncidentRecipient.incident_id).where(
            IncidentRecipient.incident_id == Incident.id,
            IncidentRecipient.recipient == Recipient.victim,
        )
        mine.append(told.exists())
    return mine
