"""The hub's alert loop: sends due deliveries on their channels, retries with backoff, records
receipts and failures on the timeline, and escalates missed deadlines.

Everything it works from is in the database (deliveries, deadlines), so a restart picks up
where the last process stopped. A delivery is leased while it is being sent; if the process
dies mid-send, the lease runs out and the delivery is sent again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.addresses import recipient_address
from safewatch.alerts.channels import Channel, Message, PushTarget, Result
from safewatch.alerts.lifecycle import IncidentStatus, Recipient
from safewatch.core.links import LinkSigner
from safewatch.core.roles import Role
from safewatch.models import Case, Delivery, Incident, IncidentEntry, PushSubscription, User
from safewatch.services import incidents
from safewatch.services.packets import incident_packet
from safewatch.store.base import utcnow
from safewatch.store.db import on_commit, transaction

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
SWEEP = timedelta(seconds=60)
BATCH = 50
CHANNEL_ORDER = {"in_app": 0, "web_push": 1, "webhook": 2, "sms": 3}
MAX_ATTEMPTS = {"in_app": 3, "web_push": 6, "webhook": 10, "sms": 5}


def recipient_users(session: Session, recipient: Recipient, case: Case) -> list[uuid.UUID]:
    """The people of a recipient group (whose phones web push rings)."""
    match recipient:
        case Recipient.victim:
            return [u for u in [case.scope.protected_user_id] if u]
        case Recipient.officer:
            return [u for u in [case.officer_id] if u]
        case Recipient.security:
            company = case.security_company_id
            query = select(User.id).where(User.agency_id == company, User.active.is_(True))
            return list(session.scalars(query)) if company else []
        case Recipient.police:
            query = select(User.id).where(User.role == Role.dispatcher, User.active.is_(True))
            return list(session.scalars(query))
    return []


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** (attempts - 1), 60))


@dataclass(frozen=True)
class _Claimed:
    delivery_id: uuid.UUID
    channel: str
    attempts: int
    message: Message


class AlertDispatcher:
    def __init__(
        self,
        factory: sessionmaker[Session],
        routing: incidents.Routing,
        channels: dict[str, Channel],
        links: LinkSigner,
        clock: Callable[[], datetime] = utcnow,
        watch_silent_after: timedelta = timedelta(minutes=30),
    ) -> None:
        self.factory, self.routing, self.channels = factory, routing, channels
        self.links, self.clock = links, clock
        self.watch_silent_after = watch_silent_after
        self._next_sweep: datetime | None = None
        self._next_escalation: datetime | None = None
        self._receipts: list[tuple[_Claimed, Result]] = []
        self._receipts_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the loop --------------------------------------------------------------------------

    def wake(self) -> None:
        """Something is due now (a new incident): run without waiting for the next tick."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-dispatcher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            try:
                while self.run_once() and not self._stop.is_set():
                    pass
            except Exception:  # the loop must outlive any one bad row or outage
                log.exception("alert dispatcher pass failed; retrying")
                self._stop.wait(1.0)

    def run_once(self) -> int:
        """One pass: receipts of the fast path, silent watches (once a minute), escalations,
        then a batch of due deliveries. Returns work done."""
        done = self.record_receipts()
        done += self.sweep_watches()
        done += self.escalate_due()
        # Open screens first: a publish costs microseconds, a webhook or push a round trip.
        claimed = sorted(self._claim(), key=lambda c: CHANNEL_ORDER.get(c.channel, 9))
        results = [(c, self._send(c)) for c in claimed]
        if results:
            self._record(results)
        return done + len(results)

    # --- steps -----------------------------------------------------------------------------

    def sweep_watches(self) -> int:
        now = self.clock()
        if self._next_sweep is not None and now < self._next_sweep:
            return 0
        self._next_sweep = now + SWEEP
        with transaction(self.factory) as session:
            return incidents.silent_watches(session, self.routing, now, self.watch_silent_after)

    def escalate_due(self) -> int:
        """Deadlines are whole seconds: look at most once a second, not on every wake (each
        new event wakes the loop; this transaction need not run per event)."""
        now = self.clock()
        if self._next_escalation is not None and now < self._next_escalation:
            return 0
        self._next_escalation = now + timedelta(seconds=1)
        with transaction(self.factory) as session:
            rows = list(session.scalars(incidents.due_deadlines(now)))
            chain = self.routing.policy.escalation
            # Equal deadlines escalate in chain order (victim before security before police).
            rows.sort(
                key=lambda r: (
                    r.deadline_at,
                    chain.index(r.recipient) if r.recipient in chain else len(chain),
                )
            )
            for row in rows:
                incidents.escalate(session, self.routing, row, now)
        return len(rows)

    def _claim(self) -> list[_Claimed]:
        now = self.clock()
        with transaction(self.factory) as session:
            due = session.scalars(
                select(Delivery)
                .where(Delivery.status.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.created_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = []
            for d in due:
                incident = session.get(Incident, d.incident_id)
                case = incidents.alert_case(session, incident.case_id) if incident else None
                assert incident is not None and case is not None
                if incident.status is IncidentStatus.closed and d.message != "update":
                    d.status, d.last_error = "cancelled", "the incident was closed"
                    continue
                d.status, d.attempts, d.next_attempt_at = "sending", d.attempts + 1, now + LEASE
                claimed.append(
                    _Claimed(d.id, d.channel, d.attempts, self._message(session, d, incident, case))
                )
        return claimed

    # --- the fast path: open screens hear of a new incident as the request commits ---------

    def publish_after_commit(self, session: Session, incident: Incident) -> None:
        """In the request's own transaction: lease the incident's pending in-app deliveries
        and build their messages; the moment the transaction commits, publish them (on the
        request's thread, before its response). Their receipts are recorded by the loop, many
        in one transaction. If the process dies in between, the lease runs out and the loop
        sends them."""
        leased = self._lease_in_app(session, incident)
        if leased:
            on_commit(session, lambda: self.publish(leased))

    def _lease_in_app(self, session: Session, incident: Incident) -> list[_Claimed]:
        session.flush()
        now = self.clock()
        case = incidents.alert_case(session, incident.case_id)
        assert case is not None
        pending = session.scalars(
            select(Delivery).where(
                Delivery.incident_id == incident.id,
                Delivery.channel == "in_app",
                Delivery.status == "pending",
            )
        ).all()
        packets: dict[Recipient, dict[str, Any]] = {}
        leased = []
        for d in pending:
            d.status, d.attempts, d.next_attempt_at = "sending", d.attempts + 1, now + LEASE
            message = self._message(session, d, incident, case, packets)
            leased.append(_Claimed(d.id, d.channel, d.attempts, message))
        return leased

    def publish(self, leased: list[_Claimed]) -> None:
        results = [(c, self._send(c)) for c in leased]
        with self._receipts_lock:
            self._receipts.extend(results)
        self.wake()

    def record_receipts(self) -> int:
        with self._receipts_lock:
            results, self._receipts = self._receipts, []
        if results:
            self._record(results)
        return len(results)

    def _message(
        self,
        session: Session,
        d: Delivery,
        incident: Incident,
        case: Case,
        packets: dict[Recipient, dict[str, Any]] | None = None,
    ) -> Message:
        """The message for one delivery (``packets`` caches one packet per recipient)."""
        packets = {} if packets is None else packets
        if d.recipient not in packets:
            packets[d.recipient] = incident_packet(session, incident, case, d.recipient, self.links)
        person = case.protected_person
        targets: tuple[PushTarget, ...] = ()
        if d.channel == "web_push":
            users = recipient_users(session, d.recipient, case)
            subscriptions = select(PushSubscription).where(PushSubscription.user_id.in_(users))
            targets = tuple(
                PushTarget(s.endpoint, s.p256dh, s.auth) for s in session.scalars(subscriptions)
            )
        return Message(
            delivery_id=d.id,
            kind=d.message,
            recipient=d.recipient.value,
            address=recipient_address(d.recipient, case.scope, case.officer_id),
            phone=person.phone if d.recipient is Recipient.victim else None,
            push_targets=targets,
            packet=packets[d.recipient],
        )

    def _send(self, claimed: _Claimed) -> Result:
        channel = self.channels.get(claimed.channel)
        if channel is None:
            return Result("failed", f"channel {claimed.channel} is not configured on this hub")
        try:
            return channel.send(claimed.message)
        except Exception as exc:  # a broken channel must not stop the others
            log.exception("channel %s failed", claimed.channel)
            return Result("retry", f"{type(exc).__name__}: {exc}"[:300])

    def _record(self, results: list[tuple[_Claimed, Result]]) -> None:
        now = self.clock()
        with transaction(self.factory) as session:
            gone = [e for _, result in results for e in result.gone]
            if gone:  # the browser unsubscribed: stop ringing a phone that will not ring
                session.execute(delete(PushSubscription).where(PushSubscription.endpoint.in_(gone)))
            for claimed, result in results:
                d = session.get(Delivery, claimed.delivery_id)
                if d is None or d.status != "sending":
                    continue
                outcome = result.outcome
                if outcome == "retry" and d.attempts >= MAX_ATTEMPTS.get(d.channel, 5):
                    outcome = "failed"
                d.last_error = None if outcome in ("delivered", "sent") else result.detail[:300]
                if outcome == "retry":
                    d.status, d.next_attempt_at = "pending", now + backoff(d.attempts)
                    continue
                d.status = outcome
                if outcome in ("delivered", "sent"):
                    d.delivered_at = now
                if d.message == "update":
                    continue  # screens refresh; the timeline records alerts, not refreshes
                kind = "delivery_failed" if outcome == "failed" else outcome
                detail = f"{d.channel}: {result.detail}" + (
                    f" (attempt {d.attempts})" if d.attempts > 1 else ""
                )
                session.add(
                    IncidentEntry(
                        incident_id=d.incident_id,
                        at=now,
                        kind=kind,
                        actor="system",
                        recipient=d.recipient,
                        detail=detail,
                    )
                )
