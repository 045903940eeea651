"""Camera events as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from safewatch.schemas.common import Schema


class CameraEventPublic(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    device_id: uuid.UUID
    site: str
    camera: str
    type: str
    severity: str
    occurred_at: datetime
    received_at: datetime
    video_t: float
    track: int | None
    zone: str | None
    identity: str | None
    score: float | None
    detail: str | None
    flags: list[Any]
    has_snapshot: bool
    has_clip: bool
    clip_error: str | None


class EventReceipt(Schema):
    id: uuid.UUID
    created: bool


class ClipMissing(Schema):
    reason: str = Field(max_length=500)
