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
        self._subs: list[MemorySubscription] = []

    def subscribe(self, addresses: frozenset[str]) -> MemorySubscription:
        sub = MemorySubscription(self, addresses)
        with self._lock:
            self._subs.append(sub)
        return sub

    def remove(self, sub: MemorySubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, notice: Notice) -> int:
        with self._lock:
            targets = [s for s in self._subs if s.addresses & notice.addresses]
        for sub in targets:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is sub.loop:
                sub.offer(notice)
            else:
                sub.loop.call_soon_threadsafe(sub.offer, notice)
        return len(targets)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)
