"""How usable a face shot is: size, sharpness and pose, each with a reason a person understands."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from safewatch.vision.faces.detector import Face

MIN_ENROL_PX = 80  # face width in an enrolment photo
MIN_SHOT_PX = 40  # face width worth embedding from video
MIN_SHARPNESS = 12.0  # variance of the Laplacian on the 150 px aligned chip (5th pct of LFW: 19)
MAX_YAW = 0.45  # nose offset from the eyes' midpoint, in eye distances


@dataclass(frozen=True)
class Quality:
    size: float
    sharpness: float
    yaw: float

    @property
    def score(self) -> float:
        """Higher is better: used to keep the best shots of a track."""
        frontal = max(0.0, 1.0 - abs(self.yaw) / MAX_YAW)
        return min(self.size, 200.0) / 200.0 + min(self.sharpness, 400.0) / 400.0 + frontal


def yaw(face: Face) -> float:
    left_eye, right_eye, nose = face.landmarks[0], face.landmarks[1], face.landmarks[2]
    eye_distance = float(np.linalg.norm(right_eye - left_eye)) or 1.0
    return float(nose[0] - (left_eye[0] + right_eye[0]) / 2) / eye_distance


def sharpness(chip_rgb: np.ndarray) -> float:
    gray = cv2.cvtColor(chip_rgb, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def measure(face: Face, chip_rgb: np.ndarray) -> Quality:
    return Quality(size=min(face.width, face.height), sharpness=sharpness(chip_rgb), yaw=yaw(face))


def problems(q: Quality, min_size: float) -> list[str]:
    found = []
    if q.size < min_size:
        found.append(
            f"the face is too small ({q.size:.0f} px); "
            f"it needs to be at least {min_size:.0f} px wide"
        )
    if q.sharpness < MIN_SHARPNESS:
        found.append("the face is blurred or out of focus")
    if abs(q.yaw) > MAX_YAW:
        found.append("the face is turned away; the person should look roughly at the camera")
    return found
