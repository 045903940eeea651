"""Delivery receipts from the SMS gateway: a text it accepted becomes *delivered* only when the
carrier says the phone has it, or *failed* with the carrier's reason when it never will.

The alert loop asks every few seconds for the accepted texts that are due (``next_attempt_at``
is when to ask; a replica that asks pushes it on, so the others skip them), asks the gateway
outside any transaction, and records the answers: the timeline says it, and the screens
showing a police request hear how far it got (a duty-phone text that never arrived means
nobody at 112 has it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.sens import Receipt, ReceiptChannel, ReceiptState
from safewatch.incidents.effects import Line
from safewatch.incidents.facts import EntryFacts, EntryReason
from safewatch.incidents.lifecycle import DeliveryStatus, Recipient
from safewatch.incidents.policy import Routing
from safewatch.models import Delivery, Incident
from safewatch.services import incident_writer, incidents
from safewatch.store.base import table
from safewatch.store.db import transaction

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(seconds=5)
# A text the carrier has not completed in a day stays "accepted" (the gateway keeps trying
# a switched-off phone for a while, then says so; past a day nobody acts on the answer).
STOP_ASKING = timedelta(hours=24)
BATCH = 20  # a pass asks about at most this many (two requests each)


@dataclass(frozen=True)
class Asked:
    delivery_id: uuid.UUID
    incident_id: uuid.UUID
    recipient: Recipient
    channel: str
    ref: str
    created_at: datetime


def check(
    factory: sessionmaker[Session],
    routing: Routing,
    channel: ReceiptChannel,
    clock: Callable[[], datetime],
) -> int:
    """Ask the gateway about the texts that are due; returns how many were settled."""
    with transaction(factory) as session:
        asked = due(session, channel.name, clock())
    if not asked:
        return 0
    answers = channel.receipts([a.ref for a in asked])
    with transaction(factory) as session:
        return record(session, routing, asked, answers, clock())


def due(session: Session, channel: str, now: datetime) -> list[Asked]:
    d = table(Delivery).c
    rows = session.execute(
        select(d.id, d.incident_id, d.recipient, d.channel, d.gateway_ref, d.created_at)
        .where(
            d.channel == channel,
            d.status == DeliveryStatus.accepted,
            d.gateway_ref.is_not(None),
            d.next_attempt_at <= now,
            d.created_at >= now - STOP_ASKING,
        )
        .order_by(d.next_attempt_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    asked = [
        Asked(r.id, r.incident_id, r.recipient, r.channel, r.gateway_ref, r.created_at)
        for r in rows
    ]
    for a in asked:  # one statement per row: each is asked again after its own wait
        session.execute(
            update(table(Delivery))
            .where(d.id == a.delivery_id)
            .values(next_attempt_at=now + ask_again(now - a.created_at))
        )
    return asked


def ask_again(age: timedelta) -> timedelta:
    """Soon while a text is young (most arrive in seconds), then less and less often."""
    return min(max(timedelta(seconds=5), age / 2), timedelta(minutes=15))


def record(
    session: Session,
    routing: Routing,
    asked: list[Asked],
    answers: list[Receipt],
    now: datetime,
) -> int:
    by_ref = {r.ref: r for r in answers}
    d = table(Delivery)
    lines, moved = [], set()
    for a in asked:
        receipt = by_ref.get(a.ref)
        if receipt is None or receipt.state is ReceiptState.waiting:
            continue
        if receipt.state is ReceiptState.delivered:
            values: dict[str, object] = {
                "status": DeliveryStatus.delivered,
                "delivered_at": receipt.at or now,
            }
            line = Line(
                "delivered",
                detail=f"{a.channel}: the text reached the phone (carrier's receipt)",
                recipient=a.recipient,
                facts=EntryFacts(reason=EntryReason.sms_reached_phone, channel=a.channel),
            )
        else:
            why = f"the text never reached the phone: {receipt.detail} ({receipt.code})"
            values = {
                "status": DeliveryStatus.failed,
                "last_error": why[:300],
                "delivered_at": None,
            }
            line = Line(
                "delivery_failed",
                detail=f"{a.channel}: {why}",
                recipient=a.recipient,
                facts=EntryFacts(
                    reason=EntryReason.sms_undelivered, channel=a.channel, code=receipt.code
                ),
            )
        changed = session.execute(
            update(d)
            .where(d.c.id == a.delivery_id, d.c.status == DeliveryStatus.accepted)
            .values(**values)
            .returning(d.c.id)
        ).first()
        if changed is None:
            continue  # seen meanwhile, or another replica recorded it
        if receipt.state is ReceiptState.undelivered:
            log.warning("incident %s: %s to %s", a.incident_id, line.detail, a.recipient)
        lines.append((a.incident_id, line))
        if a.recipient is Recipient.police:
            moved.add(a.incident_id)
    incident_writer.add_lines(session, lines, now)
    for incident_id in sorted(moved):  # how far the police request got has changed
        incident = session.get(Incident, incident_id)
        if incident is not None:
            incidents.tell_screens(session, routing, incident, now)
    return len(lines)
