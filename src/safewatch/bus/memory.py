"""The embedded bus: one process, streams as asyncio queues."""

from __future__ import annotations

import asyncio
import threading

from safewatch.bus.base import Notice

QUEUE_LIMIT = 1000  # a stream this far behind is dropped; the client reconnects and catches up


class MemorySubscription:
    def __init__(self, bus: MemoryBus, addresses: frozenset[str]) -> None:
        self.bus, self.addresses = bus, addresses
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Notice] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, notice: Notice) -> None:
        try:
            self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            self.overflowed = True

    def close(self) -> None:
        self.bus.remove(self)


class MemoryBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Indexed by address: a notice goes to its few listeners, not past all 2,000 streams.
        self._by_address: dict[str, list[MemorySubscription]] = {}

    def subscribe(self, addresses: frozenset[str]) -> MemorySubscription:
        sub = MemorySubscription(self, addresses)
        with self._lock:
            for address in addresses:
                self._by_address.setdefault(address, []).append(sub)
        return sub

    def remove(self, sub: MemorySubscription) -> None:
        with self._lock:
            for address in sub.addresses:
                subs = self._by_address.get(address, [])
                if sub in subs:
                    subs.remove(sub)
                if not subs:
                    self._by_address.pop(address, None)

    def publish(self, notice: Notice) -> int:
        return self.publish_many([notice])[0]

    def publish_many(self, notices: list[Notice]) -> list[int]:
        with self._lock:
            targets = [
                list({id(s): s for a in n.addresses for s in self._by_address.get(a, ())}.values())
                for n in notices
            ]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        # From another thread, one wake-up per event loop for the whole batch: each
        # call_soon_threadsafe writes to the loop's wake-up pipe.
        elsewhere: dict[
            int, tuple[asyncio.AbstractEventLoop, list[tuple[MemorySubscription, Notice]]]
        ] = {}
        for notice, subs in zip(notices, targets, strict=True):
            for sub in subs:
                if running is sub.loop:
                    sub.offer(notice)
                else:
                    elsewhere.setdefault(id(sub.loop), (sub.loop, []))[1].append((sub, notice))
        for loop, offers in elsewhere.values():
            loop.call_soon_threadsafe(_offer_all, offers)
        return [len(subs) for subs in targets]


def _offer_all(offers: list[tuple[MemorySubscription, Notice]]) -> None:
    for sub, notice in offers:
        sub.offer(notice)
