"""Audit entries as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from safewatch.schemas.common import Schema


class AuditEntryPublic(Schema):
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str
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
