"""Cheap per-frame signals from the luma plane: motion (wakes the detector) and tampering."""

from __future__ import annotations

from dataclasses import dataclass

import av
import cv2
import numpy as np

from safewatch.vision.config import TamperConfig

DIFF_LEVEL = 25  # luma steps that count as a changed pixel
TAMPER_SIZE = (64, 48)


def small_luma(frame: av.VideoFrame, step: int = 4) -> np.ndarray:
    """The Y plane, every ``step``-th pixel, without converting the frame to colour."""
    if frame.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "nv12"):
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        return np.ascontiguousarray(rows[: frame.height : step, : frame.width : step])
    gray = frame.to_ndarray(format="gray")
    return np.ascontiguousarray(gray[::step, ::step])


class MotionGate:
    """Says whether enough pixels changed since the last analysed frame."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._previous: np.ndarray | None = None
        self.last_ratio = 0.0

    def update(self, luma: np.ndarray) -> bool:
        previous, self._previous = self._previous, luma
        if previous is None or previous.shape != luma.shape:
            return True
        changed = cv2.absdiff(luma, previous) > DIFF_LEVEL
        self.last_ratio = float(changed.mean())
        return self.last_ratio >= self.threshold


@dataclass(frozen=True)
class TamperSignal:
    reason: str  # blacked_out, covered, moved
    detail: str


class TamperWatch:
    """Reports a view that is dark, featureless or no longer the learnt scene for a while."""

    LEARN_RATE = 0.02

    def __init__(self, config: TamperConfig) -> None:
        self.config = config
        self._reference: np.ndarray | None = None
        self._since: float | None = None
        self._reported = False
        self.similarity = 1.0

    def _condition(self, luma: np.ndarray) -> TamperSignal | None:
        mean, std = float(luma.mean()), float(luma.std())
        if mean < self.config.dark_luma:
            return TamperSignal("blacked_out", f"mean brightness {mean:.0f}")
        if std < self.config.flat_std:
            return TamperSignal("covered", f"no detail in the picture (spread {std:.1f})")
        small = cv2.resize(luma, TAMPER_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
        view = np.asarray(cv2.GaussianBlur(small, (5, 5), 0), dtype=np.float32)
        if self._reference is None:
            self._reference = view
            return None
        a, b = view - view.mean(), self._reference - self._reference.mean()
        denom = float(np.sqrt((a * a).sum() * (b * b).sum())) or 1.0
        self.similarity = float((a * b).sum() / denom)
        if self.similarity < self.config.moved_similarity:
            return TamperSignal(
                "moved", f"the view matches the learnt one at {self.similarity:.2f}"
            )
        cv2.accumulateWeighted(view, self._reference, self.LEARN_RATE)
        return None

    def update(self, luma: np.ndarray, t: float) -> TamperSignal | None:
        """A signal once the condition has lasted ``seconds``; again only after it cleared."""
        signal = self._condition(luma)
        if signal is None:
            self._since, self._reported = None, False
            return None
        if self._since is None:
            self._since = t
        if not self._reported and t - self._since >= self.config.seconds:
            self._reported = True
            if signal.reason == "moved":
                self._reference = None  # learn the new view so it is reported once
            return signal
        return None
