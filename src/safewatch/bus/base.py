"""The real-time bus port: notices addressed to people, fanned out to their open streams.

Addresses say who may receive a notice: ``user:<id>``, ``agency:<id>`` (a security company's
operators), ``role:dispatcher`` (the 112 centre), ``role:admin``. The embedded implementation
is in-process (``memory.py``); the cluster one crosses replicas (issue 7).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Notice:
    addresses: frozenset[str]
    payload: dict[str, Any]


class Subscription(Protocol):
    queue: asyncio.Queue[Notice]

    @property
    def overflowed(self) -> bool:
        """A notice found the queue full: the stream ends, the screen reconnects and is
        shown its backlog (the notice was not counted as delivered)."""
        ...

    def close(self) -> None: ...


class EventBus(Protocol):
    def publish(self, notice: Notice) -> int:
        """Hand the notice to every open stream it is addressed to (any thread); returns how
        many streams took it (a stream whose queue is full did not)."""
        ...

    def publish_many(self, notices: list[Notice]) -> list[int]:
        """``publish`` for many notices at once (a committed group's alerts): each stream's
        event loop is woken once for all of them, not once per notice."""
        ...

    def subscribe(self, addresses: frozenset[str]) -> Subscription:
        """A stream for one connection (call on the event loop)."""
        ...
