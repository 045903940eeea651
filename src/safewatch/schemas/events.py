"""Camera events as the API takes and shows them, the police's unblurred originals, recognition
feedback, and the face lists a camera fetches."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Base64Bytes, Field, StringConstraints

from safewatch.bus.messages import CameraEvent
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
    faces_blurred: bool = Field(
        description="Bystanders' faces are blurred in the snapshot or clip; police may open "
        "the unblurred originals (POST /events/{id}/originals, with a reason)."
    )


class OriginalsOut(Schema):
    """Links to an event's unblurred snapshot and clip (the shown ones when nothing was
    blurred), short-lived: each opening is audited."""

    snapshot_url: str | None
    clip_url: str | None
    expires_in_seconds: int


class EventReceipt(Schema):
    id: uuid.UUID
    created: bool


class ClipMissing(Schema):
    reason: str = Field(max_length=500)


MAX_BATCH_CAMERAS = 64  # credentials in one batch's header
MAX_BATCH_EVENTS = 200


class BatchedEvent(Schema):
    camera: int = Field(
        ge=0, description="Which camera sent it: its credential's place in the header's list."
    )
    event: CameraEvent
    snapshot: Base64Bytes | None = Field(
        None, description="The JPEG snapshot, base64 (at most 4 MiB decoded)."
    )


class EventBatch(Schema):
    """A camera worker's backlog, or what its cameras raised while the last batch was on its
    way, in the order it happened."""

    events: list[BatchedEvent] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class BatchedReceipt(Schema):
    id: uuid.UUID
    created: bool
    status: int = Field(description="As the single-event route would answer: 201, 200 or 4xx.")
    error: str | None = None


class BatchReceipt(Schema):
    results: list[BatchedReceipt]


class OriginalsIn(Schema):
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=3, max_length=200),
        Field(description="Why the unblurred faces must be seen (audited)."),
    ]


class NotTheOffender(Schema):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class ThresholdChangePublic(Schema):
    event_id: uuid.UUID
    before: float
    after: float
    reason: str
    scoring: str = Field(description="What before and after measure: descriptor distances.")


class ListedFace(Schema):
    key: str
    name: str
    vectors: list[list[float]]
    expires_on: date | None


class FaceLists(Schema):
    watch: list[ListedFace]
    allow: list[ListedFace]
    threshold: float = Field(description="A descriptor distance: a face matches at or under it.")
    scoring: str = Field(description="What the threshold measures; a worker refuses another.")
    cohort: list[list[float]] = Field(
        default_factory=list,
        description="Always empty. A worker from before issue 20 turns recognition off, loudly, "
        "on an empty cohort, instead of reading the threshold as a z-score.",
    )
