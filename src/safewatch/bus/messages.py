"""Versioned messages: what a camera tells the hub. Frozen, so no stage can change one."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal[
    "intrusion",
    "loitering",
    "stranger",
    "unidentified_person",
    "offender_recognized",
    "camera_offline",
    "camera_tampered",
]
Severity = Literal["info", "warning", "high", "critical"]
# What the hub takes from a camera; the worker fits its pictures to it before sending.
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024
MAX_CLIP_BYTES = 200 * 1024 * 1024
# Answers a camera tries again later, over HTTP and over the event stream alike: each may
# change (a credential fixed, a camera installed, a rate limit over, the hub back).
RETRY_LATER = frozenset({401, 403, 408, 409, 423, 425, 429})


def retry_later(status: int) -> bool:
    """Whether an item the hub answered ``status`` for is kept and tried again."""
    return status >= 500 or status in RETRY_LATER


SEVERITY: dict[str, Severity] = {
    "offender_recognized": "critical",
    "intrusion": "high",
    "stranger": "high",
    "unidentified_person": "high",
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
    held_in_memory_by: uuid.UUID | None = Field(
        None,
        description="The worker run that held it in memory only (its disk was full): when "
        "that run ends before the clip is sent, the clip is lost with it.",
    )


class CameraHealth(StrEnum):
    """What a camera worker says of one camera in its heartbeat (and ``camera status``)."""

    starting = "starting"  # models loading, stream not opened yet
    ok = "ok"  # frames arrive and are analysed
    degraded = "degraded"  # running, but something is wrong (the note says what)
    restarting = "restarting"  # its reader failed and is being started again (backoff)


class OutboxKind(StrEnum):
    """What one outbox item carries to the hub."""

    event = "event"
    clip = "clip"
    original_snapshot = "original_snapshot"
    original_clip = "original_clip"


class Undelivered(BaseModel):
    """An item the hub refused for good: kept (quarantined) on the camera with its reason,
    and reported in heartbeats so that a person can act on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID
    kind: OutboxKind
    reason: str = Field(max_length=300)
    since: datetime = Field(description="When the hub refused it (UTC).")
