"""Signals open or join incidents: camera events, SOS presses, silent watches and cameras, an
officer's report. The rules are ``incidents.decisions.opened`` and ``joined``; this reads the
open incidents the signals may join and saves the outcome through the one writer.

Many signals are applied together: a camera worker's backlog or a burst from 200 cameras
costs a few queries and one multi-row insert per table, not ~40 ORM statements per event. A
single SOS takes the same path with a batch of one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from safewatch.incidents import decisions
from safewatch.incidents.effects import Effects
from safewatch.incidents.lifecycle import IncidentStatus
from safewatch.incidents.policy import JOINS_WHILE_OPEN, Routing
from safewatch.incidents.state import IncidentState, Signal
from safewatch.models import Case, Incident
from safewatch.services import incident_writer
from safewatch.services.cases import next_references
from safewatch.services.incident_writer import Change, NewDelivery
from safewatch.services.packets import CaseFacts, case_facts
from safewatch.store.base import table


@dataclass
class Applied:
    """What a batch did: per signal its incident (as the batch left it) and whether it was
    opened; the deliveries written; the cases' facts for the packets."""

    results: list[tuple[IncidentState, bool]]
    deliveries: list[NewDelivery]
    cases: dict[uuid.UUID, CaseFacts]

    def incidents(self) -> dict[uuid.UUID, IncidentState]:
        return {state.id: state for state, _ in self.results}


def _open_incidents(
    session: Session, signals: list[Signal], now: datetime, window: float
) -> dict[tuple[uuid.UUID, str], IncidentState]:
    t = table(Incident).c
    found = incident_writer.read(
        session,
        t.case_id.in_({s.case_id for s in signals}),
        t.join_key.in_({s.join_key[:120] for s in signals}),
        t.status != IncidentStatus.closed,
        or_(t.last_signal_at >= now - timedelta(seconds=window), t.type.in_(JOINS_WHILE_OPEN)),
    )
    # Oldest first: the newest open one per key wins.
    return {(i.case_id, i.join_key): i for i in found}


def apply(session: Session, routing: Routing, signals: list[Signal], now: datetime) -> Applied:
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
    before = {i.id: i for i in open_now.values()}
    effects: dict[uuid.UUID, Effects] = {}  # per incident, everything the batch decided
    picks: list[tuple[uuid.UUID, bool]] = []
    for s in signals:
        key = (s.case_id, s.join_key[:120])
        risk = facts[s.case_id].risk_level
        incident = open_now.get(key)
        if incident is None:
            done = decisions.opened(routing, s, risk, now)
        else:
            done = decisions.joined(routing, incident, s, risk, now)
        found = effects.get(done.incident.id)
        effects[done.incident.id] = found + done if found is not None else done
        open_now[key] = done.incident
        picks.append((done.incident.id, incident is None))
    opened = [i for i in effects if i not in before]
    for incident_id, reference in zip(
        opened, next_references(session, "INC", len(opened)), strict=True
    ):
        effects[incident_id] = effects[incident_id].changed(reference=reference)
    changes = [Change(before.get(i), e) for i, e in effects.items()]
    deliveries = incident_writer.save(session, changes, now)
    _reassess(session, [effects[i].incident for i in opened])
    final = {i: e.incident for i, e in effects.items()}
    return Applied([(final[i], new) for i, new in picks], deliveries, facts)


def _reassess(session: Session, opened: list[IncidentState]) -> None:
    """A new incident prompts the case's reassessment, and says why."""
    reasons = {i.case_id: f"incident {i.reference} ({i.type})"[:300] for i in opened}
    if not reasons:
        return
    c = table(Case)
    session.execute(
        update(c).where(c.c.id == bindparam("b_id")).values(reassessment_reason=bindparam("r")),
        [{"b_id": case_id, "r": reason} for case_id, reason in reasons.items()],
    )
    # The ORM copies of these cases (a request's own) must not keep the old reason.
    for obj in session.identity_map.values():
        if isinstance(obj, Case) and obj.id in reasons:
            session.expire(obj, ["reassessment_reason"])
