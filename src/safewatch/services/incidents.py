"""Incidents: opened from a camera event, an SOS or an officer; joined by repeats; everyone
the policy names is told at once (deliveries are rows, sent by the dispatcher after commit);
every step is on the timeline; missed deadlines escalate. People acting on an incident:
``incident_actions``; what the screens read of them: ``incident_reads``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, defaultload, lazyload

from safewatch.cases.risk import RiskLevel
from safewatch.incidents import decisions
from safewatch.incidents.effects import SYSTEM, Effects
from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import IncidentStatus, PoliceStatus, Recipient
from safewatch.incidents.location import Fix
from safewatch.incidents.policy import Routing
from safewatch.incidents.state import IncidentState, Signal
from safewatch.models import CameraEventRecord, Case, Device, Incident, IncidentRecipient
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.services import incident_writer, signals
from safewatch.services.incident_writer import Change, NewDelivery


def save_one(
    session: Session, before: IncidentState, effects: Effects, now: datetime
) -> list[NewDelivery]:
    """One incident's effects, through the one writer."""
    return incident_writer.save(session, [Change(before, effects)], now)


def tell_screens(session: Session, routing: Routing, incident: Incident, now: datetime) -> None:
    """Every screen that shows the incident hears of a change."""
    state = incident_writer.state_of(incident)
    save_one(session, state, decisions.screens_told(routing, state), now)


def open_or_join(
    session: Session,
    routing: Routing,
    case: Case,
    *,
    join_key: str,
    now: datetime,
    actor: str,
    summary: str,
    facts: IncidentFacts,
    device: Device | None = None,
    user_id: uuid.UUID | None = None,
    fix: Fix | None = None,
    battery: int | None = None,
) -> tuple[Incident, bool]:
    """One signal (an SOS, a silent watch, an officer's report): see ``signals.apply``. What
    kind of incident it is and where it came from are the facts'."""
    signal = Signal(
        case_id=case.id,
        source=facts.source,
        type=facts.kind,
        join_key=join_key,
        actor=actor,
        summary=summary,
        device_id=device.id if device else None,
        user_id=user_id,
        fix=fix,
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
    state = incident_writer.state_of(incident)
    save_one(session, state, decisions.clip_added(routing, state, record.camera, record.id), now)


def open_sos(
    session: Session,
    routing: Routing,
    case: Case,
    now: datetime,
    source: SignalSource,
    actor: str,
    fix: Fix | None,
    battery: int | None = None,
    device: Device | None = None,
    user_id: uuid.UUID | None = None,
    duress: bool = False,
) -> Incident:
    """From the watch, the bell or the phone: one SOS incident per case while it is open.
    ``duress``: raised silently by the app's duress PIN."""
    where = f" at {fix.latitude:.5f}, {fix.longitude:.5f}" if fix else " (no location)"
    if duress:
        where += " (duress PIN: silent)"
    incident, _ = open_or_join(
        session,
        routing,
        case,
        join_key=f"sos:{case.id}",
        now=now,
        actor=actor,
        summary=f"SOS from the {source}{where}",
        facts=IncidentFacts(
            kind=IncidentKind.sos,
            source=source,
            serial=device.serial if device else None,
            battery=battery,
            latitude=fix.latitude if fix else None,
            longitude=fix.longitude if fix else None,
            accuracy_m=fix.accuracy_m if fix else None,
            fix_source=fix.source if fix else None,
            duress=True if duress else None,
        ),
        device=device,
        user_id=user_id,
        fix=fix,
        battery=battery,
    )
    return incident


def update_location(
    session: Session,
    routing: Routing,
    case: Case,
    who: str,
    fix: Fix,
    now: datetime,
) -> Incident | None:
    """A position from the watch or the phone while an SOS is open ("follow me"): on the
    track, and the incident's own position if no worse than the fresh one it has."""
    incident = session.scalar(
        select(Incident).where(
            Incident.case_id == case.id,
            Incident.join_key == f"sos:{case.id}",
            Incident.status != IncidentStatus.closed,
        )
    )
    if incident is None:
        return None
    state = incident_writer.state_of(incident)
    effects = decisions.moved(routing, state, who, fix, now)
    save_one(session, state, effects, now)
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


def escalate(
    session: Session, routing: Routing, missed: list[IncidentRecipient], now: datetime
) -> None:
    """Groups missed their deadlines (in this order): the next one in each chain is told."""
    states = incident_writer.load(session, {row.incident_id for row in missed})
    before = dict(states)
    effects: dict[uuid.UUID, Effects] = {}
    for row in missed:
        done = decisions.escalated(routing, states[row.incident_id], row.recipient, now)
        found = effects.get(row.incident_id)
        effects[row.incident_id] = found + done if found is not None else done
        states[row.incident_id] = done.incident
    changes = [Change(before[i], e) for i, e in effects.items()]
    incident_writer.save(session, changes, now)
