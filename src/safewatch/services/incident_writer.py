"""The one writer of incidents: it reads incidents as the rules see them (``IncidentState``)
and saves what the rules decided (``Effects``) — for one incident or a whole batch — with
set-based statements: new incidents, the columns that changed, the groups told and their
duties, the deliveries, the timeline, the positions sent. The camera batch path, SOS, the
sweeps, escalations and every console action save through it.

New deliveries are written ``pending``; the alert runtime takes them from there by id
(``written``) or on its next pass."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from safewatch.core.errors import Conflict
from safewatch.incidents.effects import Effects, Line
from safewatch.incidents.lifecycle import DeliveryStatus, Recipient
from safewatch.incidents.state import Duty, IncidentState
from safewatch.models import Delivery, Incident, IncidentEntry, IncidentFix, IncidentRecipient
from safewatch.store.base import table
from safewatch.store.bulk import insert_rows

COLUMNS = tuple(f.name for f in fields(IncidentState) if f.name in table(Incident).c)
DUTY_COLUMNS = tuple(f.name for f in fields(Duty) if f.name != "recipient")
_WRITTEN = "safewatch.deliveries_written"


@dataclass(frozen=True)
class Change:
    """One incident's effects, and the incident as it was before them (none: opened now)."""

    before: IncidentState | None
    effects: Effects


@dataclass(frozen=True)
class NewDelivery:
    """A delivery just written (pending, never tried)."""

    id: uuid.UUID
    incident_id: uuid.UUID
    recipient: Recipient
    channel: str
    message: str
    attempts: int = 0


def read(session: Session, *where: Any) -> list[IncidentState]:
    """The incidents the conditions select, with their duties (two queries), oldest first."""
    t = table(Incident).c
    query = select(*(t[c] for c in COLUMNS)).where(*where).order_by(t.created_at)
    rows = session.execute(query).all()
    if not rows:
        return []
    duties = _duties(session, [row.id for row in rows])
    return [IncidentState(**row._mapping, duties=duties[row.id]) for row in rows]


def load(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, IncidentState]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {i.id: i for i in read(session, table(Incident).c.id.in_(wanted))}


def _duties(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[Recipient, Duty]]:
    r = table(IncidentRecipient).c
    out: dict[uuid.UUID, dict[Recipient, Duty]] = defaultdict(dict)
    query = select(r.incident_id, r.recipient, *(r[c] for c in DUTY_COLUMNS)).where(
        r.incident_id.in_(ids)
    )
    for row in session.execute(query.order_by(r.notified_at)):
        values = row._mapping
        out[row.incident_id][row.recipient] = Duty(
            row.recipient, **{c: values[c] for c in DUTY_COLUMNS}
        )
    return out


def state_of(incident: Incident) -> IncidentState:
    """An incident the session already holds, as the rules see it."""
    duties = {
        r.recipient: Duty(r.recipient, **{c: getattr(r, c) for c in DUTY_COLUMNS})
        for r in incident.recipients
    }
    return IncidentState(**{c: getattr(incident, c) for c in COLUMNS}, duties=duties)


def save(
    session: Session, changes: Sequence[Change], now: datetime, checked: bool = False
) -> list[NewDelivery]:
    """Write the changes (each incident at most once) in the session's transaction, parents
    first. The session's own copies of these incidents are refreshed on their next use.
    Returns the deliveries written. ``checked`` (a person's action): each changed column must
    still hold what the decision saw, else nothing is written (``Conflict``) — two operators
    claiming at once must not both win."""
    if not changes:
        return []
    session.flush()
    ids = [c.effects.incident.id for c in changes]
    assert len(set(ids)) == len(ids), "one change per incident"
    opened = [c.effects.incident for c in changes if c.before is None]
    if opened:
        insert_rows(session, table(Incident), [{c: getattr(i, c) for c in COLUMNS} for i in opened])
    if checked:
        _update_checked(session, changes)
    else:
        _update(session, table(Incident), ("id",), _column_changes(changes))
    new_duties, duty_changes = _duty_changes(changes)
    if new_duties:
        insert_rows(session, table(IncidentRecipient), new_duties)
    _update(session, table(IncidentRecipient), ("incident_id", "recipient"), duty_changes)
    deliveries = [
        NewDelivery(uuid.uuid4(), c.effects.incident.id, s.recipient, s.channel, s.message)
        for c in changes
        for s in c.effects.sends
    ]
    if deliveries:
        insert_rows(session, table(Delivery), [_delivery_row(d, now) for d in deliveries])
    track = [
        {
            "incident_id": c.effects.incident.id,
            "received_at": now,
            "taken_at": f.taken_at,
            "latitude": f.latitude,
            "longitude": f.longitude,
            "accuracy_m": f.accuracy_m,
            "source": f.source,
        }
        for c in changes
        for f in c.effects.track
    ]
    if track:
        insert_rows(session, table(IncidentFix), track)
    add_lines(
        session, [(c.effects.incident.id, line) for c in changes for line in c.effects.lines], now
    )
    for c in changes:
        for recipient in c.effects.seen_by:
            _seen_by(session, c.effects.incident.id, recipient, now)
    _refresh(session, set(ids))
    session.info.setdefault(_WRITTEN, []).extend(deliveries)
    return deliveries


