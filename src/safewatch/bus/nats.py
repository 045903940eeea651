"""Cluster mode's bus: NATS carries every notice to the replicas whose screens listen for it.

Each hub replica keeps its own screens in an in-process ``MemoryBus`` and subscribes, on
NATS, to the address subjects of the people connected to it. A notice goes out as a NATS
request to each of its addresses: every replica with a listener hands it to its screens and
answers how many took it; the first answer is the receipt. No replica listening is NATS's
"no responders" at once, which the in-app channel records as "no screen connected" (the
alert is retried, and shown by the backlog when a screen connects).

The NATS client runs on its own thread and event loop (``NatsConnection``), so threads that
are not on an event loop (the alert loop, the intake's sender) can publish, and the camera
event consumer shares the connection."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from pydantic_core import to_json

from safewatch.bus.base import Notice
from safewatch.bus.memory import MemoryBus, MemorySubscription

log = logging.getLogger(__name__)
T = TypeVar("T")
NOTICE_SUBJECT = "safewatch.notice."
REPLY_SECONDS = 2.0  # a replica that holds a listener answers in milliseconds
CALL_SECONDS = 10.0


class BusUnavailable(ConnectionError):
    """NATS cannot be reached now (the caller retries: nothing is lost)."""


class NatsConnection:
    """One NATS client on a thread of its own, reconnecting for ever."""

    def __init__(self, url: str, name: str = "safewatch-hub") -> None:
        self.url, self.name = url, name
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nats", daemon=True)
        self._thread.start()
        self.client = Client()
        self.connected = self.submit(self._connect())
        try:  # normally connected before the hub serves; if NATS is down, later
            self.connected.result(3)
        except TimeoutError:
            log.warning("NATS %s not reachable yet; connecting in the background", url)

    async def _connect(self) -> None:
        async def on_error(exc: Exception) -> None:
            log.warning("NATS %s: %s", self.url, exc)

        async def on_reconnect() -> None:
            log.warning("NATS %s: connected again", self.url)

        while True:
            try:
                await self.client.connect(
                    self.url,
                    name=self.name,
                    max_reconnect_attempts=-1,  # once connected, nats-py reconnects for ever
                    reconnect_time_wait=1,
                    connect_timeout=2,
                    error_cb=on_error,
                    reconnected_cb=on_reconnect,
                )
                return
            except Exception as exc:  # not up yet: alerts wait in the database meanwhile
                log.debug("NATS %s: %s", self.url, exc)
                await asyncio.sleep(1.0)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        if self.loop.is_closed() or not self.loop.is_running():
            coro.close()  # closed with the hub: nothing left to do it for
            gone: Future[T] = Future()
            gone.set_exception(BusUnavailable("the NATS connection is closed"))
            return gone
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_SECONDS) -> T:
        """Run on the NATS thread and wait (from any other thread)."""
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.connected.cancel()
        try:
            self.call(self._shutdown(), timeout=8)
        except Exception as exc:  # closing anyway
            log.warning("NATS %s on close: %s", self.url, exc)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    async def _shutdown(self) -> None:
        """Drain what is in flight if NATS is there; then nothing may be left running on
        this loop (a task of a closed loop fails when it is collected)."""
        try:
            if self.client.is_connected:
                await self.client.drain()
            if not self.client.is_closed:
                await self.client.close()
        except Exception as exc:
            log.warning("NATS %s on close: %s", self.url, exc)
        for _ in range(5):  # cancelling one may start another (a reconnect attempt)
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if not left:
                return
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)


def _subject(address: str) -> str:
    # Addresses are "user:<uuid>", "agency:<uuid>", "role:<name>": one subject token each.
    return NOTICE_SUBJECT + address.replace(".", "_").replace(" ", "_")


class NatsBus:
    """``EventBus`` across replicas."""

    def __init__(self, connection: NatsConnection) -> None:
        self.connection, self.url = connection, connection.url
        self.local = MemoryBus()
        self._lock = threading.Lock()
        self._remote: dict[str, tuple[NatsSubscription, int]] = {}  # address → (sub, users)

    # --- screens of this replica -----------------------------------------------------------

    def subscribe(self, addresses: frozenset[str]) -> _ClusterSubscription:
        sub = _ClusterSubscription(self, self.local.subscribe(addresses))
        with self._lock:
            new = [a for a in addresses if a not in self._remote]
            for address in addresses - set(new):
                nats_sub, users = self._remote[address]
                self._remote[address] = (nats_sub, users + 1)
        for address in new:
            try:
                # Flushed before the stream reads its backlog, so nothing falls in between.
                nats_sub = self.connection.call(self._listen(address), timeout=REPLY_SECONDS)
            except Exception as exc:
                # The screen still gets its backlog; alerts meanwhile are retried.
                log.warning("not listening for %s on NATS: %s", address, exc)
                continue
            with self._lock:
                if address in self._remote:  # another stream of this person came first
                    other, users = self._remote[address]
                    self._remote[address] = (other, users + 1)
                    self.connection.submit(nats_sub.unsubscribe())
                else:
                    self._remote[address] = (nats_sub, 1)
        return sub

    async def _listen(self, address: str) -> NatsSubscription:
        async def deliver(msg: Msg) -> None:
            notice = Notice(frozenset({address}), json.loads(msg.data))
            reached = self.local.publish(notice)
            if msg.reply:
                # Always answer, 0 too: a requester left waiting would hold up the whole
                # group of alerts it is sending (REPLY_SECONDS) on the intake's send thread.
                await msg.respond(str(reached).encode())

        client = self.connection.client
        nats_sub = await client.subscribe(_subject(address), cb=deliver)
        if client.is_connected:  # else nats-py subscribes when it reconnects: do not wait
            await client.flush(int(REPLY_SECONDS))
        return nats_sub

    def _release(self, addresses: frozenset[str]) -> None:
        with self._lock:
            for address in addresses:
                if address not in self._remote:
                    continue
                nats_sub, users = self._remote[address]
                if users > 1:
                    self._remote[address] = (nats_sub, users - 1)
                else:
                    del self._remote[address]
                    self.connection.submit(nats_sub.unsubscribe())

    # --- publishing, from any replica --------------------------------------------------------

    def publish(self, notice: Notice) -> int:
        return self.publish_many([notice])[0]

    def publish_many(self, notices: list[Notice]) -> list[int]:
        """Across the replicas; while NATS is away, to this replica's own screens (a person
        whose screen is elsewhere counts 0 here: retried, and shown when NATS is back)."""
        if self.connection.client.is_connected:
            try:
                return self.connection.call(self._publish_many(notices))
            except (TimeoutError, BusUnavailable) as exc:
                log.warning("NATS at %s: %s; alerts to this replica's screens only", self.url, exc)
        else:
            log.warning("NATS at %s not connected; alerts to this replica's screens only", self.url)
        return self.local.publish_many(notices)

    async def _publish_many(self, notices: list[Notice]) -> list[int]:
        async def one(notice: Notice) -> int:
            data = to_json(notice.payload, fallback=str)
            counts = await asyncio.gather(*(_ask(address, data) for address in notice.addresses))
            return sum(counts)

        async def _ask(address: str, data: bytes) -> int:
            try:
                reply = await self.connection.client.request(
                    _subject(address), data, timeout=REPLY_SECONDS
                )
            except NoRespondersError:
                return 0  # no replica has a screen of this person open
            except NatsTimeout:
                return 0  # a listener was there and did not answer: retried as not reached
            return int(reply.data or b"0")

        return list(await asyncio.gather(*(one(n) for n in notices)))


class _ClusterSubscription:
    """A screen's stream: the local queue, and its share of the replica's NATS listeners."""

    def __init__(self, bus: NatsBus, local: MemorySubscription) -> None:
        self.bus, self.local = bus, local
        self.queue = local.queue

    @property
    def overflowed(self) -> bool:
        return self.local.overflowed

    def close(self) -> None:
        self.local.close()
        self.bus._release(self.local.addresses)
