"""People acting on an incident from the consoles and the app: seen, acknowledged, claimed,
guards dispatched and on the scene, the police asked and their steps, resolved. Each step is
checked against the lifecycle, goes on the timeline and the audit trail, and the screens are
told."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from safewatch.cases.access import can_see_incident
from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from safewatch.core.roles import Role
from safewatch.incidents.addresses import recipient_of
from safewatch.incidents.facts import (
    EntryFacts,
    EntryReason,
)
from safewatch.incidents.lifecycle import (
    DeliveryStatus,
    IncidentStatus,
    Outcome,
    PoliceStatus,
    Recipient,
    TransitionError,
    advance,
    police_step,
    require,
)
from safewatch.models import (
    CameraEventRecord,
    Case,
    Delivery,
    Incident,
    User,
)
from safewatch.services import face_feedback
from safewatch.services.context import Caller
from safewatch.services.incidents import add_entry, duty_of, notify, tell_screens
from safewatch.services.signals import Routing

T = TypeVar("T")


def visible(session: Session, caller: Caller, incident_id: uuid.UUID) -> tuple[Incident, Case]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("no such incident")
    case = session.get(Case, incident.case_id)
    assert case is not None
    police = incident.police_status is not PoliceStatus.none
    if not can_see_incident(caller.actor, case.scope, police):
        raise Forbidden("this incident is not shared with you")
    caller.record(session, "read", "incident", incident.id, "incident viewed", case.id)
    return incident, case


def actor_of(session: Session, caller: Caller) -> str:
    """Who did it, as a console shows it: the person's name and role."""
    user = session.get(User, caller.user_id)
    name = user.full_name if user is not None else str(caller.user_id)
    return f"{name} ({caller.role.value.replace('_', ' ')})"


def _act(
    session: Session,
    caller: Caller,
    incident: Incident,
    kind: str,
    now: datetime,
    detail: str = "",
    facts: EntryFacts | None = None,
) -> None:
    actor = actor_of(session, caller)
    add_entry(session, incident, kind, now, actor, detail, user_id=caller.user_id, facts=facts)
    caller.record(session, "update", "incident", incident.id, f"incident {kind}", incident.case_id)


def acknowledge(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    now: datetime,
    claiming: bool = False,
) -> Recipient | None:
    """“I've seen it”: stops the caller's group's deadline; the first answer moves the incident
    from open to acknowledged. Only a group the incident was sent to may answer for it (an
    officer of the station who was not sent it would stop its escalation) — or the security
    company taking it on (``claiming``). A closed incident's answer changes nothing and tells
    no screen."""
    recipient = recipient_of(caller.actor, case.scope, case.officer_id)
    row = duty_of(incident, recipient) if recipient is not None else None
    if recipient is None or (row is None and not claiming):
        raise Forbidden("only someone this incident was sent to can acknowledge it")
    if incident.status is IncidentStatus.closed:
        return recipient
    if row is not None and row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, caller.user_id
    if incident.status is IncidentStatus.open:
        incident.acknowledged_at = now
    incident.status = advance(incident.status, IncidentStatus.acknowledged)
    group = EntryFacts(reason=EntryReason.for_group, to=recipient)
    _act(session, caller, incident, "acknowledged", now, recipient.value, group)
    _seen_by(session, incident, recipient, now)
    tell_screens(session, routing, incident, now)
    return recipient


def seen(session: Session, caller: Caller, incident: Incident, case: Case, now: datetime) -> None:
    """A screen showed the alert (a delivery receipt from the person's device)."""
    recipient = recipient_of(caller.actor, case.scope, case.officer_id)
    add_entry(
        session, incident, "seen", now, actor_of(session, caller), "", recipient, caller.user_id
    )
    if recipient is not None:
        _seen_by(session, incident, recipient, now)


def _seen_by(session: Session, incident: Incident, recipient: Recipient, now: datetime) -> None:
    """The person opened the alert in the app: its in-app deliveries are seen (one statement;
    what other channels' services accepted stays accepted — we do not know it was opened
    there)."""
    session.execute(
        update(Delivery)
        .where(
            Delivery.incident_id == incident.id,
            Delivery.recipient == recipient,
            Delivery.channel == "in_app",
            Delivery.message != "update",
            Delivery.status.not_in((DeliveryStatus.seen, DeliveryStatus.cancelled)),
        )
        .values(
            status=DeliveryStatus.seen,
            last_error=None,
            delivered_at=func.coalesce(Delivery.delivered_at, now),
        )
    )


def _security_only(caller: Caller, case: Case) -> None:
    if caller.role is Role.admin:
        return
    if caller.role is not Role.security_operator or caller.agency_id != case.security_company_id:
        raise Forbidden("only the case's security company does this")


