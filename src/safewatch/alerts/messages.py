"""The messages of the alert loop: the deliveries it leased, and what each one carries — one
packet per (incident, recipient group) built from a few set-based lookups, the phones web
push rings, the number a text goes to."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.alerts.channels import Message, PushTarget
from safewatch.cases.access import keeps_personal_data
from safewatch.core.links import LinkSigner
from safewatch.core.roles import Role
from safewatch.incidents.addresses import recipient_address
from safewatch.incidents.lifecycle import PoliceRequest, Recipient
from safewatch.incidents.location import Trust
from safewatch.models import PushSubscription, User
from safewatch.schemas.alerts import AlertPacket
from safewatch.services import police
from safewatch.services.packets import (
    CaseFacts,
    EventFacts,
    IncidentFacts,
    build_packet,
    events_by_incident,
    without_personal_data,
)
from safewatch.words.i18n import pick

Targets = tuple[PushTarget, ...]


@dataclass(frozen=True)
class Leased:
    """A delivery taken for sending (before its message is built)."""

    id: uuid.UUID
    incident_id: uuid.UUID
    recipient: Recipient
    channel: str
    message: str
    attempts: int


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    incident_id: uuid.UUID
    recipient: Recipient
    channel: str
    attempts: int
    message: Message


def push_targets(
    session: Session, wanted: set[tuple[Recipient, uuid.UUID]], cases: dict[uuid.UUID, CaseFacts]
) -> dict[tuple[Recipient, uuid.UUID], Targets]:
    """The phones web push rings, per (recipient group, case), in three queries at most."""
    users: dict[tuple[Recipient, uuid.UUID], list[uuid.UUID]] = {}
    companies = {
        cases[case_id].scope.security_company_id
        for recipient, case_id in wanted
        if recipient is Recipient.security
    } - {None}
    staff: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
    if companies:
        members = select(User.id, User.agency_id).where(
            User.agency_id.in_(companies), User.active.is_(True)
        )
        for user_id, agency_id in session.execute(members):
            staff[agency_id].append(user_id)
    dispatchers: list[uuid.UUID] = []
    if any(recipient is Recipient.police for recipient, _ in wanted):
        on_duty = select(User.id).where(User.role == Role.dispatcher, User.active.is_(True))
        dispatchers = list(session.scalars(on_duty))
    for recipient, case_id in wanted:
        case = cases[case_id]
        match recipient:
            case Recipient.victim:
                users[(recipient, case_id)] = [u for u in [case.scope.protected_user_id] if u]
            case Recipient.officer:
                users[(recipient, case_id)] = [u for u in [case.officer_id] if u]
            case Recipient.security:
                users[(recipient, case_id)] = staff[case.scope.security_company_id]
            case Recipient.police:
                users[(recipient, case_id)] = dispatchers
    everyone = {u for ids in users.values() for u in ids}
    by_user: dict[uuid.UUID, list[PushTarget]] = defaultdict(list)
    if everyone:
        # Only an account still active rings its phones (a disabled victim's or officer's too)
        subscribed = (
            select(PushSubscription, User.language)
            .join(User, User.id == PushSubscription.user_id)
            .where(PushSubscription.user_id.in_(everyone), User.active.is_(True))
        )
        for s, language in session.execute(subscribed):
            lang = pick(language, None)
            by_user[s.user_id].append(PushTarget(s.endpoint, s.p256dh, s.auth, lang))
    return {key: tuple(t for u in ids for t in by_user[u]) for key, ids in users.items()}


class Lookups(NamedTuple):
    """What the messages need from the database."""

    events: dict[uuid.UUID, list[EventFacts]]
    targets: dict[tuple[Recipient, uuid.UUID], Targets]
    requests: dict[uuid.UUID, PoliceRequest]


def lookups(
    session: Session,
    leased: list[Leased],
    incidents_by_id: Mapping[uuid.UUID, IncidentFacts],
    cases: dict[uuid.UUID, CaseFacts],
) -> Lookups:
    """What the messages need from the database: the incidents' events, the phones
    web push rings and their police requests, a query or two each."""
    ids = {d.incident_id for d in leased}
    events = events_by_incident(session, ids)
    requests = police.requests_by_incident(session, [incidents_by_id[i] for i in ids])
    wanted = {
        (d.recipient, incidents_by_id[d.incident_id].case_id)
        for d in leased
        if d.channel == "web_push"
    }
    return Lookups(events, push_targets(session, wanted, cases) if wanted else {}, requests)


def build(
    leased: list[Leased],
    incidents_by_id: Mapping[uuid.UUID, IncidentFacts],
    cases: dict[uuid.UUID, CaseFacts],
    found: Lookups,
    links: LinkSigner,
    duty_phone: str,
    now: datetime,
    trust: Trust,
    keep: timedelta,
) -> list[Claimed]:
    """One packet per (incident, recipient), shared by its channels. A change to an incident
    closed longer ago than ``keep`` reaches the security company without personal data (as
    its incident page shows it then)."""
    events, targets, requests = found
    case_of = {d.incident_id: incidents_by_id[d.incident_id].case_id for d in leased}
    packets: dict[tuple[uuid.UUID, Recipient], AlertPacket] = {}
    out = []
    for d in leased:
        incident, case = incidents_by_id[d.incident_id], cases[case_of[d.incident_id]]
        key = (d.incident_id, d.recipient)
        if key not in packets:
            packets[key] = build_packet(
                incident,
                case,
                events[d.incident_id],
                d.recipient,
                links,
                requests[d.incident_id],
                trust=trust,
                now=now,
            )
            company = d.recipient is Recipient.security
            role = Role.security_operator
            if company and not keeps_personal_data(role, incident.closed_at, now, keep):
                packets[key] = without_personal_data(packets[key])
        message = Message(
            delivery_id=d.id,
            kind=d.message,
            recipient=d.recipient.value,
            address=recipient_address(d.recipient, case.scope, case.officer_id),
            phone=phone_of(d.recipient, case, duty_phone),
            push_targets=targets.get((d.recipient, case.id), ()),
            packet=packets[key],
        )
        out.append(Claimed(d.id, d.incident_id, d.recipient, d.channel, d.attempts, message))
    return out


def phone_of(recipient: Recipient, case: CaseFacts, duty_phone: str) -> str | None:
    """The number a text goes to: the protected person's, or the duty phone for a police
    request that reached no 112 screen or system."""
    if recipient is Recipient.victim:
        return case.protected_person.phone
    if recipient is Recipient.police:
        return duty_phone or case.station_phone
    return None
