"""The worker's on-disk outbox: every event and clip is written here before anything is sent.

A hub outage of any length loses nothing: rows stay until the hub has acknowledged them, and
they drain oldest first. SQLite with ``synchronous=FULL``: a row that was put survives a crash
or a power cut.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safewatch.vision.events import CameraEvent

# The unblurred originals of a snapshot and a clip travel as items of their own (kinds
# original_snapshot, original_clip) after their event: the alert does not wait for them, and
# they are not lost if the hub is away.
VERSION = 2  # PRAGMA user_version; 1 (no version) knew events and clips only
SCHEMA = """
CREATE TABLE IF NOT EXISTS item (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'clip', 'original_snapshot', 'original_clip')),
    event_id TEXT NOT NULL,
    camera TEXT NOT NULL,
    payload TEXT,
    blob_path TEXT,  -- the clip file
    snapshot BLOB,  -- the event's (shown) snapshot, or the original snapshot
    error TEXT,
    created REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (kind, event_id)
);
CREATE INDEX IF NOT EXISTS item_pending ON item (state, seq);
"""
UPGRADED = f"PRAGMA user_version = {VERSION};"
UPGRADE_FROM_1 = "".join(
    [
        "BEGIN IMMEDIATE; ALTER TABLE item RENAME TO item_v1; DROP INDEX item_pending;",
        SCHEMA,
        "INSERT INTO item SELECT * FROM item_v1; DROP TABLE item_v1;",
        UPGRADED,
        "COMMIT;",
    ]
)
MAX_BACKOFF = 60.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    kind: str  # event, clip, original_snapshot, original_clip
    event_id: uuid.UUID
    camera: str
    payload: str | None  # event JSON
    blob_path: str | None  # clip file
    snapshot: bytes | None
    error: str | None  # why a clip is missing
    attempts: int


class Outbox:
    def __init__(self, path: Path, max_backoff: float = MAX_BACKOFF) -> None:
        self.max_backoff = max_backoff
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._upgrade()
        self._lock = threading.Lock()
        self.changed = threading.Event()
        # Events that could not be written (disk full): kept in memory and sent first, flagged.
        self._memory: list[OutboxItem] = []
        self._memory_seq = -1

    def _upgrade(self) -> None:
        """A worker updated in place keeps its outbox: the table is rebuilt with the new
        kinds, every row kept, in one transaction."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        exists = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'item'"
        ).fetchone()
        if exists and version < VERSION:
            self._db.executescript(UPGRADE_FROM_1)
            return
        self._db.executescript(SCHEMA + UPGRADED)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _insert(
        self, event_id: uuid.UUID, camera: str, rows: list[tuple[str, dict[str, Any]]]
    ) -> None:
        """Rows of one event (an event and its original snapshot; a clip and its original)
        in one transaction: both are there, or neither and both are held in memory."""
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for kind, values in rows:
                        cols = ["kind", "event_id", "camera", "created", *values]
                        params = [kind, str(event_id), camera, time.time(), *values.values()]
                        marks = ", ".join("?" for _ in cols)
                        self._db.execute(
                            f"INSERT OR IGNORE INTO item ({', '.join(cols)}) VALUES ({marks})",  # noqa: S608
                            params,
                        )
                    self._db.execute(ORPHANS_REFUSED, (str(event_id),))  # its event was refused
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
        except (sqlite3.Error, OSError) as exc:
            for kind, values in rows:
                self._keep_in_memory(kind, event_id, camera, values, exc)
        self.changed.set()

    def _keep_in_memory(
        self, kind: str, event_id: uuid.UUID, camera: str, values: dict[str, Any], exc: Exception
    ) -> None:
        """The disk refused the row (full): hold it in memory, flagged, and send it first."""
        log.error("outbox cannot store %s %s (%s): holding it in memory", kind, event_id, exc)
        payload = values.get("payload")
        if payload is not None:
            event = CameraEvent.model_validate_json(payload)
            flags = [*event.flags, f"not_persisted: {exc}"]
            payload = event.model_copy(update={"flags": flags}).model_dump_json()
        with self._lock:
            self._memory.append(
                OutboxItem(
                    self._memory_seq,
                    kind,
                    event_id,
                    camera,
                    payload,
                    values.get("blob_path"),
                    values.get("snapshot"),
                    values.get("error"),
                    0,
                )
            )
            self._memory_seq -= 1

    def put_event(self, event: CameraEvent, snapshot: bytes, original: bytes | None = None) -> None:
        rows: list[tuple[str, dict[str, Any]]] = [
            ("event", {"payload": event.model_dump_json(), "snapshot": snapshot})
        ]
        if original is not None:
            rows.append(("original_snapshot", {"snapshot": original}))
        self._insert(event.id, event.camera, rows)

    def put_clip(
        self,
        event_id: uuid.UUID,
        camera: str,
        path: Path | None,
        error: str | None,
        original: Path | None = None,
    ) -> None:
        rows: list[tuple[str, dict[str, Any]]] = [
            ("clip", {"blob_path": str(path) if path else None, "error": error})
        ]
        if original is not None:
            rows.append(("original_clip", {"blob_path": str(original)}))
        self._insert(event_id, camera, rows)

    def next_due(self, now: float | None = None) -> tuple[OutboxItem | None, float]:
        """What to send now (and 0), or None and how long until something may be retried.

        Events go in the order they happened, before any clip: a clip the hub cannot take
        yet (its disk is full) must not hold back a newer alert. A clip goes only after its
        own event."""
        now = time.time() if now is None else now
        with self._lock:
            if self._memory:
                return self._memory[0], 0.0
            event = self._db.execute(OLDEST_EVENTS, (1,)).fetchone()
            clip = self._db.execute(NEXT_CLIP).fetchone()
        waits = []
        for row in (event, clip):
            if row is None:
                continue
            if row[9] <= now:
                return _item(row), 0.0
            waits.append(row[9] - now)
        return None, min(waits, default=1.0)

    def next_due_events(self, limit: int, now: float | None = None) -> list[OutboxItem]:
        """The oldest pending events while they are due (at most ``limit``), to send
        together, in the order they happened."""
        now = time.time() if now is None else now
        with self._lock:
            if self._memory:
                return []
            rows = self._db.execute(OLDEST_EVENTS, (limit,)).fetchall()
        out = []
        for row in rows:
            if row[9] > now:
                break
            out.append(_item(row))
        return out

    def mark_sent(self, item: OutboxItem) -> None:
        """The hub has it: its pictures are not kept on the camera (a stolen camera holds
        only what has not gone yet)."""
        with self._lock:
            if item.seq < 0:
                self._memory = [m for m in self._memory if m.seq != item.seq]
            else:
                self._db.execute(
                    "UPDATE item SET state = 'sent', snapshot = NULL WHERE seq = ?", (item.seq,)
                )
        if item.blob_path:
            try:
                Path(item.blob_path).unlink(missing_ok=True)
            except OSError as exc:  # sent all the same; an operator must see this one
                log.error("sent clip %s not deleted: %s", item.blob_path, exc)

    def mark_failed(self, item: OutboxItem, error: str, now: float | None = None) -> float:
        """Back off exponentially (1 s … 60 s); returns the delay."""
        delay = min(self.max_backoff, 2.0 ** min(item.attempts, 6))
        if item.seq < 0:
            return 0.5  # in memory only: keep trying, there is nowhere else to keep it
        with self._lock:
            self._db.execute(
                "UPDATE item SET attempts = attempts + 1, next_attempt = ?, last_error = ? "
                "WHERE seq = ?",
                ((time.time() if now is None else now) + delay, error[:500], item.seq),
            )
        return delay

    def mark_rejected(self, item: OutboxItem, error: str) -> None:
        """The hub refuses it for good (malformed): kept here for inspection, never resent."""
        with self._lock:
            if item.seq < 0:
                self._memory = [m for m in self._memory if m.seq != item.seq]
                return
            self._db.execute(
                "UPDATE item SET state = 'rejected', last_error = ? WHERE seq = ?",
                (error[:500], item.seq),
            )
            self._db.execute(ORPHANS_REFUSED, (str(item.event_id),))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, count(*) FROM item GROUP BY state").fetchall()
            memory = len(self._memory)
        counts = {state: n for state, n in rows}
        if memory:
            counts["pending"] = counts.get("pending", 0) + memory
        return counts


