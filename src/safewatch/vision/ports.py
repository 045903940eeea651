"""The camera pipeline's ports: where its events and clips go, and where recognition hooks
in. The worker's outbox and the analyse command's output are the sinks; the face stage of
``faces`` is the hook."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Protocol

import numpy as np
import supervision as sv

from safewatch.bus.messages import CameraEvent


class ClipSink(Protocol):
    def clip(
        self, event_id: uuid.UUID, path: Path | None, error: str | None, original: Path | None
    ) -> None:
        """``path`` is the clip they see (None, with ``error``, when there is none);
        ``original`` the unblurred clip (None when nothing was blurred)."""


class EventSink(ClipSink, Protocol):
    """Where events go: the worker's outbox, or the analyse command's output."""

    def event(self, event: CameraEvent, snapshot: bytes, original: bytes | None) -> None:
        """``snapshot`` is what the victim and guards see; ``original`` its unblurred
        picture (None when nothing was blurred)."""


class FaceStage(Protocol):
    """The hook where recognition attaches identities (``rules.IDENTITY_*`` data keys)."""

    def attach(self, frame_bgr: np.ndarray, dets: sv.Detections, t: float) -> sv.Detections: ...

    def faces(self, t: float) -> np.ndarray | None:
        """Every face (N × 4 boxes) the last ``attach`` found if it was of the frame at
        ``t``, for blurring the clips; None when it did not look at that frame."""
