"""The pictures an event and the live view carry: the snapshot with its zones, boxes and
caption, and a JPEG fitted for a screen (the event itself is ``bus.messages.CameraEvent``)."""

from __future__ import annotations

from datetime import datetime, tzinfo

import cv2
import numpy as np
import supervision as sv

from safewatch.bus.messages import MAX_SNAPSHOT_BYTES

RED, YELLOW, WHITE = (40, 40, 230), (0, 200, 255), (255, 255, 255)


def snapshot_caption(site: str, camera: str, what: str, at: datetime, zone: tzinfo) -> str:
    """The line drawn on a snapshot: the time in the region's zone, named (e.g. KST), as
    every screen shows times — never UTC beside a screen in local time."""
    return f"{site}/{camera} {what} {at.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"


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
    return fitted_jpeg(img)


def fitted_jpeg(img: np.ndarray, max_bytes: int = MAX_SNAPSHOT_BYTES) -> bytes:
    """The picture as a JPEG the hub takes: at quality 80, else lower, else smaller (a 4K
    or 8K camera's busy frame can pass 4 MiB, and a refused snapshot would hold its alert)."""
    for quality in (80, 60):
        data = _jpeg(img, quality)
        if len(data) <= max_bytes:
            return data
    while len(data) > max_bytes:
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
        data = _jpeg(img, 60)
    return data


def _jpeg(img: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("could not encode the snapshot")
    return bytes(buf.tobytes())
