"""Versioned messages: what a camera tells the hub. Frozen, so no stage can change one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal[
    "intrusion", "loitering", "stranger", "offender_recognized", "camera_offline", "camera_tampered"
]
Severity = Literal["info", "warning", "high", "critical"]
SEVERITY: dict[str, Severity] = {
    "offender_recognized": "critical",
    "intrusion": "high",
    "stranger": "high",
    "camera_tampered": "high",
    "camera_offline": "warning",
    "loitering": "warning",
}


class CameraEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Idempotency key at the hub.")
    site: str
    camera: str
    type: EventType
    severity: Severity
    at: datetime = Field(description="Wall-clock time of the trigger frame (UTC).")
    video_t: float = Field(description="Seconds into the stream (file analysis: into the video).")
    track: int | None = None
    zone: str | None = None
    identity: str | None = None
    score: float | None = None
    detail: str | None = None
    clip_start_t: float | None = None
    clip_end_t: float | None = None
    flags: list[str] = Field(default_factory=list, description="e.g. clip_not_saved: disk full")
