"""Audit entries as the API shows them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from safewatch.schemas.common import Schema


class AuditEntryPublic(Schema):
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str
    actor_name: str | None = None  # the person's name, so a trail says who, not only which role
    action: str
    entity: str
    entity_id: str | None
    case_id: uuid.UUID | None
    reason: str
    hash: str


class ChainReportPublic(Schema):
    ok: bool
    entries: int
    problems: list[str]


def named_entries(rows: Sequence[object], names: Mapping[uuid.UUID, str]) -> list[AuditEntryPublic]:
    entries = [AuditEntryPublic.model_validate(r) for r in rows]
    for entry in entries:
        entry.actor_name = names.get(entry.actor_id) if entry.actor_id else None
    return entries
