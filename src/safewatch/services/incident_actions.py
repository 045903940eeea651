"""People acting on an incident from the consoles and the app: seen, acknowledged, claimed,
guards dispatched and on the scene, the police asked and their steps, resolved. Each step is
checked against the lifecycle, goes on the timeline and the audit trail, and the screens are
told."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.cases.access import can_see_incident
from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from safewatch.core.roles import Role
from safewatch.incidents import actions, decisions
from safewatch.incidents.actions import Person
from safewatch.incidents.addresses import recipient_of
from safewatch.incidents.effects import Effects
from safewatch.incidents.lifecycle import (
    IncidentStatus,
    Outcome,
    PoliceStatus,
    Recipient,
    TransitionError,
)
from safewatch.incidents.location import Fix
from safewatch.incidents.policy import Routing
from safewatch.incidents.state import IncidentState
from safewatch.models import CameraEventRecord, Case, GuardPosition, Incident, User
from safewatch.services import face_feedback, incident_writer
from safewatch.services.context import Caller
from safewatch.services.incident_writer import Change


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


def person_of(session: Session, caller: Caller, case: Case) -> Person:
    """The caller as the incident rules see them: name, account, role, and the group they
    answer for at this case."""
    group = recipient_of(caller.actor, case.scope, case.officer_id)
    return Person(actor_of(session, caller), caller.user_id, caller.role, group)


def _save(
    session: Session,
    caller: Caller,
    incident: Incident,
    decide: Callable[[IncidentState], Effects],
    now: datetime,
) -> None:
    """Decide on the incident as it is, save the effects, and audit what the person did. A
    step the incident's lifecycle does not allow is a conflict."""
    before = incident_writer.state_of(incident)
    for attempt in (1, 2):
        try:
            effects = decide(before)
        except TransitionError as exc:
            raise Conflict(str(exc)) from exc
        try:
            incident_writer.save(session, [Change(before, effects)], now, checked=True)
            break
        except Conflict:
            if attempt == 2:
                raise
            # Someone acted on it meanwhile (a claim a moment before this dispatch): decide
            # again on the incident as it is now; nothing of the first decision was written.
            before = incident_writer.load(session, [before.id])[before.id]
    for kind in effects.acted:
        caller.record(session, "update", "incident", before.id, f"incident {kind}", before.case_id)


def acknowledge(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    now: datetime,
) -> Recipient | None:
    """“I've seen it” (``actions.acknowledge``)."""
    person = person_of(session, caller, case)
    _save(session, caller, incident, lambda i: actions.acknowledge(routing, i, person, now), now)
    return person.group


def seen(session: Session, caller: Caller, incident: Incident, case: Case, now: datetime) -> None:
    """A screen showed the alert (a delivery receipt from the person's device)."""
    person = person_of(session, caller, case)
    _save(session, caller, incident, lambda i: actions.seen(i, person), now)


def guard_position(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    unit: str,
    fix: Fix,
    now: datetime,
) -> None:
    """A guard unit says where it is on its way (the consoles' map shows the latest)."""
    _security_only(caller, case)
    if incident.status is IncidentStatus.closed:
        raise Conflict("the incident is closed")
    session.add(
        GuardPosition(
            incident_id=incident.id,
            unit=unit,
            reported_by=caller.user_id,
            at=now,
            latitude=fix.latitude,
            longitude=fix.longitude,
            accuracy_m=fix.accuracy_m,
        )
    )
    _save(session, caller, incident, lambda i: decisions.screens_told(routing, i), now)
    what = f"guard unit {unit} position"
    caller.record(session, "update", "incident", incident.id, what[:300], incident.case_id)


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
    person = person_of(session, caller, case)
    _save(session, caller, incident, lambda i: actions.claim(routing, i, person, now), now)


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
    person = person_of(session, caller, case)
    _save(
        session,
        caller,
        incident,
        lambda i: actions.dispatch_guards(routing, i, person, unit, now),
        now,
    )


def arrived(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    now: datetime,
) -> None:
    _security_only(caller, case)
    person = person_of(session, caller, case)
    _save(session, caller, incident, lambda i: actions.arrived(routing, i, person, now), now)


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
    person = person_of(session, caller, case)
    _save(
        session,
        caller,
        incident,
        lambda i: actions.request_police(routing, i, person, note, now),
        now,
    )


def police_action(
    session: Session,
    routing: Routing,
    caller: Caller,
    incident: Incident,
    case: Case,
    to: PoliceStatus,
    note: str,
    now: datetime,
) -> None:
    _police_only(caller)
    person = person_of(session, caller, case)
    _save(
        session,
        caller,
        incident,
        lambda i: actions.police_action(routing, i, person, to, note, now),
        now,
    )


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
    person = person_of(session, caller, case)
    before = incident_writer.state_of(incident)
    try:  # checked before anything is written
        actions.resolve(routing, before, person, outcome, reason, now)
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc
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
    _save(
        session,
        caller,
        incident,
        lambda i: actions.resolve(routing, i, person, outcome, reason, now),
        now,
    )
