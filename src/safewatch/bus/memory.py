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
        self.closed = False
        # Notices on their way to this stream's loop (call_soon_threadsafe): room is kept for
        # them when they are counted, so that "this screen took it" is true when it arrives.
        self._promised = 0

    def make_room(self) -> bool:
        """With the bus's lock held: whether the stream can take one more notice (the room
        is kept for it). Only the stream takes notices out, so the room cannot vanish."""
        if self.closed:
            return False
        if self.queue.qsize() + self._promised >= QUEUE_LIMIT:
            self.overflowed = True  # the stream ends; the screen reconnects with its backlog
            return False
        self._promised += 1
        return True

    def close(self) -> None:
        self.closed = True
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
        """Each notice to its streams; the count is of the streams that took it (a stream
        whose queue is full does not count)."""
        with self._lock:
            targets = [
                [
                    s
                    for s in {
                        id(s): s for a in n.addresses for s in self._by_address.get(a, ())
                    }.values()
                    if s.make_room()
                ]
                for n in notices
            ]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        # From another thread, one wake-up per event loop for the whole batch: each
        # call_soon_threadsafe writes to the loop's wake-up pipe.
        here: list[tuple[MemorySubscription, Notice]] = []
        elsewhere: dict[
            int, tuple[asyncio.AbstractEventLoop, list[tuple[MemorySubscription, Notice]]]
        ] = {}
        for notice, subs in zip(notices, targets, strict=True):
            for sub in subs:
                if running is sub.loop:
                    here.append((sub, notice))
                else:
                    elsewhere.setdefault(id(sub.loop), (sub.loop, []))[1].append((sub, notice))
        if here:
            self._offer_all(here)
        for loop, offers in elsewhere.values():
            loop.call_soon_threadsafe(self._offer_all, offers)
        return [len(subs) for subs in targets]

    def _offer_all(self, offers: list[tuple[MemorySubscription, Notice]]) -> None:
        """On the streams' loop: into the queues, then the kept room is released (in that
        order, so a publisher counting meanwhile never sees more room than there is)."""
        for sub, notice in offers:
            sub.queue.put_nowait(notice)
        with self._lock:
            for sub, _ in offers:
                sub._promised -= 1
