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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safewatch.bus.messages import CameraEvent, OutboxKind, Undelivered
from safewatch.vision import outbox_sql as sql
from safewatch.vision.reserve import DiskReserve

MAX_BACKOFF = 60.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    kind: OutboxKind
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
        self.reserve = DiskReserve(path.parent)
        try:
            self._db = self._open(path)
        except sqlite3.OperationalError:  # a full disk: a worker must start all the same
            if self.reserve.release():
                self._db = self._open(path)
            else:  # the reserve spent: no room for SQLite's WAL index ("disk I/O error")
                self._db = self._open(path, index_in_memory=True)
        self.reserve.keep()
        self._lock = threading.Lock()
        self.changed = threading.Event()
        # Events that could not be written (disk full): kept in memory and sent first, flagged.
        self._memory: list[OutboxItem] = []
        self._memory_due: dict[int, float] = {}  # seq → when it may be tried again
        self._memory_seq = -1
        self._set_aside: list[tuple[OutboxItem, str, float]] = []  # quarantined, in memory
        # This process: an event held in memory names it, and the heartbeats carry it, so
        # the hub learns when the run that held an event's clip is gone (killed, restarted).
        self.run = uuid.uuid4()

    def _open(self, path: Path, index_in_memory: bool = False) -> sqlite3.Connection:
        """``index_in_memory``: exclusive locking, with which SQLite keeps the WAL index in
        memory instead of a -shm file (the disk is full; only this process uses the outbox)."""
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            if index_in_memory:
                db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("PRAGMA journal_mode=WAL")  # makes its -wal and -shm files
            db.execute("PRAGMA synchronous=FULL")
            self._upgrade(db)
        except BaseException:
            db.close()
            raise
        return db

    def _upgrade(self, db: sqlite3.Connection) -> None:
        """A worker updated in place keeps its outbox: the table is rebuilt with the new
        kinds, every row kept, in one transaction."""
        version = db.execute("PRAGMA user_version").fetchone()[0]
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'item'"
        ).fetchone()
        if exists and version == sql.VERSION:
            return  # nothing to write: it opens on a full disk too
        if exists and version < sql.VERSION:
            db.executescript(sql.UPGRADE)
            return
        db.executescript(sql.SCHEMA + sql.UPGRADED)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _insert(
        self,
        event_id: uuid.UUID,
        camera: str,
        rows: list[tuple[OutboxKind, dict[str, Any]]],
        retried: bool = False,
    ) -> None:
        """Rows of one event (an event and its original snapshot; a clip and its original)
        in one transaction: both are there, or neither. A full disk releases the reserve
        and tries again; only then are they held in memory."""
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
                    # its event was refused
                    self._db.execute(sql.ORPHANS_REFUSED, (time.time(), str(event_id)))
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
        except (sqlite3.Error, OSError) as exc:
            if not retried and self.reserve.release():  # the room kept for this
                self._insert(event_id, camera, rows, retried=True)
                return
            for kind, values in rows:
                self._keep_in_memory(kind, event_id, camera, values, exc)
        self.changed.set()

    def _keep_in_memory(
        self,
        kind: OutboxKind,
        event_id: uuid.UUID,
        camera: str,
        values: dict[str, Any],
        exc: Exception,
    ) -> None:
        """The disk refused the row (full): hold it in memory, flagged, and send it first."""
        log.error("outbox cannot store %s %s (%s): holding it in memory", kind, event_id, exc)
        payload = values.get("payload")
        if payload is not None:
            event = CameraEvent.model_validate_json(payload)
            flags = [*event.flags, f"not_persisted: {exc}"]
            # Only a clip to come is lost with this run (the hub then says so).
            run = self.run if event.clip_end_t is not None else None
            held = {"flags": flags, "held_in_memory_by": run}
            payload = event.model_copy(update=held).model_dump_json()
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
        rows: list[tuple[OutboxKind, dict[str, Any]]] = [
            (OutboxKind.event, {"payload": event.model_dump_json(), "snapshot": snapshot})
        ]
        if original is not None:
            rows.append((OutboxKind.original_snapshot, {"snapshot": original}))
        self._insert(event.id, event.camera, rows)

    def put_clip(
        self,
        event_id: uuid.UUID,
        camera: str,
        path: Path | None,
        error: str | None,
        original: Path | None = None,
    ) -> None:
        rows: list[tuple[OutboxKind, dict[str, Any]]] = [
            (OutboxKind.clip, {"blob_path": str(path) if path else None, "error": error})
        ]
        if original is not None:
            rows.append((OutboxKind.original_clip, {"blob_path": str(original)}))
        self._insert(event_id, camera, rows)

    def next_due(self, now: float | None = None) -> tuple[OutboxItem | None, float]:
        """What to send now (and 0), or None and how long until something may be retried.

        Events go in the order they happened, before any clip: a clip the hub cannot take
        yet (its disk is full) must not hold back a newer alert. A clip goes only after its
        own event."""
        now = time.time() if now is None else now
        with self._lock:
            event = self._db.execute(sql.OLDEST_EVENTS, (1,)).fetchone()
            clip = self._db.execute(sql.NEXT_CLIP).fetchone()
            held = self._held_in_order(event is not None)
        waits = []
        candidates = [(i, self._memory_due.get(i.seq, 0.0)) for i in held]
        candidates += [(_item(row), row[9]) for row in (event, clip) if row is not None]
        for item, due in candidates:
            if due <= now:
                return item, 0.0
            waits.append(due - now)
        return None, min(waits, default=1.0)

    def _held_in_order(self, event_on_disk: bool) -> list[OutboxItem]:
        """What is held in memory (the disk was full), in the order it may go: its events
        first (flagged alerts must not wait), a clip only once its event is not waiting —
        in memory or on the disk. Never the only thing that can go: each keeps its backoff,
        so the disk's queue drains beside it."""
        events = [m for m in self._memory if m.kind is OutboxKind.event]
        waiting = {m.event_id for m in events}
        rest = []
        for m in self._memory:
            if m.kind is OutboxKind.event or m.event_id in waiting:
                continue
            on_disk = (
                event_on_disk
                and self._db.execute(
                    sql.EVENT_WAITING,
                    (str(m.event_id),),
                ).fetchone()
            )
            if not on_disk:
                rest.append(m)
        return [*events, *rest]

    def next_due_events(self, limit: int, now: float | None = None) -> list[OutboxItem]:
        """The oldest pending events while they are due (at most ``limit``), to send
        together, in the order they happened."""
        now = time.time() if now is None else now
        with self._lock:
            if any(m.kind is OutboxKind.event for m in self._memory):
                return []  # a flagged alert held in memory goes first, alone (next_due)
            rows = self._db.execute(sql.OLDEST_EVENTS, (limit,)).fetchall()
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
        self.reserve.keep()  # room again after a full disk: the reserve is made again

    def mark_failed(self, item: OutboxItem, error: str, now: float | None = None) -> float:
        """Back off exponentially (1 s … 60 s); returns the delay."""
        delay = min(self.max_backoff, 2.0 ** min(item.attempts, 6))
        at = (time.time() if now is None else now) + delay
        if item.seq < 0:  # in memory only: its attempts and backoff are kept there
            with self._lock:
                self._memory = [
                    replace(m, attempts=m.attempts + 1) if m.seq == item.seq else m
                    for m in self._memory
                ]
                self._memory_due[item.seq] = at
            return delay
        with self._lock:
            self._db.execute(
                "UPDATE item SET attempts = attempts + 1, next_attempt = ?, last_error = ? "
                "WHERE seq = ?",
                (at, error[:500], item.seq),
            )
        return delay

    def quarantine(self, item: OutboxItem, error: str) -> None:
        """It cannot be delivered as it is (the hub refuses it for good, or its camera left
        the site file): kept with the reason, shown by ``camera status`` and reported in the
        heartbeats, never resent unless a person asks (``camera retry``)."""
        with self._lock:
            if item.seq < 0:  # held in memory (the disk was full): kept there, set aside
                self._memory = [m for m in self._memory if m.seq != item.seq]
                self._set_aside.append((item, error, time.time()))
                return
            self._db.execute(sql.QUARANTINE, (error[:500], time.time(), item.seq))
            self._db.execute(sql.ORPHANS_REFUSED, (time.time(), str(item.event_id)))

    def quarantined(
        self, cameras: Sequence[str] | None = None, limit: int = 50
    ) -> list[Undelivered]:
        """What could not be delivered, newest first (of these cameras, or all)."""
        where, params = _of_cameras(cameras)
        with self._lock:
            rows = self._db.execute(
                "SELECT event_id, kind, last_error, quarantined_at FROM item "  # noqa: S608
                f"WHERE state = 'quarantined' {where} ORDER BY seq DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
            aside = [
                (str(i.event_id), i.kind.value, reason, at)
                for i, reason, at in self._set_aside
                if cameras is None or i.camera in cameras
            ]
        return [
            Undelivered(
                event_id=uuid.UUID(e),
                kind=OutboxKind(k),
                reason=(reason or "refused")[:300],
                since=datetime.fromtimestamp(at or 0, UTC),
            )
            for e, k, reason, at in [*aside, *rows][:limit]
        ]

    def count_quarantined(self, cameras: Sequence[str] | None = None) -> int:
        where, params = _of_cameras(cameras)
        with self._lock:
            row = self._db.execute(
                f"SELECT count(*) FROM item WHERE state = 'quarantined' {where}",  # noqa: S608
                params,
            ).fetchone()
            aside = sum(cameras is None or i.camera in cameras for i, _, _ in self._set_aside)
        return int(row[0]) + aside

    def quarantined_cameras(self) -> set[str]:
        """The cameras that have items set aside (some may have left the site file)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT camera FROM item WHERE state = 'quarantined'"
            ).fetchall()
            return {r[0] for r in rows} | {i.camera for i, _, _ in self._set_aside}

    def clips_never_cut(self) -> list[tuple[uuid.UUID, str]]:
        """Events that wait for a clip which no running worker will cut: the process that
        raised them stopped (killed, a power cut) within their post-roll. Asked at start."""
        with self._lock:
            rows = self._db.execute(sql.CLIPS_NEVER_CUT).fetchall()
        return [(uuid.UUID(e), camera) for e, camera in rows]

    def retry_quarantined(self) -> int:
        """A person mended the cause (the camera back in the site file, a proxy's limit
        raised): every quarantined item is pending again, due now. Returns how many."""
        with self._lock:
            n = self._db.execute(
                "UPDATE item SET state = 'pending', attempts = 0, next_attempt = 0, "
                "quarantined_at = NULL WHERE state = 'quarantined'"
            ).rowcount
        self.changed.set()
        return int(n)

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, count(*) FROM item GROUP BY state").fetchall()
            memory, aside = len(self._memory), len(self._set_aside)
        counts = {state: n for state, n in rows}
        if memory:
            counts["pending"] = counts.get("pending", 0) + memory
        if aside:
            counts["quarantined"] = counts.get("quarantined", 0) + aside
        return counts


def _of_cameras(cameras: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if cameras is None:
        return "", ()
    return f"AND camera IN ({', '.join('?' for _ in cameras)})", tuple(cameras)


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        row[0],
        OutboxKind(row[1]),
        uuid.UUID(row[2]),
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8],
    )
