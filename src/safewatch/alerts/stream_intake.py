"""Cluster mode: camera events from the JetStream stream into this replica's event intake.

Every replica pulls from the one durable consumer, so each message goes to one of them. A
batch of messages is written as one intake request (one transaction, as the HTTP batch
route); each message is acknowledged only after that transaction committed. What the hub
refuses for good (a revoked camera, a malformed message) is acknowledged as handled and
logged; what may mend (a camera not installed yet) comes back later; a failure to write
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
from safewatch.bus.nats import NatsConnection
from safewatch.core.errors import SafewatchError

log = logging.getLogger(__name__)
FETCH = 200  # messages per pull: one intake request
RETRY_LATER_SECONDS = 30.0
# A camera not installed yet may be soon; the message's credential cannot change.
MENDABLE = {409, 423}


class StreamIntake:
    def __init__(self, connection: NatsConnection, intake: EventIntake) -> None:
        self.connection, self.intake = connection, intake
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
        for msg in messages:
            try:
                item = jetstream.decode(msg.data, msg.headers)
            except ValueError as exc:
                log.error("event stream: message refused: %s", exc)
                await msg.term()  # no retry can mend it
                continue
            if item.credential not in secrets:
                secrets.append(item.credential)
            sent.append(Sent(secrets.index(item.credential), item.event, item.snapshot))
            readable.append(msg)
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
        for msg, one, answer in zip(readable, sent, answers, strict=True):
            if not isinstance(answer, SafewatchError):
                await msg.ack()
            elif answer.status_code in MENDABLE:
                log.warning("event %s refused for now: %s", one.event.id, answer.message)
                await msg.nak(delay=RETRY_LATER_SECONDS)
            else:
                log.error("event %s refused: %s", one.event.id, answer.message)
                await msg.term()
