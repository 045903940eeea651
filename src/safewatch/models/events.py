"""Camera events as the hub received them (incidents are built from these in the alert chain)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safewatch.store.base import Base, utcnow


class CameraEventRecord(Base):
    __tablename__ = "camera_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the worker's id: idempotency key
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"), index=True)
    site: Mapped[str] = mapped_column(String(80))
    camera: Mapped[str] = mapped_column(String(60))
    type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    video_t: Mapped[float] = mapped_column(Float)
    track: Mapped[int | None]
    zone: Mapped[str | None] = mapped_column(String(60))
    identity: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    snapshot_name: Mapped[str | None] = mapped_column(String(120))  # as shown: faces blurred
    clip_name: Mapped[str | None] = mapped_column(String(120))
    # The unblurred pictures, for police with a stated reason; None when nothing was blurred
    # (or the event is older than blurring): then the shown one is the original.
    original_snapshot_name: Mapped[str | None] = mapped_column(String(120))
    original_clip_name: Mapped[str | None] = mapped_column(String(120))
    clip_received_at: Mapped[datetime | None]
    clip_error: Mapped[str | None] = mapped_column(Text)
    # The worker run that held the event in memory only (its disk was full): its clip is
    # lost if that run ends first.
    held_in_memory_by: Mapped[uuid.UUID | None] = mapped_column(index=True)
    media_purged_at: Mapped[datetime | None]  # snapshot and clip deleted under retention
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident.id"), index=True)


class FaceThresholdChange(Base):
    """A camera's recognition threshold tightened by "not the offender" feedback. The camera's
    threshold is the latest ``after`` of the current ``scoring`` (the calibrated default when
    there is none: changes measured in another scoring's units are history); the stranger's
    face itself is never stored."""

    __tablename__ = "face_threshold_change"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device.id"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("camera_event.id"), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(300))
    by_user: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    # What before/after measure: vision.faces.matching.SCORING for new rows (a test keeps the
    # two equal); rows from before migration 0013 are the former scoring's.
    scoring: Mapped[str] = mapped_column(String(20), default="distance", server_default="cohort-z")