def _police_only(caller: Caller) -> None:
    if caller.role not in (Role.dispatcher, Role.admin):
        raise Forbidden("only the 112 centre does this")


def claim(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    now: datetime,
) -> None:
    _security_only(caller, case)
    _transition(
        lambda: require(
            incident.status, {IncidentStatus.open, IncidentStatus.acknowledged}, "claim"
        )
    )
    if incident.claimed_by == caller.user_id:  # as the console offers it: once
        raise Conflict("you have already claimed this incident")
    if incident.claimed_by is not None:
        raise Conflict("another operator has claimed this incident")
    incident.claimed_by = caller.user_id
    acknowledge(session, routing, caller, incident, case, now, claiming=True)
    _act(session, caller, incident, "claimed", now)


def dispatch_guards(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    unit: str,
    now: datetime,
) -> None:
    _security_only(caller, case)
    _transition(
        lambda: require(
            incident.status,
            {IncidentStatus.open, IncidentStatus.acknowledged},
            "dispatch guards to",
        )
    )
    _ack_group(incident, Recipient.security, caller, now)
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
    incident.status, incident.guard_unit, incident.dispatched_at = (
        IncidentStatus.dispatched,
        unit,
        now,
    )
    _act(session, caller, incident, "guards_dispatched", now, unit)
    tell_screens(session, routing, incident, now)


def arrived(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    now: datetime,
) -> None:
    _security_only(caller, case)
    _transition(lambda: require(incident.status, {IncidentStatus.dispatched}, "mark on scene"))
    incident.status, incident.on_scene_at = IncidentStatus.on_scene, now
    _act(session, caller, incident, "on_scene", now, incident.guard_unit or "")
    tell_screens(session, routing, incident, now)


def request_police(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    note: str,
    now: datetime,
) -> None:
    if caller.role not in (Role.security_operator, Role.officer, Role.admin):
        raise Forbidden("the security company or an officer requests the police")
    if caller.role is Role.security_operator:
        _security_only(caller, case)
    _transition(
        lambda: require(
            incident.status, set(IncidentStatus) - {IncidentStatus.closed}, "request police for"
        )
    )
    _act(session, caller, incident, "police_request", now, note)
    if duty_of(incident, Recipient.police) is None:
        notify(
            session,
            routing,
            incident,
            Recipient.police,
            now,
            f"requested by {caller.role.value}: {note}",
            facts=EntryFacts(
                reason=EntryReason.requested_by, role=caller.role.value, note=note or None
            ),
        )
    tell_screens(session, routing, incident, now)


def police_action(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    to: PoliceStatus,
    note: str,
    now: datetime,
) -> None:
    _police_only(caller)
    if incident.status is IncidentStatus.closed and to is not PoliceStatus.closed:
        # Closed on the ground: 112 may still close its own request, nothing else.
        raise Conflict("the incident is closed")
    incident.police_status = _transition(lambda: police_step(incident.police_status, to))
    if to is PoliceStatus.accepted:
        _ack_group(incident, Recipient.police, caller, now)
        if incident.status is IncidentStatus.open:
            incident.status, incident.acknowledged_at = IncidentStatus.acknowledged, now
    _act(session, caller, incident, f"police_{to.value}", now, note)
    tell_screens(session, routing, incident, now)


def resolve(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    outcome: Outcome,
    reason: str,
    not_the_offender: bool,
    now: datetime,
) -> None:
    """Close the incident; "not the offender" tightens the recognition threshold of every
    camera that named him here (never trains on the stranger)."""
    if caller.role is Role.security_operator:
        _security_only(caller, case)
    elif caller.role not in (Role.officer, Role.admin):
        raise Forbidden("the security company or an officer closes an incident")
    _transition(
        lambda: require(incident.status, set(IncidentStatus) - {IncidentStatus.closed}, "resolve")
    )
    if outcome is Outcome.false_alarm and len(reason.strip()) < 3:
        raise Invalid("say why it was a false alarm")
    if not_the_offender:
        named = session.scalars(
            select(CameraEventRecord).where(
                CameraEventRecord.incident_id == incident.id,
                CameraEventRecord.type == "offender_recognized",
            )
        ).all()
        if not named:
            raise Invalid("no camera named the offender in this incident")
        for record in named:
            face_feedback.not_the_offender(session, caller, record, reason or "not the offender")
    incident.status, incident.outcome = IncidentStatus.closed, outcome
    incident.outcome_reason, incident.closed_at = reason[:500], now
    _act(session, caller, incident, outcome.value, now, reason)
    tell_screens(session, routing, incident, now)


def _ack_group(incident: Incident, recipient: Recipient, caller: Caller, now: datetime) -> None:
    row = duty_of(incident, recipient)
    if row is not None and row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, caller.user_id


def _transition(check: Callable[[], T]) -> T:
    try:
        return check()
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc
