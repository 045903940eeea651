"""Camera events enter the hub through one writer: whatever requests arrive while a
transaction is being written are written together in the next one (group commit).

A database takes one writing transaction at a time for the same rows (SQLite: for the whole
file). Letting every request run its own transaction makes them queue for that lock, each
paying a transaction's fixed costs (the cameras' credentials, the cases, the open incidents,
the commit). One writer thread pays them once for everything that waited: under load the
groups grow and the cost per event falls. A request gets its own answers back; an event
refused (a revoked camera, a bad snapshot) refuses only itself; a group that fails as a whole
is written again request by request, so one bad request cannot hold up the others."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from safewatch.alerts.dispatcher import AlertDispatcher
from safewatch.bus.messages import CameraEvent
from safewatch.core.errors import Invalid, SafewatchError
from safewatch.incidents.policy import Routing
from safewatch.services import camera_events, devices
from safewatch.services.camera_events import Incoming, Received
from safewatch.services.devices import DeviceRef
from safewatch.store.clips import ClipStore
from safewatch.store.db import run_steps, take_after_commit

log = logging.getLogger(__name__)
MAX_GROUP_EVENTS = 2000  # one transaction's worth; more waits for the next


@dataclass(frozen=True)
class Sent:
    """One event of a request: which of its credentials sent it, the event, its snapshot."""

    camera: int
    event: CameraEvent
    snapshot: bytes = b""
    # When the event stream stored it (cluster mode): a credential revoked since still
    # speaks for it (``devices.valid_when_sent``).
    sent_at: datetime | None = None


Answer = Received | SafewatchError


@dataclass
class _Request:
    secrets: list[str]
    events: list[Sent]
    answers: Future[list[Answer]] = field(default_factory=Future)


class EventIntake:
    def __init__(
        self,
        factory: sessionmaker[Session],
        store: ClipStore,
        routing: Routing,
        dispatcher: AlertDispatcher,
        clock: Callable[[], datetime],
    ) -> None:
        self.factory, self.store, self.routing = factory, store, routing
        self.dispatcher, self.clock = dispatcher, clock
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        # After each commit the alerts go out on a second thread, in commit order, while
        # this one writes the next group.
        self._sends: queue.Queue[list[Callable[[], None]] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def submit(self, secrets: list[str], events: list[Sent]) -> list[Answer]:
        """Each event's answer: stored now, already stored, or refused. Raises (401) when
        none of the credentials is a camera's."""
        self._start()
        request = _Request(secrets, events)
        self._queue.put(request)
        return await asyncio.wrap_future(request.answers)

    def _start(self) -> None:
        with self._lock:
            if not self._threads:
                self._threads = [
                    threading.Thread(target=self._run, name="event-intake", daemon=True),
                    threading.Thread(target=self._send, name="event-intake-send", daemon=True),
                ]
                for thread in self._threads:
                    thread.start()

    def close(self) -> None:
        with self._lock:
            threads, self._threads = self._threads, []
        if threads:
            self._queue.put(None)  # the writer stops, then tells the sender to stop
            for thread in threads:
                thread.join(10)

    def _send(self) -> None:
        while (steps := self._sends.get()) is not None:
            run_steps(steps)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._sends.put(None)
                return
            group, size = [first], len(first.events)
            while size < MAX_GROUP_EVENTS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(more)
                size += len(more.events)
            self._write_group(group)

    def _write_group(self, group: list[_Request]) -> None:
        try:
            answers = self._write(group)
        except Exception as exc:
            if len(group) == 1:
                log.exception("camera events not written")
                group[0].answers.set_exception(exc)
                return
            log.warning("a group of %d requests failed (%s); writing each alone", len(group), exc)
            for request in group:
                self._write_group([request])
            return
        for request, answer in zip(group, answers, strict=True):
            if isinstance(answer, BaseException):
                request.answers.set_exception(answer)
            else:
                request.answers.set_result(answer)

    def _write(self, group: list[_Request]) -> list[list[Answer] | SafewatchError]:
        """One transaction for the group; the open screens hear of it as it commits."""
        with self.factory() as session, session.begin():
            secrets = list(dict.fromkeys(s for r in group for s in r.secrets))
            found = dict(zip(secrets, devices.devices_for_secrets(session, secrets), strict=True))
            out: list[list[Answer] | SafewatchError] = []
            incoming: list[Incoming] = []
            slots: list[tuple[list[Answer], int]] = []  # where each incoming's answer goes
            for request in group:
                cameras = [found[s] for s in request.secrets]
                stamped = any(sent.sent_at is not None for sent in request.events)
                if not stamped and not any(isinstance(c, DeviceRef) for c in cameras):
                    refused = cameras[0]
                    assert isinstance(refused, SafewatchError)
                    out.append(refused)
                    continue
                answers: list[Answer] = [Invalid("not written")] * len(request.events)
                for k, sent in enumerate(request.events):
                    camera = cameras[sent.camera] if sent.camera < len(cameras) else None
                    if isinstance(camera, SafewatchError) and sent.sent_at is not None:
                        secret = request.secrets[sent.camera]
                        camera = devices.valid_when_sent(session, secret, sent.sent_at) or camera
                    if isinstance(camera, DeviceRef):
                        incoming.append(Incoming(camera, sent.event, sent.snapshot))
                        slots.append((answers, k))
                    else:
                        answers[k] = camera or Invalid("no credential at this index")
                out.append(answers)
            received, applied = camera_events.ingest(
                session,
                self.store,
                self.routing,
                incoming,
                self.clock(),
            )
            for (answers, k), r in zip(slots, received, strict=True):
                answers[k] = r.error if r.error is not None else r
            # This thread's second one sends them (the SMS too when it is a local file).
            self.dispatcher.send_after_commit(session, self.dispatcher.local_channels, applied)
        self._sends.put(take_after_commit(session))
        return out
