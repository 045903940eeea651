"""The hub's alert loop: sends due deliveries on their channels, retries with backoff, records
receipts and failures on the timeline, and escalates missed deadlines.

Everything it works from is in the database (deliveries, deadlines), so a restart picks up
where the last process stopped. A delivery is leased while it is being sent; if the process
dies mid-send, the lease runs out and the delivery is sent again. What each message carries
is built in ``messages.py``; receipts are recorded by ``receipts.py``; the lease is
taken in ``leases.py``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts import gateway_receipts, leases, messages, receipts
from safewatch.alerts.channels import (
    FAILED,
    RETRY,
    BatchChannel,
    Channel,
    Message,
    Result,
    is_local,
)
from safewatch.alerts.messages import Claimed, Leased
from safewatch.alerts.sens import ReceiptChannel
from safewatch.bus.base import Notice
from safewatch.core.links import LinkSigner
from safewatch.incidents.facts import EntryReason
from safewatch.incidents.lifecycle import (
    Recipient,
)
from safewatch.incidents.policy import Routing
from safewatch.services import camera_watch, incident_writer, incidents, police
from safewatch.services.packets import (
    CaseFacts,
    IncidentFacts,
    case_facts,
)
from safewatch.services.signals import Applied
from safewatch.store.base import utcnow
from safewatch.store.db import first_of_replicas, on_commit, transaction

log = logging.getLogger(__name__)
SWEEP = timedelta(seconds=60)
SWEEP_JOB = 0x5AFE_5EE9  # the silent-watch sweep's advisory lock
# Cameras are looked at every few seconds at most, and at the moment the next one would fall
# silent: a camera_offline incident opens as its silence reaches camera_silent_seconds.
CAMERA_SWEEP = timedelta(seconds=5)
CAMERA_SWEEP_JOB = 0x5AFE_CA4E
CHANNEL_ORDER = {"in_app": 0, "web_push": 1, "webhook": 2, "sms": 3}
# What a request sends itself as it commits: open screens (not the SMS: writing its file would
# hold up the event loop that carries the in-app alert to the screens).
FAST_CHANNELS = frozenset({"in_app"})


class AlertDispatcher:
    def __init__(
        self,
        factory: sessionmaker[Session],
        routing: Routing,
        channels: dict[str, Channel],
        links: LinkSigner,
        clock: Callable[[], datetime] = utcnow,
        watch_silent_after: timedelta = timedelta(minutes=30),
        camera_silent_after: timedelta = timedelta(seconds=60),
        notices: Callable[[Notice], object] | None = None,
    ) -> None:
        self.factory, self.routing, self.channels = factory, routing, channels
        self.local_channels = frozenset(n for n, c in channels.items() if is_local(c))
        self.links, self.clock = links, clock
        self.watch_silent_after = watch_silent_after
        self.camera_silent_after = camera_silent_after
        self.notices = notices  # the administrators' live notices (a request reached nobody)
        self._next_sweep: datetime | None = None
        self._next_camera_sweep: datetime | None = None
        self._next_escalation: datetime | None = None
        self._receipts: list[tuple[Claimed, Result]] = []
        self._receipts_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._receipt_thread: threading.Thread | None = None

    # --- the loop --------------------------------------------------------------------------

    def wake(self) -> None:
        """Something is due now (a new incident): run without waiting for the next tick."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-dispatcher", daemon=True)
        self._thread.start()
        if any(isinstance(c, ReceiptChannel) for c in self.channels.values()):
            # A slow gateway must not hold up the alerts: its receipts have their own thread.
            self._receipt_thread = threading.Thread(
                target=self._ask_gateways, name="sms-receipts", daemon=True
            )
            self._receipt_thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._receipt_thread):
            if thread is not None:
                thread.join(10)

    def _ask_gateways(self) -> None:
        while not self._stop.wait(gateway_receipts.CHECK_EVERY.total_seconds()):
            try:
                self.ask_gateways()
            except Exception:  # an outage of the gateway or the database: the next round
                log.exception("SMS receipts pass failed; trying again later")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._idle_seconds())
            self._wake.clear()
            try:
                while self.run_once() and not self._stop.is_set():
                    pass
            except Exception:  # the loop must outlive any one bad row or outage
                log.exception("alert dispatcher pass failed; retrying")
                self._stop.wait(1.0)

    def _idle_seconds(self) -> float:
        """A second at most; less when the camera sweep is due sooner."""
        if self._next_camera_sweep is None:
            return 1.0
        return min(1.0, max(0.0, (self._next_camera_sweep - self.clock()).total_seconds()))

    def run_once(self) -> int:
        """One pass: receipts of the fast path, silent watches (once a minute) and cameras
        (every few seconds), escalations, then a batch of due deliveries. Returns work done.
        (The SMS gateway's receipts are asked on a thread of their own: ``ask_gateways``.)"""
        done = self.record_receipts()
        done += self.sweep_watches()
        done += self.sweep_cameras()
        done += self.escalate_due()
        results = self._send_all(self._claim())
        if results:
            self._record(results)
        return done + len(results)

    # --- steps -----------------------------------------------------------------------------

    def ask_gateways(self) -> int:
        """What became of the texts a gateway accepted; returns how many were settled."""
        done = 0
        for channel in self.channels.values():
            if isinstance(channel, ReceiptChannel):
                done += gateway_receipts.check(self.factory, self.routing, channel, self.clock)
        return done

    def sweep_watches(self) -> int:
        now = self.clock()
        if self._next_sweep is not None and now < self._next_sweep:
            return 0
        self._next_sweep = now + SWEEP
        with transaction(self.factory) as session:
            if not first_of_replicas(session, SWEEP_JOB):
                return 0  # another replica is sweeping right now
            return incidents.silent_watches(session, self.routing, now, self.watch_silent_after)

    def sweep_cameras(self) -> int:
        now = self.clock()
        if self._next_camera_sweep is not None and now < self._next_camera_sweep:
            return 0
        self._next_camera_sweep = now + CAMERA_SWEEP
        with transaction(self.factory) as session:
            if not first_of_replicas(session, CAMERA_SWEEP_JOB):
                return 0  # another replica is sweeping right now
            raised, next_due = camera_watch.silent_cameras(
                session, self.routing, now, self.camera_silent_after
            )
        if next_due is not None:
            self._next_camera_sweep = min(self._next_camera_sweep, next_due)
        return raised

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
            unanswered = [r.incident_id for r in rows if r.recipient is Recipient.police]
            incidents.escalate(session, self.routing, rows, now)
            self._tell_admins(
                session, police.fall_back(session, self.routing, unanswered, now, True)
            )
        return len(rows)

    def _tell_admins(self, session: Session, notices: list[Notice]) -> None:
        if notices and self.notices is not None:
            tell = self.notices

            def publish() -> None:
                for notice in notices:
                    tell(notice)

            on_commit(session, publish)

    def _claim(self) -> list[Claimed]:
        with transaction(self.factory) as session:
            leased, incidents_by_id = leases.lease_due(session, self.clock())
            if not incidents_by_id:
                return []
            cases = case_facts(session, {i.case_id for i in incidents_by_id.values()})
            return self._messages(session, leased, incidents_by_id, cases)

    # --- the fast path: open screens hear of a change as its transaction commits ----------

    def send_after_commit(
        self,
        session: Session,
        channels: frozenset[str] = FAST_CHANNELS,
        known: Applied | None = None,
    ) -> None:
        """Before a transaction commits: the deliveries it wrote (``incident_writer.written``)
        on ``channels`` are leased in it, and the moment it commits they are sent (their
        receipts recorded by the loop, many in one transaction) and the loop is woken for
        the others. If the process dies in between, the lease runs out and the loop sends
        them. ``known``: the batch's incidents and cases, already read."""
        written = incident_writer.written(session)
        if not written:
            return
        fast = [d for d in written if d.channel in channels]
        if not fast:
            on_commit(session, self.wake)
            return
        leased = leases.lease(session, fast, self.lease_until())
        incidents_by_id: Mapping[uuid.UUID, IncidentFacts]
        if known is not None:
            incidents_by_id, cases = known.incidents(), known.cases
        else:
            incidents_by_id = incident_writer.load(session, {d.incident_id for d in leased})
            cases = case_facts(session, {i.case_id for i in incidents_by_id.values()})
        found = messages.lookups(session, leased, incidents_by_id, cases)

        def publish() -> None:
            # Built after the commit: the database's write lock is not held for it.
            self.publish(self._build(leased, incidents_by_id, cases, found))

        on_commit(session, publish)

    def lease_until(self) -> datetime:
        """When a lease taken now runs out."""
        return self.clock() + leases.LEASE

    def publish(self, leased: list[Claimed]) -> None:
        results = self._send_all(leased)
        with self._receipts_lock:
            self._receipts.extend(results)
        self.wake()

    def record_receipts(self) -> int:
        with self._receipts_lock:
            results, self._receipts = self._receipts, []
        if results:
            self._record(results)
        return len(results)

    def _record(self, results: list[tuple[Claimed, Result]]) -> None:
        receipts.record(self.factory, self.routing, results, self.clock(), self._tell_admins)

    def _messages(
        self,
        session: Session,
        leased: list[Leased],
        incidents_by_id: Mapping[uuid.UUID, IncidentFacts],
        cases: dict[uuid.UUID, CaseFacts],
    ) -> list[Claimed]:
        """The messages for many deliveries."""
        found = messages.lookups(session, leased, incidents_by_id, cases)
        return self._build(leased, incidents_by_id, cases, found)

    def _build(
        self,
        leased: list[Leased],
        incidents_by_id: Mapping[uuid.UUID, IncidentFacts],
        cases: dict[uuid.UUID, CaseFacts],
        found: messages.Lookups,
    ) -> list[Claimed]:
        r = self.routing
        return messages.build(
            leased,
            incidents_by_id,
            cases,
            found,
            self.links,
            r.police_duty_phone,
            self.clock(),
            r.trust,
            r.security_keeps_closed,
        )

    def _send_all(self, claimed: list[Claimed]) -> list[tuple[Claimed, Result]]:
        """Channel by channel, open screens first (a publish costs microseconds, a webhook or
        a push a round trip); a channel that can send a batch at once gets it whole."""
        by_channel: dict[str, list[Claimed]] = defaultdict(list)
        for c in claimed:
            by_channel[c.channel].append(c)
        out = []
        for name in sorted(by_channel, key=lambda n: CHANNEL_ORDER.get(n, 9)):
            group, channel = by_channel[name], self.channels.get(name)
            if channel is None:
                missing = Result(
                    FAILED,
                    f"channel {name} is not configured on this hub",
                    reason=EntryReason.channel_missing,
                )
                out += [(c, missing) for c in group]
            elif isinstance(channel, BatchChannel):
                out += zip(group, self._guarded(name, channel.send_batch, group), strict=True)
            else:
                out += zip(group, self._guarded(name, _one_by_one(channel), group), strict=True)
        return out

    @staticmethod
    def _guarded(
        name: str, send: Callable[[list[Message]], list[Result]], group: list[Claimed]
    ) -> list[Result]:
        try:
            return send([c.message for c in group])
        except Exception as exc:  # a broken channel must not stop the others
            log.exception("channel %s failed", name)
            error = Result(
                RETRY, f"{type(exc).__name__}: {exc}"[:300], reason=EntryReason.channel_error
            )
            return [error] * len(group)


def _one_by_one(channel: Channel) -> Callable[[list[Message]], list[Result]]:
    """Each message on its own; one that raises is retried, the others still go."""

    def send(messages: list[Message]) -> list[Result]:
        results = []
        for message in messages:
            try:
                results.append(channel.send(message))
            except Exception as exc:
                log.exception("channel %s failed", channel.name)
                results.append(
                    Result(
                        RETRY,
                        f"{type(exc).__name__}: {exc}"[:300],
                        reason=EntryReason.channel_error,
                    )
                )
        return results

    return send
