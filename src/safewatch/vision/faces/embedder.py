"""dlib's ResNet face descriptor (128-d), aligned with its 5-point landmark model.

Both model files ship in the ``face-recognition-models`` package; dlib comes from ``dlib-bin``.
Each face is embedded as it is and mirrored, and the two are averaged (test-time flip).
Enrolment photos are embedded once, so they can afford dlib's jitter (many slightly moved and
scaled copies averaged): on the shared faces' open-set cross-validation it raised the TAR at
FAR 0.1 % from 94.1 % to 94.5 % (mean of ten fold splits); jittering video shots gained
nothing and would cost ten times the time.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import dlib
import numpy as np

from safewatch.vision.faces.detector import Face

CHIP_SIZE = 150
CHIP_PADDING = 0.25


def _model(name: str) -> str:
    root = importlib.resources.files("face_recognition_models") / "models" / name
    return str(Path(str(root)))


def _unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float32)


class FaceEmbedder:
    name = "dlib-resnet-v1+flip"

    def __init__(self, flip: bool = True) -> None:
        self.shape = dlib.shape_predictor(_model("shape_predictor_5_face_landmarks.dat"))
        self.net = dlib.face_recognition_model_v1(
            _model("dlib_face_recognition_resnet_model_v1.dat")
        )
        self.flip = flip

    def chip(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The aligned 150×150 face, as the network expects it."""
        x1, y1, x2, y2 = (round(v) for v in face.box)
        shape = self.shape(rgb, dlib.rectangle(x1, y1, x2, y2))
        return np.asarray(dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING))

    def _descriptor(self, chip: np.ndarray, jitters: int) -> np.ndarray:
        return np.array(self.net.compute_face_descriptor(chip, jitters), dtype=np.float32)

    def descriptors(self, chip: np.ndarray, jitters: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The plain descriptor of the chip, and the one the pipeline uses (averaged with the
        mirrored view's when ``flip``); both unit length. The evaluation needs both."""
        plain = self._descriptor(chip, jitters)
        v = plain
        if self.flip:
            v = plain + self._descriptor(np.ascontiguousarray(chip[:, ::-1]), jitters)
        return _unit(plain), _unit(v)

    def embed_chip(self, chip: np.ndarray, jitters: int = 0) -> np.ndarray:
        return self.descriptors(chip, jitters)[1]

    def embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """A unit-length 128-d vector for the face."""
        return self.embed_chip(self.chip(rgb, face))
