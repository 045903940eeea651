"""What each recipient is sent about an incident: enough to act, no more. The protected person
is not sent their own address; the security company and 112 get who, where, the risk level,
the offender's description, and signed links to the snapshot and clip.

The packet is built from plain facts, so the alert path can build many from a few set-based
queries (``case_facts``, ``events_by_incident``) as well as from ORM objects."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.cases.access import CaseScope
from safewatch.cases.risk import RiskLevel
from safewatch.core.links import LinkSigner
from safewatch.incidents import facts as said
from safewatch.incidents.facts import SignalSource
from safewatch.incidents.lifecycle import (
    IncidentStatus,
    Outcome,
    PoliceRequest,
    PoliceStatus,
    Recipient,
)
from safewatch.incidents.location import FixSource, Trust
from safewatch.models import (
    Agency,
    CameraEventRecord,
    Case,
    Incident,
    Offender,
    ProtectedPerson,
    Stay,
)
from safewatch.schemas.alerts import (
    AlertPacket,
    PacketCase,
    PacketIncident,
    PacketLocation,
    PacketOffender,
    PacketPerson,
    PoliceAsk,
)
from safewatch.services.packet_location import located
from safewatch.services.police import requests_by_incident
from safewatch.store.base import table


class IncidentFacts(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def case_id(self) -> uuid.UUID: ...
    @property
    def reference(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def facts(self) -> said.IncidentFacts | None: ...
    @property
    def status(self) -> IncidentStatus: ...
    @property
    def police_status(self) -> PoliceStatus: ...
    @property
    def outcome(self) -> Outcome | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def last_signal_at(self) -> datetime: ...
    @property
    def guard_unit(self) -> str | None: ...
    @property
    def claimed_by(self) -> uuid.UUID | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def source(self) -> SignalSource: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...
    @property
    def location_accuracy_m(self) -> float | None: ...
    @property
    def location_source(self) -> FixSource | None: ...
    @property
    def location_at(self) -> datetime | None: ...
    @property
    def battery_percent(self) -> int | None: ...


class EventFacts(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def snapshot_name(self) -> str | None: ...
    @property
    def clip_name(self) -> str | None: ...
    @property
    def clip_error(self) -> str | None: ...


class PersonFacts(NamedTuple):
    full_name: str
    phone: str
    address: str
    latitude: float | None
    longitude: float | None


class OffenderFacts(NamedTuple):
    full_name: str
    description: str
    relation_to_victim: str | None
    birth_year: int | None


class CaseFacts(NamedTuple):
    """What the alert path needs of a case: who is told, and what their packets say.
    (Named tuples: the alert path makes thousands a second.)"""

    id: uuid.UUID
    reference: str
    risk_level: RiskLevel | None
    officer_id: uuid.UUID | None
    scope: CaseScope
    protected_person: PersonFacts
    offenders: tuple[OffenderFacts, ...]
    station_phone: str | None = None  # the case's police station (a police request's fallback)
    stay_address: str | None = None  # the safe accommodation in use (not checked out)


def case_facts(session: Session, case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, CaseFacts]:
    """Many cases in two queries (the case with its person, then their offenders)."""
    ids = list(set(case_ids))
    if not ids:
        return {}
    session.flush()  # Core queries do not flush the session's pending changes themselves
    c, p, o = table(Case).c, table(ProtectedPerson).c, table(Offender).c
    station, stay = table(Agency).c, table(Stay).c
    offenders: dict[uuid.UUID, list[OffenderFacts]] = defaultdict(list)
    query = select(o.case_id, o.full_name, o.description, o.relation_to_victim, o.birth_year).where(
        o.case_id.in_(ids)
    )
    for row in session.execute(query.order_by(o.created_at)):
        offenders[row.case_id].append(
            OffenderFacts(row.full_name, row.description, row.relation_to_victim, row.birth_year)
        )
    stays = {
        row.case_id: row.address
        for row in session.execute(
            select(stay.case_id, stay.address)
            .where(stay.case_id.in_(ids), stay.check_out.is_(None))
            .order_by(stay.check_in)  # the latest stay wins
        )
    }
    rows = session.execute(
        select(
            c.id,
            c.reference,
            c.risk_level,
            c.officer_id,
            c.police_station_id,
            c.support_centre_id,
            c.security_company_id,
            p.user_id,
            p.full_name,
            p.phone,
            p.address,
            p.latitude,
            p.longitude,
            station.phone.label("station_phone"),
        )
        .join_from(table(Case), table(ProtectedPerson), p.id == c.protected_person_id)
        .outerjoin(table(Agency), station.id == c.police_station_id)
        .where(c.id.in_(ids))
    )
    return {
        row.id: CaseFacts(
            id=row.id,
            reference=row.reference,
            risk_level=row.risk_level,
            officer_id=row.officer_id,
            scope=CaseScope(
                police_station_id=row.police_station_id,
                support_centre_id=row.support_centre_id,
                security_company_id=row.security_company_id,
                protected_user_id=row.user_id,
            ),
            protected_person=PersonFacts(
                row.full_name, row.phone, row.address, row.latitude, row.longitude
            ),
            offenders=tuple(offenders[row.id]),
            station_phone=row.station_phone,
            stay_address=stays.get(row.id),
        )
        for row in rows
    }


def events_by_incident(
    session: Session, incident_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[EventFacts]]:
    """The camera events of many incidents in one query, oldest first."""
    ids = list(set(incident_ids))
    out: dict[uuid.UUID, list[EventFacts]] = defaultdict(list)
    if not ids:
        return out
    session.flush()
    e = table(CameraEventRecord).c
    query = (
        select(e.id, e.incident_id, e.snapshot_name, e.clip_name, e.clip_error)
        .where(e.incident_id.in_(ids))
        .order_by(e.occurred_at)
    )
    for row in session.execute(query):
        out[row.incident_id].append(row)
    return out


def build_packet(
    incident: IncidentFacts,
    case: CaseFacts,
    events: Sequence[EventFacts],
    recipient: Recipient,
    links: LinkSigner,
    police: PoliceRequest,
    for_user: uuid.UUID | None = None,
    *,
    trust: Trust,
    now: datetime,
) -> AlertPacket:
    """``incident.police_reach`` says how far the police request got (``PoliceReach``: its
    values and their meaning are in incidents/lifecycle.py); ``incident.police_request`` what
    it asks of the police (``asked``: by_policy | escalated | by_person, ``by``, ``note``;
    None when the police were not asked; not sent to the protected person)."""
    snap = clip = None
    clip_pending = False
    for e in events:  # the latest snapshot and clip
        if e.snapshot_name:
            snap = e
        if e.clip_name:
            clip = e
        clip_pending = clip_pending or e.clip_error is None
    audience = recipient.value
    person = case.protected_person
    victim = recipient is Recipient.victim
    ask = None
    if police.asked is not None and not victim:
        ask = PoliceAsk(asked=police.asked, by=police.by, note=police.note)
    return AlertPacket(
        incident=PacketIncident(
            id=incident.id,
            reference=incident.reference,
            type=incident.type,
            severity=incident.severity,
            summary=incident.summary,
            facts=incident.facts.for_victim() if victim and incident.facts else incident.facts,
            status=incident.status,
            police_status=incident.police_status,
            police_reach=police.reach,
            police_request=ask,
            outcome=incident.outcome,
            opened_at=incident.created_at,
            last_signal_at=incident.last_signal_at,
            guard_unit=incident.guard_unit,
            claimed=incident.claimed_by is not None,
        ),
        case=PacketCase(reference=case.reference, risk_level=case.risk_level),
        location=located(incident, case, victim, trust, now),
        # Made for the recipient group, and the person when one asked (the audit names them)
        snapshot_url=links.url(snap.id, "snapshot", audience, by=for_user) if snap else None,
        clip_url=links.url(clip.id, "clip", audience, by=for_user) if clip else None,
        clip_pending=clip is None and clip_pending,
        protected_person=None
        if victim
        else PacketPerson(
            name=person.full_name,
            phone=person.phone,
            address=person.address,
            latitude=person.latitude,
            longitude=person.longitude,
        ),
        offenders=None
        if victim
        else [
            PacketOffender(
                name=o.full_name,
                description=o.description,
                relation=o.relation_to_victim,
                birth_year=o.birth_year,
            )
            for o in case.offenders
        ],
    )


def without_personal_data(packet: AlertPacket) -> AlertPacket:
    """The packet of an incident its reader no longer holds personal data for: no names,
    phone, address, position or pictures (``cases.access.keeps_personal_data``)."""
    facts = packet.incident.facts
    incident = packet.incident.model_copy(
        update={
            "summary": packet.incident.type.replace("_", " "),
            "facts": facts.without_personal_data() if facts else None,
        }
    )
    return packet.model_copy(
        update={
            "incident": incident,
            "protected_person": None,
            "offenders": None,
            "location": PacketLocation(latitude=None, longitude=None, battery_percent=None),
            "snapshot_url": None,
            "clip_url": None,
            "clip_pending": False,
        }
    )


def incident_packet(
    session: Session,
    incident: Incident,
    case: Case,
    recipient: Recipient,
    links: LinkSigner,
    for_user: uuid.UUID | None,
    trust: Trust,
    now: datetime,
) -> AlertPacket:
    facts = case_facts(session, [case.id])[case.id]
    events = events_by_incident(session, [incident.id])[incident.id]
    police = requests_by_incident(session, [incident])[incident.id]
    return build_packet(
        incident, facts, events, recipient, links, police, for_user, trust=trust, now=now
    )