def add_lines(session: Session, lines: Sequence[tuple[uuid.UUID, Line]], now: datetime) -> None:
    """Timeline lines of incidents whose state does not change (a delivery's receipt), in
    one multi-row insert."""
    if lines:
        rows = [
            {
                "incident_id": incident_id,
                "at": now,
                "kind": line.kind,
                "actor": line.actor[:200],
                "user_id": line.user_id,
                "recipient": line.recipient,
                "detail": line.detail,
                "facts": line.facts,
            }
            for incident_id, line in lines
        ]
        insert_rows(session, table(IncidentEntry), rows)


def written(session: Session) -> list[NewDelivery]:
    """The deliveries this session wrote since it was last asked (for the alert runtime)."""
    found: list[NewDelivery] = session.info.pop(_WRITTEN, [])
    return found


def _delivery_row(d: NewDelivery, now: datetime) -> dict[str, Any]:
    return {
        "id": d.id,
        "created_at": now,
        "incident_id": d.incident_id,
        "recipient": d.recipient,
        "channel": d.channel,
        "message": d.message,
        "status": DeliveryStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "delivered_at": None,
    }


Keyed = tuple[dict[str, Any], dict[str, Any]]  # the row's key, the columns that changed


def _moved(before: IncidentState, after: IncidentState) -> dict[str, Any]:
    """The columns that changed, with their new values."""
    return {
        col: getattr(after, col) for col in COLUMNS if getattr(after, col) != getattr(before, col)
    }


def _column_changes(changes: Sequence[Change]) -> list[Keyed]:
    out = []
    for c in changes:
        if c.before is not None and (moved := _moved(c.before, c.effects.incident)):
            out.append(({"id": c.before.id}, moved))
    return out


def _duty_changes(changes: Sequence[Change]) -> tuple[list[dict[str, Any]], list[Keyed]]:
    new, changed = [], []
    for c in changes:
        incident = c.effects.incident
        before = c.before.duties if c.before is not None else {}
        for recipient, duty in incident.duties.items():
            old = before.get(recipient)
            columns = {col: getattr(duty, col) for col in DUTY_COLUMNS}
            if old is None:
                new.append({"incident_id": incident.id, "recipient": recipient, **columns})
            elif old != duty:
                moved = {k: v for k, v in columns.items() if getattr(old, k) != v}
                changed.append(({"incident_id": incident.id, "recipient": recipient}, moved))
    return new, changed


def _update(session: Session, t: Any, key: tuple[str, ...], rows: list[Keyed]) -> None:
    """Rows changed in the same columns are updated in one statement."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for keys, moved in rows:
        groups[tuple(sorted(moved))].append({**{f"k_{k}": v for k, v in keys.items()}, **moved})
    for columns, params in groups.items():
        statement = (
            update(t)
            .where(*(t.c[k] == bindparam(f"k_{k}") for k in key))
            .values({c: bindparam(c) for c in columns})
        )
        session.execute(statement, params)


def _update_checked(session: Session, changes: Sequence[Change]) -> None:
    t = table(Incident)
    for c in changes:
        before = c.before
        if before is None or not (moved := _moved(before, c.effects.incident)):
            continue
        unchanged = [t.c[col].is_not_distinct_from(getattr(before, col)) for col in moved]
        done = session.execute(update(t).where(t.c.id == before.id, *unchanged).values(moved))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("someone changed this incident meanwhile: look at it again")


def _seen_by(session: Session, incident_id: uuid.UUID, recipient: Recipient, now: datetime) -> None:
    """The person opened the alert in the app: its in-app deliveries are seen (what other
    channels' services accepted stays accepted — we do not know it was opened there)."""
    d = table(Delivery).c
    session.execute(
        update(table(Delivery))
        .where(
            d.incident_id == incident_id,
            d.recipient == recipient,
            d.channel == "in_app",
            d.message != "update",
            d.status.not_in((DeliveryStatus.seen, DeliveryStatus.cancelled)),
        )
        .values(
            status=DeliveryStatus.seen,
            last_error=None,
            delivered_at=func.coalesce(d.delivered_at, now),
        )
    )


def _refresh(session: Session, ids: set[uuid.UUID]) -> None:
    """The session's ORM copies of these incidents and their duties load again when used."""
    for obj in list(session.identity_map.values()):
        if not isinstance(obj, Incident | IncidentRecipient):
            continue
        # By the identity key: reading an expired object's id would load it again.
        identity = instance_state(obj).identity
        if identity is not None and identity[0] in ids:
            session.expire(obj)
