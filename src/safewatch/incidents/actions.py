"""People acting on an incident (seen, acknowledged, claimed, guards dispatched and on the
scene, the police asked and their steps, resolved), as rules: each is checked against the
lifecycle and returns its ``Effects`` — its timeline line, the audit of what the person did,
and the screens told. Who may act at all is the service's to check (roles, the case's
company); what the incident allows is checked here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from safewatch.core.errors import Conflict, Forbidden, Invalid
from safewatch.core.roles import Role
from safewatch.incidents.decisions import notify, screens_told
from safewatch.incidents.effects import Effects, Line
from safewatch.incidents.facts import EntryFacts, EntryReason
from safewatch.incidents.lifecycle import (
    IncidentStatus,
    Outcome,
    PoliceStatus,
    Recipient,
    advance,
    police_step,
    require,
)
from safewatch.incidents.policy import Routing
from safewatch.incidents.state import IncidentState

NOT_CLOSED = set(IncidentStatus) - {IncidentStatus.closed}
ANSWERABLE = {IncidentStatus.open, IncidentStatus.acknowledged}


@dataclass(frozen=True)
class Person:
    """Who acts: as a console shows them, their account, their role and the group they
    answer for at this incident's case (none: they were never told of its kind)."""

    name: str
    user_id: uuid.UUID
    role: Role
    group: Recipient | None


def _act(
    effects: Effects, person: Person, kind: str, detail: str = "", facts: EntryFacts | None = None
) -> Effects:
    line = Line(kind, person.name, detail, user_id=person.user_id, facts=facts)
    return replace(effects.line(line), acted=(*effects.acted, kind))


def _answered(effects: Effects, group: Recipient, person: Person, now: datetime) -> Effects:
    """The group's deadline stops (if it had one running)."""
    duty = effects.incident.duties.get(group)
    if duty is None or duty.acknowledged_at is not None:
        return effects
    return effects.duty(replace(duty, acknowledged_at=now, acknowledged_by=person.user_id))


def seen(incident: IncidentState, person: Person) -> Effects:
    """A screen showed the alert (a receipt from the person's device): their group's in-app
    alerts are seen."""
    line = Line("seen", person.name, "", person.group, person.user_id)
    seen_by = (person.group,) if person.group is not None else ()
    return Effects(incident, lines=(line,), seen_by=seen_by)


def acknowledge(
    routing: Routing, incident: IncidentState, person: Person, now: datetime, claiming: bool = False
) -> Effects:
    """“I've seen it”: stops the person's group's deadline; the first answer moves the
    incident from open to acknowledged. Only a group the incident was sent to may answer
    for it (an officer of the station who was not sent it would stop its escalation) — or
    the security company taking it on (``claiming``). A closed incident's answer changes
    nothing and tells no screen."""
    group = person.group
    if group is None or (group not in incident.duties and not claiming):
        raise Forbidden("only someone this incident was sent to can acknowledge it")
    effects = Effects(incident)
    if incident.status is IncidentStatus.closed:
        return effects
    effects = _answered(effects, group, person, now)
    if incident.status is IncidentStatus.open:
        effects = effects.changed(acknowledged_at=now)
    effects = effects.changed(status=advance(incident.status, IncidentStatus.acknowledged))
    facts = EntryFacts(reason=EntryReason.for_group, to=group)
    effects = _act(effects, person, "acknowledged", group.value, facts)
    effects = replace(effects, seen_by=(*effects.seen_by, group))
    return effects.then(lambda i: screens_told(routing, i))


def claim(routing: Routing, incident: IncidentState, person: Person, now: datetime) -> Effects:
    """The security company takes the incident on (once: as the console offers it)."""
    require(incident.status, ANSWERABLE, "claim")
    if incident.claimed_by == person.user_id:
        raise Conflict("you have already claimed this incident")
    if incident.claimed_by is not None:
        raise Conflict("another operator has claimed this incident")
    effects = Effects(incident).changed(claimed_by=person.user_id)
    effects = effects.then(lambda i: acknowledge(routing, i, person, now, claiming=True))
    return _act(effects, person, "claimed")


def dispatch_guards(
    routing: Routing, incident: IncidentState, person: Person, unit: str, now: datetime
) -> Effects:
    require(incident.status, ANSWERABLE, "dispatch guards to")
    effects = _answered(Effects(incident), Recipient.security, person, now)
    if incident.acknowledged_at is None:
        effects = effects.changed(acknowledged_at=now)
    effects = effects.changed(status=IncidentStatus.dispatched, guard_unit=unit, dispatched_at=now)
    effects = _act(effects, person, "guards_dispatched", unit)
    return effects.then(lambda i: screens_told(routing, i))


def arrived(routing: Routing, incident: IncidentState, person: Person, now: datetime) -> Effects:
    require(incident.status, {IncidentStatus.dispatched}, "mark on scene")
    effects = Effects(incident).changed(status=IncidentStatus.on_scene, on_scene_at=now)
    effects = _act(effects, person, "on_scene", incident.guard_unit or "")
    return effects.then(lambda i: screens_told(routing, i))


def request_police(
    routing: Routing, incident: IncidentState, person: Person, note: str, now: datetime
) -> Effects:
    """The security company or an officer asks for the police: 112 is told (once)."""
    require(incident.status, NOT_CLOSED, "request police for")
    effects = _act(Effects(incident), person, "police_request", note)
    if Recipient.police not in incident.duties:
        why = f"requested by {person.role.value}: {note}"
        facts = EntryFacts(
            reason=EntryReason.requested_by, role=person.role.value, note=note or None
        )
        effects = effects.then(lambda i: notify(routing, i, Recipient.police, why, now, facts))
    return effects.then(lambda i: screens_told(routing, i))


def police_action(
    routing: Routing,
    incident: IncidentState,
    person: Person,
    to: PoliceStatus,
    note: str,
    now: datetime,
) -> Effects:
    """The 112 centre accepts the request, dispatches a patrol, closes it."""
    if incident.status is IncidentStatus.closed and to is not PoliceStatus.closed:
        # Closed on the ground: 112 may still close its own request, nothing else.
        raise Conflict("the incident is closed")
    effects = Effects(incident).changed(police_status=police_step(incident.police_status, to))
    if to is PoliceStatus.accepted:
        effects = _answered(effects, Recipient.police, person, now)
        if incident.status is IncidentStatus.open:
            effects = effects.changed(status=IncidentStatus.acknowledged, acknowledged_at=now)
    effects = _act(effects, person, f"police_{to.value}", note)
    return effects.then(lambda i: screens_told(routing, i))


def resolve(
    routing: Routing,
    incident: IncidentState,
    person: Person,
    outcome: Outcome,
    reason: str,
    now: datetime,
) -> Effects:
    """Closed: resolved, or a false alarm with its reason."""
    require(incident.status, NOT_CLOSED, "resolve")
    if outcome is Outcome.false_alarm and len(reason.strip()) < 3:
        raise Invalid("say why it was a false alarm")
    effects = Effects(incident).changed(
        status=IncidentStatus.closed, outcome=outcome, outcome_reason=reason[:500], closed_at=now
    )
    effects = _act(effects, person, outcome.value, reason)
    return effects.then(lambda i: screens_told(routing, i))
