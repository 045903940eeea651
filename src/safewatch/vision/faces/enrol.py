"""Enrolment: a photo becomes a template only if a caseworker would trust it, else a reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from safewatch.vision.faces.detector import Face, FaceDetector
from safewatch.vision.faces.embedder import ENROL_PADDING, PROBE_PADDING, FaceEmbedder
from safewatch.vision.faces.quality import MIN_ENROL_PX, Quality, measure, problems
from safewatch.vision.faces.templates import ListKind, TemplateSet

OTHER_FACE_SHARE = 0.5  # a second face at least half as wide as the first: not "alone"
MAX_TEMPLATES = 5
ENROL_JITTERS = 10  # dlib's jitter for enrolment photos (embedder.py says why)


@dataclass(frozen=True)
class PhotoCheck:
    source: str
    accepted: bool
    reasons: list[str]
    quality: Quality | None = None
    vector: np.ndarray | None = None
    face: Face | None = None
    chip: np.ndarray | None = None  # the aligned face the vector came from


class Enroller:
    def __init__(
        self, detector: FaceDetector | None = None, embedder: FaceEmbedder | None = None
    ) -> None:
        self.detector = detector or FaceDetector()
        self.embedder = embedder or FaceEmbedder()

    def check(self, bgr: np.ndarray | None, source: str) -> PhotoCheck:
        if bgr is None or bgr.size == 0:
            return PhotoCheck(source, False, ["the file is not a readable photo"])
        faces = self.detector.detect(bgr)
        if not faces:
            return PhotoCheck(source, False, ["no face was found in the photo"])
        main = max(faces, key=lambda f: f.width * f.height)
        others = [f for f in faces if f is not main and f.width >= OTHER_FACE_SHARE * main.width]
        if others:
            return PhotoCheck(
                source,
                False,
                [f"the photo shows {len(others) + 1} faces; use a photo of the person alone"],
            )
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        chip = self.embedder.chip(rgb, main, ENROL_PADDING)
        quality = measure(main, chip)
        reasons = problems(quality, MIN_ENROL_PX)
        if reasons:
            return PhotoCheck(source, False, reasons, quality, face=main, chip=chip)
        vector = self.embedder.embed_chip(chip, ENROL_JITTERS)
        return PhotoCheck(source, True, [], quality, vector, main, chip)

    def probe(self, bgr: np.ndarray | None) -> np.ndarray | None:
        """The embedding of the main face of a probe photo (the one nearest the centre, as in
        LFW), without enrolment's quality demands; None when there is no face."""
        chip = self.probe_chip(bgr)
        return None if chip is None else self.embedder.embed_chip(chip)

    def probe_face(self, bgr: np.ndarray | None) -> Face | None:
        """A probe photo's main face: the one nearest the centre, as in LFW."""
        if bgr is None:
            return None
        faces = self.detector.detect(bgr)
        if not faces:
            return None
        h, w = bgr.shape[:2]

        def off_centre(f: Face) -> float:
            cx, cy = (f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2
            return float(np.hypot(cx / w - 0.5, cy / h - 0.5))

        return min(faces, key=off_centre)

    def probe_chip(
        self, bgr: np.ndarray | None, padding: float = PROBE_PADDING
    ) -> np.ndarray | None:
        """The aligned chip of a probe photo's main face; None when there is no face."""
        face = self.probe_face(bgr)
        if bgr is None or face is None:
            return None
        return self.embedder.chip(np.ascontiguousarray(bgr[:, :, ::-1]), face, padding)

    def check_file(self, path: Path) -> PhotoCheck:
        return self.check(cv2.imread(str(path), cv2.IMREAD_COLOR), str(path))

    def enrol(
        self, person: str, kind: ListKind, photos: list[Path], limit: int = MAX_TEMPLATES
    ) -> tuple[TemplateSet | None, list[PhotoCheck]]:
        """Templates from the accepted photos (best quality first); every check is returned."""
        checks = [self.check_file(p) for p in photos]
        accepted = sorted((c for c in checks if c.accepted), key=lambda c: -c.quality.score)  # type: ignore[union-attr]
        accepted = accepted[:limit]
        if not accepted:
            return None, checks
        vectors = np.stack([c.vector for c in accepted if c.vector is not None])
        return TemplateSet(person, kind, vectors, sources=[c.source for c in accepted]), checks
