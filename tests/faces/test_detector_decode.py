"""The face detector decodes RetinaFace's outputs itself, only the anchors above the threshold;
the faces are those the package's own ``postprocess`` gives, to the pixel, on real photos and
on crops of them of many sizes (the live stage searches crops around heads)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from retinaface.postprocess import postprocess

from safewatch.vision.faces.detector import MEAN_BGR, FaceDetector, _decoded

FACES = Path(__file__).parents[2].parent / "shared" / "data" / "faces"


def _crops() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    crops = []
    for path in sorted(FACES.glob("*/*.jpg"))[::12]:
        img = cv2.imread(str(path))
        if img is None:
            continue
        h, w = img.shape[:2]
        crops.append(img)
        for _ in range(2):
            x, y = rng.integers(0, w // 3), rng.integers(0, h // 3)
            crops.append(
                img[y : y + rng.integers(h // 3, h - y), x : x + rng.integers(w // 3, w - x)]
            )
    return crops


@pytest.mark.skipif(not FACES.is_dir(), reason=f"real faces are not here ({FACES} absent)")
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
    assert found >= 20
