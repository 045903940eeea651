"""Append to and verify the hash-chained audit trail.

Each entry's hash covers its own fields and the previous entry's hash; the head row holds the
last link. Editing, removing or reordering any entry, or cutting the tail, breaks verification.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from safewatch.models.audit import AuditEntry, AuditHead
from safewatch.store.base import utcnow

GENESIS = "0" * 64
_LOCK_KEY = 0x5AFE_A0D1  # PostgreSQL advisory lock that serialises appends


@dataclass(frozen=True)
class AuditRecord:
    """What is being recorded; the chain fields are added on append."""

    actor_id: uuid.UUID | None
    actor_role: str
    action: str
    entity: str
    entity_id: str | None
    reason: str
    case_id: uuid.UUID | None = None


def _digest(seq: int, at: datetime, record: AuditRecord, prev_hash: str) -> str:
    payload = {
        "seq": seq,
        "at": at.isoformat(),
        "actor_id": str(record.actor_id) if record.actor_id else None,
        "actor_role": record.actor_role,
        "action": record.action,
        "entity": record.entity,
        "entity_id": record.entity_id,
        "case_id": str(record.case_id) if record.case_id else None,
        "reason": record.reason,
        "prev": prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def append(session: Session, record: AuditRecord) -> AuditEntry:
    """Add one entry inside the caller's transaction (it commits or rolls back with the change)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    head = session.get(AuditHead, 1)
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    # Microsecond precision survives every engine, so the digest can be recomputed exactly.
    at = utcnow()
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor_id=record.actor_id,
        actor_role=record.actor_role,
        action=record.action,
        entity=record.entity,
        entity_id=record.entity_id,
        case_id=record.case_id,
        reason=record.reason[:300],
        prev_hash=prev,
        hash=_digest(seq, at, record, prev),
    )
    session.add(entry)
    if head is None:
        session.add(AuditHead(id=1, seq=seq, hash=entry.hash))
    else:
        head.seq, head.hash = seq, entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _as_record(e: AuditEntry) -> AuditRecord:
    return AuditRecord(
        actor_id=e.actor_id,
        actor_role=e.actor_role,
        action=e.action,
        entity=e.entity,
        entity_id=e.entity_id,
        reason=e.reason,
        case_id=e.case_id,
    )


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    )


def verify(session: Session, max_problems: int = 50) -> ChainReport:
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for e in _entries(session):
        count += 1
        if e.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{e.seq - 1} are missing")
        if e.prev_hash != prev:
            problems.append(f"entry {e.seq} does not link to the entry before it")
        if _digest(e.seq, e.at, _as_record(e), e.prev_hash) != e.hash:
            problems.append(f"entry {e.seq} was altered after it was written")
        prev, expected_seq = e.hash, e.seq + 1
        if len(problems) >= max_problems:
            break
    head = session.get(AuditHead, 1)
    if head is None and count:
        problems.append("the chain head record is missing")
    elif head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        problems.append(
            f"the chain ends at entry {expected_seq - 1} but its head says {head.seq}: "
            "entries were cut from the end"
        )
    return ChainReport(count, problems)
