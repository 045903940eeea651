"""The face detector decodes RetinaFace's outputs itself, only the anchors above the threshold;
the faces are those the package's own ``postprocess`` gives, to the pixel, on real photos and
on crops of them of many sizes (the live stage searches crops around heads): a photograph
that ships inside matplotlib (Grace Hopper, public domain), and the shared faces when here."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from matplotlib import cbook
from retinaface.postprocess import postprocess

from safewatch.vision.faces.detector import (
    ANCHOR_SIZES_KEPT,
    MEAN_BGR,
    FaceDetector,
    _anchors,
    _decoded,
)

FACES = Path(__file__).parents[2].parent / "shared" / "data" / "faces"


def _photos() -> list[Path]:
    hopper = Path(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    return [hopper, *sorted(FACES.glob("*/*.jpg"))[::12]]


def _crops() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    crops = []
    for path in _photos():
        img = cv2.imread(str(path))
        if img is None:
            continue
        h, w = img.shape[:2]
        crops.append(img)
        for _ in range(2 if path.is_relative_to(FACES) else 12):
            x, y = rng.integers(0, w // 3), rng.integers(0, h // 3)
            crops.append(
                img[y : y + rng.integers(h // 3, h - y), x : x + rng.integers(w // 3, w - x)]
            )
    return crops


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_the_faces_decoded_are_the_packages_to_the_pixel(threshold: float) -> None:
    session, found = FaceDetector().session, 0
    for bgr in _crops():
        h, w = bgr.shape[:2]
        blob = np.ascontiguousarray((bgr.astype(np.float32) - MEAN_BGR).transpose(2, 0, 1)[None])
        outputs = session.run(None, {"input": blob})
        (theirs,) = postprocess(
            [np.array(o) for o in outputs], 1, 3, h, w, score_threshold=threshold
        )
        ours = _decoded(outputs, w, h, threshold)
        assert len(ours) == len(theirs)
        for face, (box, score, marks) in zip(theirs, ours, strict=True):
            assert box == (face.x, face.y, face.width, face.height)
            assert score == pytest.approx(face.score, abs=1e-6)
            assert marks.tolist() == [[p.x, p.y] for p in face.landmarks]
        found += len(ours)
    assert found >= (20 if FACES.is_dir() else 8)


def test_the_anchors_of_only_the_latest_crop_sizes_are_kept() -> None:
    """The live stage's crops come in any size; the anchors of each were kept for good."""
    detector = FaceDetector()
    bgr = cv2.imread(str(_photos()[0]))
    for k in range(ANCHOR_SIZES_KEPT + 40):
        detector.detect(bgr[: 60 + k, : 80 + k])
    assert _anchors.cache_info().currsize <= ANCHOR_SIZES_KEPT
