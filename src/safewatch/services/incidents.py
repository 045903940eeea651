"""Incidents: opened from a camera event, an SOS or an officer; joined by repeats; everyone
the policy names is told at once (deliveries are rows, sent by the dispatcher after commit);
every step is on the timeline; missed deadlines escalate."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session, defaultload, lazyload

from safewatch.alerts.addresses import recipient_of
from safewatch.alerts.facts import (
    EntryFacts,
    EntryReason,
    IncidentFacts,
    IncidentKind,
    SignalSource,
)
from safewatch.alerts.lifecycle import (
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
from safewatch.cases.access import can_see_incident
from safewatch.cases.risk import RiskLevel
from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from safewatch.core.roles import Role
from safewatch.models import (
    CameraEventRecord,
    Case,
    Delivery,
    Device,
    Incident,
    IncidentEntry,
    IncidentRecipient,
    User,
)
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.services import face_feedback, signals
from safewatch.services.cases import scope_filter
from safewatch.services.context import Caller
from safewatch.services.signals import (
    SYSTEM,
    Routing,
    Signal,
    delivery_row,
    entry_row,
    recipient_row,
)

T = TypeVar("T")


def _entry(
    session: Session,
    incident: Incident,
    kind: str,
    at: datetime,
    actor: str = SYSTEM,
    detail: str = "",
    recipient: Recipient | None = None,
    user_id: uuid.UUID | None = None,
    facts: EntryFacts | None = None,
) -> None:
    session.add(
        IncidentEntry(**entry_row(incident.id, at, kind, actor, detail, recipient, user_id, facts))
    )


def _recipient_row(incident: Incident, recipient: Recipient) -> IncidentRecipient | None:
    return next((r for r in incident.recipients if r.recipient is recipient), None)


def _deliver(
    session: Session,
    routing: Routing,
    incident: Incident,
    recipient: Recipient,
    message: str,
    now: datetime,
    channels: list[str] | None = None,
) -> None:
    for channel in channels if channels is not None else routing.channels(recipient):
        session.add(Delivery(**delivery_row(incident.id, recipient, channel, message, now)))


def notify(
    session: Session,
    routing: Routing,
    incident: Incident,
    recipient: Recipient,
    now: datetime,
    why: str,
    message: str = "alert",
    facts: EntryFacts | None = None,
) -> None:
    """Tell a recipient group; the first time, start its acknowledgement deadline."""
    row = _recipient_row(incident, recipient)
    if row is None:
        row = IncidentRecipient(**recipient_row(routing, incident.id, recipient, now))
        session.add(row)
        incident.recipients.append(row)
    _deliver(session, routing, incident, recipient, message, now)
    _entry(session, incident, "notified", now, detail=why, recipient=recipient, facts=facts)
    if recipient is Recipient.police and incident.police_status is PoliceStatus.none:
        incident.police_status = PoliceStatus.requested
        incident.police_requested_at = now
        _entry(session, incident, "police_requested", now, detail=why, facts=facts)


def tell_screens(session: Session, routing: Routing, incident: Incident, now: datetime) -> None:
    """Every screen that shows the incident hears of a change (in-app, best kept order)."""
    for row in incident.recipients:
        if "in_app" in routing.channels(row.recipient):
            _deliver(session, routing, incident, row.recipient, "update", now, ["in_app"])


def open_or_join(
    session: Session,
    routing: Routing,
    case: Case,
    *,
    source: str,
    type_: str,
    join_key: str,
    now: datetime,
    actor: str,
    summary: str,
    facts: IncidentFacts,
    device: Device | None = None,
    user_id: uuid.UUID | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    battery: int | None = None,
) -> tuple[Incident, bool]:
    """One signal (an SOS, a silent watch, an officer's report): see ``signals.apply``."""
    signal = Signal(
        case_id=case.id,
        source=source,
        type=type_,
        join_key=join_key,
        actor=actor,
        summary=summary,
        device_id=device.id if device else None,
        user_id=user_id,
        latitude=latitude,
        longitude=longitude,
        battery=battery,
        facts=facts,
    )
    applied = signals.apply(session, routing, [signal], now)
    state, created = applied.results[0]
    incident = session.get(Incident, state.id, populate_existing=True)
    assert incident is not None
    return incident, created


def alert_case(session: Session, case_id: uuid.UUID) -> Case | None:
    """The case as the alert path needs it: its lists (measures, photos…) load only if used —
    this is on the path from the camera's trigger to the victim's phone."""
    return session.get(
        Case,
        case_id,
        options=[
            lazyload("*"),
            defaultload(Case.protected_person).lazyload("*"),
            defaultload(Case.offenders).lazyload("*"),
        ],
    )


def clip_arrived(
    session: Session, routing: Routing, record: CameraEventRecord, now: datetime
) -> None:
    """The clip link joins the alert that already went out with the snapshot."""
    if record.incident_id is None:
        return
    incident = session.get(Incident, record.incident_id)
    if incident is None:
        return
    added = EntryFacts(reason=EntryReason.clip_added, camera=record.camera)
    _entry(
        session,
        incident,
        "clip_added",
        now,
        f"camera {record.camera}",
        str(record.id),
        facts=added,
    )
    tell_screens(session, routing, incident, now)


def open_sos(
    session: Session,
    routing: Routing,
    case: Case,
    now: datetime,
    source: str,
    actor: str,
    latitude: float | None,
    longitude: float | None,
    battery: int | None = None,
    device: Device | None = None,
    user_id: uuid.UUID | None = None,
) -> Incident:
    """From the watch, the bell or the phone: one SOS incident per case while it is open."""
    where = (
        f" at {latitude:.5f}, {longitude:.5f}"
        if latitude is not None and longitude is not None
        else " (no location)"
    )
    incident, _ = open_or_join(
        session,
        routing,
        case,
        source=source,
        type_="sos",
        join_key=f"sos:{case.id}",
        now=now,
        actor=actor,
        summary=f"SOS from the {source}{where}",
        facts=IncidentFacts(
            kind=IncidentKind.sos,
            source=SignalSource(source),
            serial=device.serial if device else None,
            battery=battery,
            latitude=latitude if longitude is not None else None,
            longitude=longitude if latitude is not None else None,
        ),
        device=device,
        user_id=user_id,
        latitude=latitude,
        longitude=longitude,
        battery=battery,
    )
    return incident


def update_location(
    session: Session,
    routing: Routing,
    case: Case,
    device: Device,
    latitude: float,
    longitude: float,
    now: datetime,
) -> Incident | None:
    """A watch's position while an SOS is open moves the incident's location with it."""
    incident = session.scalar(
        select(Incident).where(
            Incident.case_id == case.id,
            Incident.join_key == f"sos:{case.id}",
            Incident.status != IncidentStatus.closed,
        )
    )
    if incident is None:
        return None
    incident.latitude, incident.longitude = latitude, longitude
    _entry(
        session,
        incident,
        "location",
        now,
        f"device {device.serial}",
        f"{latitude:.5f}, {longitude:.5f}",
        facts=EntryFacts(
            reason=EntryReason.location,
            serial=device.serial,
            latitude=latitude,
            longitude=longitude,
        ),
    )
    tell_screens(session, routing, incident, now)
    return incident


def silent_watches(
    session: Session, routing: Routing, now: datetime, silent_after: timedelta
) -> int:
    """A smartwatch at a very-high case that has not been heard from raises one incident per
    silence (a flat battery, a watch taken off or taken away)."""
    watches = session.scalars(
        select(Device)
        .join(Case, Case.id == Device.case_id)
        .where(
            Device.kind == DeviceKind.smartwatch,
            Device.status == DeviceStatus.assigned,
            Case.risk_level == RiskLevel.very_high,
            Case.closed_at.is_(None),
        )
    ).all()
    opened = 0
    for watch in watches:
        since = watch.last_seen_at or max((a.assigned_at for a in watch.assignments), default=None)
        if since is None or now - since < silent_after:
            continue
        key = f"watch_silent:{watch.id}"
        already = session.scalar(
            select(Incident.id).where(Incident.join_key == key, Incident.created_at >= since)
        )
        if already is not None:
            continue
        case = session.get(Case, watch.case_id)
        assert case is not None
        minutes = int((now - since).total_seconds() // 60)
        battery = f", battery {watch.battery_percent}%" if watch.battery_percent is not None else ""
        open_or_join(
            session,
            routing,
            case,
            source="watch",
            type_="watch_silent",
            join_key=key,
            now=now,
            actor=SYSTEM,
            summary=f"smartwatch {watch.serial} silent for {minutes} min{battery}",
            facts=IncidentFacts(
                kind=IncidentKind.watch_silent,
                source=SignalSource.watch,
                serial=watch.serial,
                minutes=minutes,
                battery=watch.battery_percent,
            ),
            device=watch,
        )
        opened += 1
    return opened


# --- People acting on an incident -------------------------------------------------------------


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
    _entry(session, incident, kind, now, actor, detail, user_id=caller.user_id, facts=facts)
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
    row = _recipient_row(incident, recipient) if recipient is not None else None
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
    _entry(session, incident, "seen", now, actor_of(session, caller), "", recipient, caller.user_id)
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
    if _recipient_row(incident, Recipient.police) is None:
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
    row = _recipient_row(incident, recipient)
    if row is not None and row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, caller.user_id


def _transition(check: Callable[[], T]) -> T:
    try:
        return check()
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc


# --- Deadlines --------------------------------------------------------------------------------


def due_deadlines(now: datetime) -> Select[IncidentRecipient]:
    """Missed deadlines: of open incidents, and of police requests 112 has not accepted
    whatever the guards have done (someone claiming an SOS does not make 112 answer)."""
    unanswered_police = and_(
        IncidentRecipient.recipient == Recipient.police,
        Incident.status != IncidentStatus.closed,
        Incident.police_status == PoliceStatus.requested,
    )
    return (
        select(IncidentRecipient)
        .join(Incident, Incident.id == IncidentRecipient.incident_id)
        .where(
            IncidentRecipient.deadline_at <= now,
            IncidentRecipient.acknowledged_at.is_(None),
            IncidentRecipient.escalated_at.is_(None),
            or_(Incident.status == IncidentStatus.open, unanswered_police),
        )
        .order_by(IncidentRecipient.deadline_at)
        .limit(100)
        .with_for_update(skip_locked=True, of=IncidentRecipient)
    )


def escalate(session: Session, routing: Routing, row: IncidentRecipient, now: datetime) -> None:
    """A recipient missed its deadline: the next one in the chain is told (again, if it was
    already told, with the news that the first did not answer)."""
    incident = session.get(Incident, row.incident_id)
    assert incident is not None
    row.escalated_at = now
    target = routing.policy.escalates_to(row.recipient, incident.type)
    late = f"{row.recipient.value} did not acknowledge by {row.deadline_at:%H:%M:%S}"
    missed = EntryFacts(
        reason=EntryReason.deadline_missed, missed=row.recipient, by=row.deadline_at, to=target
    )
    if target is None:
        _entry(
            session,
            incident,
            "deadline_missed",
            now,
            detail=late,
            recipient=row.recipient,
            facts=missed,
        )
        return
    _entry(
        session,
        incident,
        "escalated",
        now,
        detail=f"{late}; → {target.value}",
        recipient=target,
        facts=missed,
    )
    notify(session, routing, incident, target, now, late, message="escalation", facts=missed)


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
        detail = "in_app: shown when a screen connected"
        shown = EntryFacts(reason=EntryReason.shown_on_connect, channel="in_app")
        _entry(session, incident, "delivered", now, detail=detail, recipient=recipient, facts=shown)
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