OLDEST_EVENTS = (
    "SELECT seq, kind, event_id, camera, payload, blob_path, snapshot, error, attempts, "
    "next_attempt FROM item WHERE state = 'pending' AND kind = 'event' ORDER BY seq LIMIT ?"
)
# The clip or original due first whose own event has gone (sent, or refused for good).
# A refused event's clip and originals have nothing to join at the hub: refused with it
# (the hub's "no such event" is otherwise retried: in cluster mode the event may still be on
# its way through the stream).
# Run as an event is refused, and as its clip arrives later.
ORPHANS_REFUSED = (
    "UPDATE item SET state = 'rejected', last_error = 'its event was refused' "
    "WHERE event_id = ? AND state = 'pending' AND kind != 'event' AND EXISTS (SELECT 1 "
    "FROM item AS e WHERE e.kind = 'event' AND e.event_id = item.event_id "
    "AND e.state = 'rejected')"
)
NEXT_CLIP = (
    "SELECT seq, kind, event_id, camera, payload, blob_path, snapshot, error, attempts, "
    "next_attempt FROM item AS c WHERE state = 'pending' AND kind != 'event' "
    "AND NOT EXISTS (SELECT 1 FROM item AS e WHERE e.kind = 'event' "
    "AND e.event_id = c.event_id AND e.state = 'pending') ORDER BY next_attempt, seq LIMIT 1"
)


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        row[0], row[1], uuid.UUID(row[2]), row[3], row[4], row[5], row[6], row[7], row[8]
    )
