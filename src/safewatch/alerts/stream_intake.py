"""Cluster mode: camera events from the JetStream stream into this replica's event intake.

Every replica pulls from the one durable consumer, so each message goes to one of them. A
batch of messages is written as one intake request (one transaction, as the HTTP batch
route); each message is acknowledged only after that transaction committed. What the hub
refuses for good (a camera revoked before it sent, a malformed message) is acknowledged as
handled, audited and shown to the administrators; what may mend (a camera not installed
yet, the hub busy) comes back later, as over HTTP; a failure to write
(the database restarting) leaves the messages to be redelivered."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig

from safewatch.alerts.intake import Answer, EventIntake, Sent
from safewatch.bus import jetstream
from safewatch.bus.base import EventBus, Notice
from safewatch.bus.messages import retry_later
from safewatch.bus.nats import NatsConnection
from safewatch.core.errors import SafewatchError
from safewatch.services.context import system_record

log = logging.getLogger(__name__)
FETCH = 200  # messages per pull: one intake request
RETRY_LATER_SECONDS = 30.0
# What the HTTP path tries again is tried again here (``retry_later``), but for what a
# message cannot outgrow: its credential is fixed in it. A credential revoked after the
# message was stored still speaks for it (``devices.valid_when_sent``); one that was not
# valid when it was sent never will be.
NEVER_MENDS = {401, 403}


class StreamIntake:
    def __init__(self, connection: NatsConnection, intake: EventIntake, notices: EventBus) -> None:
        self.connection, self.intake, self.notices = connection, intake, notices
        self._stopping = asyncio.Event()
        self._task: Future[None] | None = None
        self._waiting: asyncio.Future[list[Msg]] | None = None

    def start(self) -> None:
        self._task = self.connection.submit(self._run())

    def close(self) -> None:
        if self._task is None:
            return
        self.connection.loop.call_soon_threadsafe(self._stop)
        try:
            self._task.result(10)
        except Exception as exc:
            log.warning("event stream consumer stopped: %s", exc)

    def _stop(self) -> None:
        """On the NATS loop: a pull that waits for messages ends now; a batch being written
        is finished and acknowledged first."""
        self._stopping.set()
        if self._waiting is not None:
            self._waiting.cancel()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._consume()
            except Exception as exc:  # NATS down or restarting: the messages wait on its disk
                log.warning("event stream: %s; trying again", exc)
                await asyncio.sleep(1.0)

    async def _consume(self) -> None:
        js = self.connection.client.jetstream()
        await jetstream.ensure_stream(js)
        config = ConsumerConfig(
            durable_name=jetstream.CONSUMER,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=jetstream.ACK_WAIT_SECONDS,
            max_ack_pending=20_000,
        )
        pull = await js.pull_subscribe(
            jetstream.SUBJECTS, durable=jetstream.CONSUMER, stream=jetstream.STREAM, config=config
        )
        try:
            while not self._stopping.is_set():
                self._waiting = asyncio.ensure_future(pull.fetch(FETCH, timeout=1.0))
                try:
                    messages = await self._waiting
                except (TimeoutError, NatsTimeout):
                    continue
                except asyncio.CancelledError:
                    if self._stopping.is_set():
                        return  # closing (what the pull had not handed over is redelivered)
                    raise
                finally:
                    self._waiting = None
                await self.handle(messages)
        finally:
            await pull.unsubscribe()

    async def handle(self, messages: list[Msg]) -> None:
        secrets: list[str] = []
        sent: list[Sent] = []
        readable: list[Msg] = []
        unreadable: list[str] = []
        for msg in messages:
            try:
                item = jetstream.decode(msg.data, msg.headers)
            except ValueError as exc:
                log.error("event stream: message refused: %s", exc)
                await msg.term()  # no retry can mend it
                unreadable.append(str(exc))
                continue
            if item.credential not in secrets:
                secrets.append(item.credential)
            stored_at = msg.metadata.timestamp  # the stream's own clock, not the camera's
            sent.append(Sent(secrets.index(item.credential), item.event, item.snapshot, stored_at))
            readable.append(msg)
        if unreadable:
            await asyncio.get_running_loop().run_in_executor(
                None, self.report_unreadable, unreadable
            )
        if not sent:
            return
        try:
            answers: list[Answer] = await self.intake.submit(secrets, sent)
        except SafewatchError as exc:  # not one credential of the batch is a camera's
            answers = [exc] * len(sent)
        except Exception as exc:
            log.warning("event stream: %d events not written (%s); redelivered", len(sent), exc)
            for msg in readable:
                await msg.nak(delay=1.0)
            return
        refused: list[tuple[Sent, SafewatchError]] = []
        for msg, one, answer in zip(readable, sent, answers, strict=True):
            if not isinstance(answer, SafewatchError):
                await msg.ack()
            elif retry_later(answer.status_code) and answer.status_code not in NEVER_MENDS:
                log.warning("event %s refused for now: %s", one.event.id, answer.message)
                await msg.nak(delay=RETRY_LATER_SECONDS)
            else:
                log.error("event %s refused: %s", one.event.id, answer.message)
                await msg.term()
                refused.append((one, answer))
        if refused:
            await asyncio.get_running_loop().run_in_executor(None, self.report, refused)

    def report_unreadable(self, reasons: list[str]) -> None:
        """Messages that are not a camera event at all (damaged, or not ours): audited and
        said, since whoever sent them thinks they were delivered."""
        try:
            with self.intake.factory() as session, session.begin():
                for reason in reasons:
                    system_record(session, "event_refused", "stream_message", None, reason[:500])
            self._tell_admins(len(reasons), sorted(set(reasons)))
        except Exception:
            log.exception("could not record %d unreadable stream messages", len(reasons))

    def _tell_admins(self, count: int, reasons: list[str]) -> None:
        payload = {"kind": "security", "what": "events_refused", "count": count, "reasons": reasons}
        self.notices.publish(Notice(frozenset({"role:admin"}), payload))

    def report(self, refused: list[tuple[Sent, SafewatchError]]) -> None:
        """The camera took these as delivered (the stream had them): an audit entry each
        and the administrators' open screens say so, so that a person can act."""
        try:
            with self.intake.factory() as session, session.begin():
                for one, answer in refused:
                    system_record(
                        session,
                        "event_refused",
                        "camera_event",
                        one.event.id,
                        f"{one.event.site}/{one.event.camera} {one.event.type}: {answer.message}",
                    )
            self._tell_admins(len(refused), sorted({a.message for _, a in refused}))
        except Exception:  # the refusals stand (logged above); the report is what failed
            log.exception("could not record %d refused events", len(refused))
