"""Signals open or join incidents: camera events, SOS presses, silent watches, an officer's
report. A repeat of the same track or SOS within the join window joins the open incident (a
more severe type upgrades it and tells whoever the new type adds); otherwise a new incident
tells everyone the policy names at once.

Many signals are applied together with set-based statements: a camera worker's backlog or a
burst from 200 cameras costs a few queries and one multi-row insert per table, not ~40 ORM
statements per event. A single SOS takes the same path with a batch of one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from safewatch.alerts.channels import LOCAL_CHANNELS
from safewatch.bus.messages import SEVERITY
from safewatch.incidents.facts import (
    EntryFacts,
    EntryReason,
    IncidentFacts,
    IncidentKind,
    SignalSource,
)
from safewatch.incidents.lifecycle import (
    IncidentStatus,
    Outcome,
    PoliceStatus,
    Recipient,
)
from safewatch.incidents.policy import JOINS_WHILE_OPEN, RoutingPolicy, severity_rank
from safewatch.models import Case, Delivery, Incident, IncidentEntry, IncidentRecipient
from safewatch.services.cases import next_references
from safewatch.services.incident_rows import SYSTEM, delivery_row, entry_row
from safewatch.services.packets import CaseFacts, case_facts
from safewatch.store.base import table
from safewatch.store.bulk import insert_rows

INCIDENT_SEVERITY = {**SEVERITY, "sos": "critical", "watch_silent": "high", "manual": "high"}


@dataclass(frozen=True)
class Routing:
    """The policy and the channels this hub can actually use (a webhook only if configured)."""

    policy: RoutingPolicy
    available: frozenset[str]
    police_duty_phone: str = ""  # a police request that reaches nobody is texted here
    # How long the security company keeps a closed incident's personal data and live view
    security_keeps_closed: timedelta = timedelta(hours=24)

    def channels(self, recipient: Recipient) -> list[str]:
        return [c for c in self.policy.channels.get(recipient, []) if c in self.available]


class Signal(NamedTuple):
    case_id: uuid.UUID
    source: SignalSource
    type: IncidentKind
    join_key: str
    actor: str
    summary: str
    device_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    battery: int | None = None
    facts: IncidentFacts | None = None  # what the screens word (``summary`` is for logs)


@dataclass
class IncidentState:
    """One incident as a batch reads and changes it (the columns of ``incident``)."""

    id: uuid.UUID
    reference: str
    case_id: uuid.UUID
    source: SignalSource
    type: IncidentKind
    severity: str
    join_key: str
    summary: str
    last_signal_at: datetime
    created_at: datetime
    status: IncidentStatus = IncidentStatus.open
    police_status: PoliceStatus = PoliceStatus.none
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    device_id: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    battery_percent: int | None = None
    claimed_by: uuid.UUID | None = None
    guard_unit: str | None = None
    acknowledged_at: datetime | None = None
    dispatched_at: datetime | None = None
    on_scene_at: datetime | None = None
    police_requested_at: datetime | None = None
    closed_at: datetime | None = None
    facts: IncidentFacts | None = None
    # Not columns: what the batch knows and did.
    recipients: set[Recipient] = field(default_factory=set)
    new: bool = False
    changed: bool = False

    def columns(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in COLUMNS}


COLUMNS = tuple(f.name for f in fields(IncidentState) if f.name in table(Incident).c)
CHANGEABLE = (
    "type",
    "severity",
    "summary",
    "facts",
    "last_signal_at",
    "latitude",
    "longitude",
    "battery_percent",
    "police_status",
    "police_requested_at",
)


@dataclass
class Applied:
    """What a batch did: per signal its incident and whether it was opened; the deliveries
    created (on local channels already leased, when asked); the cases' facts for the
    packets."""

    results: list[tuple[IncidentState, bool]]
    deliveries: list[dict[str, Any]]
    cases: dict[uuid.UUID, CaseFacts]

    def incidents(self) -> dict[uuid.UUID, IncidentState]:
        return {state.id: state for state, _ in self.results}


def recipient_row(
    routing: Routing, incident_id: uuid.UUID, recipient: Recipient, now: datetime
) -> dict[str, Any]:
    """A recipient group told for the first time, with its acknowledgement deadline."""
    seconds = routing.policy.deadline_seconds(recipient)
    return {
        "incident_id": incident_id,
        "recipient": recipient,
        "notified_at": now,
        "deadline_at": now + timedelta(seconds=seconds) if seconds is not None else None,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "escalated_at": None,
    }


class _Rows:
    """The rows one batch will insert, in the order they happened."""

    def __init__(self, routing: Routing, now: datetime, lease_until: datetime | None):
        self.routing, self.now, self.lease_until = routing, now, lease_until
        self.entries: list[dict[str, Any]] = []
        self.recipients: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []

    def entry(
        self,
        incident: IncidentState,
        kind: str,
        actor: str = SYSTEM,
        detail: str = "",
        recipient: Recipient | None = None,
        user_id: uuid.UUID | None = None,
        facts: EntryFacts | None = None,
    ) -> None:
        self.entries.append(
            entry_row(incident.id, self.now, kind, actor, detail, recipient, user_id, facts)
        )

    def deliver(
        self, incident: IncidentState, recipient: Recipient, message: str, channels: list[str]
    ) -> None:
        for channel in channels:
            lease = self.lease_until if channel in LOCAL_CHANNELS else None
            self.deliveries.append(
                delivery_row(incident.id, recipient, channel, message, self.now, lease)
            )

    def notify(
        self, incident: IncidentState, recipient: Recipient, why: str, facts: EntryFacts
    ) -> None:
        """Tell a recipient group; the first time, start its acknowledgement deadline."""
        if recipient not in incident.recipients:
            self.recipients.append(recipient_row(self.routing, incident.id, recipient, self.now))
            incident.recipients.add(recipient)
        self.deliver(incident, recipient, "alert", self.routing.channels(recipient))
        self.entry(incident, "notified", detail=why, recipient=recipient, facts=facts)
        if recipient is Recipient.police and incident.police_status is PoliceStatus.none:
            incident.police_status = PoliceStatus.requested
            incident.police_requested_at = self.now
            self.entry(incident, "police_requested", detail=why, facts=facts)

    def updated(self, incident: IncidentState) -> None:
        """Every screen that shows the incident hears of a change."""
        for recipient in sorted(incident.recipients, key=lambda r: r.value):
            if "in_app" in self.routing.channels(recipient):
                self.deliver(incident, recipient, "update", ["in_app"])


def _open_incidents(
    session: Session, signals: list[Signal], now: datetime, window: float
) -> dict[tuple[uuid.UUID, str], IncidentState]:
    t = table(Incident).c
    rows = session.execute(
        select(*(t[c] for c in COLUMNS))
        .where(
            t.case_id.in_({s.case_id for s in signals}),
            t.join_key.in_({s.join_key[:120] for s in signals}),
            t.status != IncidentStatus.closed,
            or_(t.last_signal_at >= now - timedelta(seconds=window), t.type.in_(JOINS_WHILE_OPEN)),
        )
        .order_by(t.created_at)
    )
    found = {}
    for row in rows:  # oldest first: the newest open one per key wins
        found[(row.case_id, row.join_key)] = IncidentState(**row._mapping)
    if found:
        r = table(IncidentRecipient).c
        by_id = {state.id: state for state in found.values()}
        for row in session.execute(
            select(r.incident_id, r.recipient).where(r.incident_id.in_(by_id))
        ):
            by_id[row.incident_id].recipients.add(row.recipient)
    return found


def apply(
    session: Session,
    routing: Routing,
    signals: list[Signal],
    now: datetime,
    lease_until: datetime | None = None,
) -> Applied:
    """Open or join an incident for each signal, in order, in the session's transaction."""
    if not signals:
        return Applied([], [], {})
    session.flush()
    cases = sorted({s.case_id for s in signals})
    # One writer per case at a time (PostgreSQL): two replicas must not both open the
    # incident for the same track.
    session.execute(select(Case.id).where(Case.id.in_(cases)).order_by(Case.id).with_for_update())
    facts = case_facts(session, cases)
    open_now = _open_incidents(session, signals, now, routing.policy.join_seconds)
    rows = _Rows(routing, now, lease_until)
    results: list[tuple[IncidentState, bool]] = []
    opened: list[IncidentState] = []
    for s in signals:
        key = (s.case_id, s.join_key[:120])
        incident = open_now.get(key)
        if incident is not None:
            _join(rows, incident, s, facts[s.case_id])
            results.append((incident, False))
            continue
        incident = IncidentState(
            id=uuid.uuid4(),
            reference="",
            case_id=s.case_id,
            source=s.source,
            type=s.type,
            severity=INCIDENT_SEVERITY[s.type],
            join_key=key[1],
            summary=s.summary[:300],
            device_id=s.device_id,
            last_signal_at=now,
            created_at=now,
            latitude=s.latitude if s.longitude is not None else None,
            longitude=s.longitude if s.latitude is not None else None,
            battery_percent=s.battery,
            facts=s.facts,
            new=True,
        )
        rows.entry(incident, "created", s.actor, s.summary, user_id=s.user_id, facts=_said(s))
        because = EntryFacts(reason=EntryReason.incident_type, kind=IncidentKind(s.type))
        for recipient in routing.policy.recipients(s.type, facts[s.case_id].risk_level):
            rows.notify(incident, recipient, s.type, because)
        open_now[key] = incident
        opened.append(incident)
        results.append((incident, True))
    for incident, reference in zip(
        opened, next_references(session, "INC", len(opened)), strict=True
    ):
        incident.reference = reference
    _write(session, rows, opened, [i for i in open_now.values() if i.changed and not i.new])
    return Applied(results, rows.deliveries, facts)


