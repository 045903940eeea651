"""The receipts of the alert loop's sends: each delivery's new status, its timeline line, and
what a police request's receipts mean (one that reached nobody goes on to the duty phone;
screens hear how far it got). Many receipts in one transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, update
from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.channels import FAILED, RETRY, Result
from safewatch.alerts.messages import Claimed
from safewatch.bus.base import Notice
from safewatch.incidents.effects import Line
from safewatch.incidents.facts import EntryFacts
from safewatch.incidents.lifecycle import (
    FALLBACK_CHANNEL,
    RECEIPTED,
    DeliveryStatus,
    Recipient,
    after_send,
)
from safewatch.incidents.policy import Routing
from safewatch.models import Delivery, Incident, PushSubscription
from safewatch.services import incident_writer, incidents, police
from safewatch.store.base import table
from safewatch.store.db import transaction

MAX_ATTEMPTS = {"in_app": 3, "web_push": 6, "webhook": 10, "sms": 5}
FIRST_RECEIPT_CHECK = timedelta(seconds=5)  # a text usually reaches a phone in seconds


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** (attempts - 1), 60))


def record(
    factory: sessionmaker[Session],
    routing: Routing,
    results: list[tuple[Claimed, Result]],
    now: datetime,
    tell_admins: Callable[[Session, list[Notice]], None],
) -> None:
    """Receipts of many sends in one transaction: one update per kind of outcome (most
    are "delivered" at the same moment) and one multi-row insert of timeline entries. A
    delivery no longer being sent (its lease ran out and the loop took it back, or the
    person has seen it meanwhile) is left as it is."""
    groups: dict[tuple[DeliveryStatus, str | None, datetime, datetime | None], list[Claimed]] = (
        defaultdict(list)
    )
    statuses: dict[uuid.UUID, tuple[DeliveryStatus, Result]] = {}
    for claimed, result in results:
        outcome = result.outcome
        if outcome is RETRY and claimed.attempts >= MAX_ATTEMPTS.get(claimed.channel, 5):
            outcome = FAILED
        status = after_send(outcome)
        ok = status in RECEIPTED
        if outcome is RETRY:
            next_at = now + backoff(claimed.attempts)
        elif result.ref is not None:
            next_at = now + FIRST_RECEIPT_CHECK  # when to ask the gateway what became of it
        else:
            next_at = now
        key = (status, None if ok else result.detail[:300], next_at, now if ok else None)
        groups[key].append(claimed)
        statuses[claimed.delivery_id] = (status, result)
    d = table(Delivery)
    with transaction(factory) as session:
        gone = [e for _, result in results for e in result.gone]
        if gone:  # the browser unsubscribed: stop ringing a phone that will not ring
            session.execute(delete(PushSubscription).where(PushSubscription.endpoint.in_(gone)))
        recorded: set[uuid.UUID] = set()
        for (status, error, next_at, delivered_at), group in groups.items():
            recorded.update(
                session.scalars(
                    update(d)
                    .where(
                        d.c.id.in_([c.delivery_id for c in group]),
                        d.c.status == DeliveryStatus.sending,
                    )
                    .values(
                        status=status,
                        last_error=error,
                        next_attempt_at=next_at,
                        delivered_at=delivered_at,
                    )
                    .returning(d.c.id)
                )
            )
        refs = [
            {"b_id": c.delivery_id, "b_ref": r.ref}
            for c, r in results
            if r.ref is not None and c.delivery_id in recorded
        ]
        if refs:
            session.execute(
                update(d).where(d.c.id == bindparam("b_id")).values(gateway_ref=bindparam("b_ref")),
                refs,
            )
        entries = []
        for claimed, _ in results:
            final, result = statuses[claimed.delivery_id]
            if (
                claimed.delivery_id not in recorded
                or final is DeliveryStatus.pending
                or claimed.message.kind == "update"
            ):
                continue  # screens refresh; the timeline records alerts, not refreshes
            attempt = f" (attempt {claimed.attempts})" if claimed.attempts > 1 else ""
            line = Line(
                # accepted | delivered | delivery_failed
                "delivery_failed" if final is DeliveryStatus.failed else final.value,
                detail=f"{claimed.channel}: {result.detail}{attempt}",
                recipient=claimed.recipient,
                facts=_receipt(claimed, result),
            )
            entries.append((claimed.incident_id, line))
        incident_writer.add_lines(session, entries, now)
        moved = [
            c
            for c, _ in results
            if c.recipient is Recipient.police
            and c.message.kind != "update"
            and c.delivery_id in recorded
            and statuses[c.delivery_id][0] is not DeliveryStatus.pending
        ]
        if moved:
            _police_moved(session, routing, moved, statuses, now, tell_admins)


def _police_moved(
    session: Session,
    routing: Routing,
    moved: list[Claimed],
    statuses: Mapping[uuid.UUID, tuple[DeliveryStatus, Result]],
    now: datetime,
    tell_admins: Callable[[Session, list[Notice]], None],
) -> None:
    """A police request was taken, or a channel gave up on it: one that reached nobody
    goes on to the duty phone; either way every screen showing it hears how far it got."""
    gave_up = {
        c.incident_id
        for c in moved
        if statuses[c.delivery_id][0] is DeliveryStatus.failed and c.channel != FALLBACK_CHANNEL
    }
    tell_admins(session, police.fall_back(session, routing, gave_up, now))
    for incident_id in sorted({c.incident_id for c in moved} - gave_up):
        incident = session.get(Incident, incident_id)
        if incident is not None:
            incidents.tell_screens(session, routing, incident, now)


def _receipt(claimed: Claimed, result: Result) -> EntryFacts | None:
    """A delivery's timeline line as facts (the screens word them; a channel that gives no
    reason has its detail shown as it is)."""
    if result.reason is None:
        return None
    return EntryFacts(
        reason=result.reason,
        channel=claimed.channel,
        count=result.count,
        code=result.code,
        attempt=claimed.attempts if claimed.attempts > 1 else None,
    )
