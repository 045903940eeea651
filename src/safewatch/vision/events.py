"""What a camera tells the hub: one frozen, versioned event model, and its snapshot picture."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import cv2
import numpy as np
import supervision as sv
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


RED, YELLOW, WHITE = (40, 40, 230), (0, 200, 255), (255, 255, 255)


def snapshot_jpeg(
    frame_bgr: np.ndarray,
    dets: sv.Detections,
    trigger_index: int | None,
    zones: list[np.ndarray],
    caption: str,
) -> bytes:
    """The trigger frame with zones, every person's box, the trigger person's in red."""
    img = frame_bgr.copy()
    for polygon in zones:
        cv2.polylines(img, [polygon.astype(np.int32)], True, YELLOW, 1, cv2.LINE_AA)
    for k, (x1, y1, x2, y2) in enumerate(dets.xyxy.astype(int)):
        colour = RED if k == trigger_index else WHITE
        cv2.rectangle(img, (x1, y1), (x2, y2), colour, 2 if k == trigger_index else 1)
    cv2.rectangle(img, (0, 0), (img.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(img, caption, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, WHITE, 1, cv2.LINE_AA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise RuntimeError("could not encode the snapshot")
    return buf.tobytes()