def _said(s: Signal) -> EntryFacts | None:
    """A created or joined line: what the signal said, as facts."""
    return EntryFacts(reason=EntryReason.signal, signal=s.facts) if s.facts else None


def _join(rows: _Rows, incident: IncidentState, s: Signal, case: CaseFacts) -> None:
    incident.last_signal_at, incident.changed = rows.now, True
    if s.latitude is not None and s.longitude is not None:
        incident.latitude, incident.longitude = s.latitude, s.longitude
    if s.battery is not None:
        incident.battery_percent = s.battery
    rows.entry(incident, "joined", s.actor, s.summary, user_id=s.user_id, facts=_said(s))
    if severity_rank(s.type) < severity_rank(incident.type):
        before = incident.type
        incident.type, incident.severity = s.type, INCIDENT_SEVERITY[s.type]
        incident.summary, incident.facts = s.summary[:300], s.facts
        upgraded = EntryFacts(
            reason=EntryReason.upgraded, before=IncidentKind(before), kind=IncidentKind(s.type)
        )
        rows.entry(incident, "upgraded", s.actor, f"{before} → {s.type}", facts=upgraded)
        for recipient in rows.routing.policy.recipients(s.type, case.risk_level):
            if recipient not in incident.recipients:
                rows.notify(incident, recipient, f"now {s.type}", upgraded)
    rows.updated(incident)


