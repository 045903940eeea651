"""What the screens read of incidents — a queue's conditions, an incident's timeline and
deliveries — and the backlog a screen shows when it connects (the in-app alerts that waited
for a screen are marked delivered then, on the timeline)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from safewatch.core.roles import Role
from safewatch.incidents import decisions
from safewatch.incidents.lifecycle import (
    DeliveryStatus,
    IncidentStatus,
    PoliceStatus,
    Recipient,
)
from safewatch.models import (
    Case,
    Delivery,
    Incident,
    IncidentEntry,
    IncidentRecipient,
)
from safewatch.services import incident_writer
from safewatch.services.cases import scope_filter
from safewatch.services.context import Caller
from safewatch.services.incident_writer import Change


def open_incidents_for(session: Session, caller: Caller, limit: int = 200) -> list[Incident]:
    """The backlog a screen shows when it connects: the open incidents of its queue."""
    query = select(Incident).where(Incident.status != IncidentStatus.closed, *queue_filter(caller))
    return list(session.scalars(query.order_by(Incident.created_at.desc()).limit(limit)))


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
