"""The deliveries due now, leased to this replica in one transaction: due rows are locked
(skipped by other replicas), those of a closed incident cancelled (but its updates), the others
marked ``sending`` until ``LEASE`` runs out — a replica that dies mid-send lets them go again."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from safewatch.alerts.messages import Leased
from safewatch.incidents.lifecycle import WAITING, DeliveryStatus, IncidentStatus
from safewatch.incidents.state import IncidentState
from safewatch.models import Delivery, Incident
from safewatch.services.incident_writer import COLUMNS
from safewatch.services.packets import IncidentFacts
from safewatch.store.base import table

LEASE = timedelta(seconds=30)
BATCH = 200


def lease_due(
    session: Session, now: datetime
) -> tuple[list[Leased], dict[uuid.UUID, IncidentFacts]]:
    """Up to ``BATCH`` due deliveries leased, oldest first, with their incidents' facts (none
    when nothing was due)."""
    d = table(Delivery).c
    due = session.execute(
        select(table(Delivery))
        .where(d.status.in_(WAITING), d.next_attempt_at <= now)
        .order_by(d.next_attempt_at, d.created_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not due:
        return [], {}
    incidents_by_id = _incidents_of(session, {row.incident_id for row in due})
    claimed, cancelled = [], []
    for row in due:
        incident = incidents_by_id[row.incident_id]
        if incident.status is IncidentStatus.closed and row.message != "update":
            cancelled.append({"b_id": row.id})
        else:
            claimed.append(row)
    if cancelled:
        session.execute(
            update(table(Delivery))
            .where(d.id == bindparam("b_id"))
            .values(status=DeliveryStatus.cancelled, last_error="the incident was closed"),
            cancelled,
        )
    return lease(session, claimed, now + LEASE), incidents_by_id


def lease(session: Session, rows: Sequence[Any], until: datetime) -> list[Leased]:
    """The deliveries (rows with their id, incident_id, recipient, channel, message and
    attempts) marked ``sending`` until ``until``, an attempt more: what the sender holds."""
    by_attempts: dict[int, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_attempts[row.attempts + 1].append(row.id)
    d = table(Delivery).c
    for attempts, ids in by_attempts.items():  # new deliveries: one statement for them all
        session.execute(
            update(table(Delivery))
            .where(d.id.in_(ids))
            .values(status=DeliveryStatus.sending, attempts=attempts, next_attempt_at=until)
        )
    return [
        Leased(row.id, row.incident_id, row.recipient, row.channel, row.message, row.attempts + 1)
        for row in rows
    ]


def _incidents_of(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, IncidentFacts]:
    t = table(Incident).c
    query = select(*(t[c] for c in COLUMNS)).where(t.id.in_(ids))
    return {row.id: IncidentState(**row._mapping) for row in session.execute(query)}