def _write(
    session: Session, rows: _Rows, opened: list[IncidentState], changed: list[IncidentState]
) -> None:
    """Parents first: incidents, then their recipients, deliveries and timeline."""
    if opened:
        insert_rows(session, table(Incident), [i.columns() for i in opened])
    if changed:
        t = table(Incident)
        session.execute(
            update(t)
            .where(t.c.id == bindparam("b_id"))
            .values({c: bindparam(c) for c in CHANGEABLE}),
            [{"b_id": i.id, **{c: getattr(i, c) for c in CHANGEABLE}} for i in changed],
        )
    for model, values in (
        (IncidentRecipient, rows.recipients),
        (Delivery, rows.deliveries),
        (IncidentEntry, rows.entries),
    ):
        if values:
            insert_rows(session, table(model), values)
    reasons = {i.case_id: f"incident {i.reference} ({i.type})"[:300] for i in opened}
    if reasons:
        c = table(Case)
        session.execute(
            update(c).where(c.c.id == bindparam("b_id")).values(reassessment_reason=bindparam("r")),
            [{"b_id": case_id, "r": reason} for case_id, reason in reasons.items()],
        )
        # The ORM copies of these cases (a request's own) must not keep the old reason.
        for obj in session.identity_map.values():
            if isinstance(obj, Case) and obj.id in reasons:
                session.expire(obj, ["reassessment_reason"])
