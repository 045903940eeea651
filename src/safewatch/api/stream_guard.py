"""Open streams end when their access does (a stolen phone signed out, an account disabled, a
case taken from a company): each replica reads the access that ended since it last looked
(``access_ended``, written in the transaction that ended it) every few seconds and ends the
streams listening at those addresses, and a stream ends by itself when its sign-in expires.
One query per replica per interval, however many streams are open."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from safewatch.bus.base import Notice
from safewatch.models import AccessEnded
from safewatch.store.db import transaction

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 2.0
ENDED = "ended"  # the last event of a stream whose access ended


@dataclass(eq=False)
class Watched:
    """One open stream: the addresses it listens at, its sign-in's expiry, and its queue (an
    ended stream finds an ``ended`` notice there, so it waits on one thing only)."""

    addresses: frozenset[str]
    expires_at: datetime
    queue: asyncio.Queue[Notice]
    reason: str = ""

    def end(self, reason: str) -> None:
        if self.reason:
            return
        self.reason = reason
        # A full queue is a stream far behind: it finds ``reason`` set at its next notice.
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(Notice(self.addresses, {"kind": ENDED, "reason": reason}))


# Rows are read by time, some seconds back, not by id: on PostgreSQL an id drawn earlier can
# be committed later than a bigger one, and reading "ids after the last" would skip it.
LOOK_BACK = timedelta(seconds=30)


class StreamGuard:
    def __init__(self, factory: sessionmaker[Session], interval: float = INTERVAL_SECONDS) -> None:
        self.factory = factory
        self.interval = interval
        self.watched: set[Watched] = set()
        self.since: datetime | None = None  # the last look
        self.handled: dict[int, datetime] = {}  # rows acted on within the look-back

    def watch(
        self, addresses: Iterable[str], expires_at: datetime, queue: asyncio.Queue[Notice]
    ) -> Watched:
        watched = Watched(frozenset(addresses), expires_at, queue)
        self.watched.add(watched)
        return watched

    def forget(self, watched: Watched) -> None:
        self.watched.discard(watched)

    def _read(self) -> list[tuple[int, str, str, datetime]]:
        now = datetime.now(UTC)
        since = self.since or now
        t = AccessEnded
        with transaction(self.factory) as session:
            rows = session.execute(
                select(t.id, t.address, t.reason, t.at).where(t.at >= since - LOOK_BACK)
            ).all()
            # Rows past the look-back serve no stream any more (every replica may prune)
            session.execute(delete(t).where(t.at < since - 4 * LOOK_BACK))
        if self.since is None:  # the first look: what ended before has no stream here
            self.handled.update({row.id: row.at for row in rows})
        self.since = now
        return [(row.id, row.address, row.reason, row.at) for row in rows]

    async def check(self) -> int:
        """Ends the streams whose access ended since the last look; returns how many."""
        rows = await run_in_threadpool(self._read)
        fresh = [r for r in rows if r[0] not in self.handled]
        for row_id, *_, at in fresh:
            self.handled[row_id] = at
        if self.since is not None:
            oldest = self.since - 2 * LOOK_BACK
            self.handled = {k: at for k, at in self.handled.items() if at >= oldest}
        ended = 0
        for _, address, reason, _ in fresh:
            for watched in list(self.watched):
                if address in watched.addresses and not watched.reason:
                    watched.end(reason)
                    ended += 1
        return ended

    async def run(self) -> None:
        """Supervised: a database that cannot be read is logged and tried again; until it
        can, streams still end at their sign-in's expiry."""
        backoff = self.interval
        while True:
            try:
                ended = await self.check()
                backoff = self.interval
                if ended:
                    log.info("ended %d open stream(s) whose access ended", ended)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("stream guard: could not read the access that ended; retrying")
                backoff = min(backoff * 2, 30.0)
            await asyncio.sleep(backoff)
