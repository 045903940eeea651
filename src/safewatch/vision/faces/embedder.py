"""dlib's ResNet face descriptor (128-d), aligned with its 5-point landmark model.

Both model files ship in the ``face-recognition-models`` package; dlib comes from ``dlib-bin``.
Each face is embedded as it is and mirrored, and the two are averaged (test-time flip).
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

    def descriptors(self, chip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The plain descriptor of the chip, and the one the pipeline uses (averaged with the
        mirrored view's when ``flip``); both unit length. The evaluation needs both."""
        plain = np.array(self.net.compute_face_descriptor(chip), dtype=np.float32)
        v = plain
        if self.flip:
            mirrored = np.ascontiguousarray(chip[:, ::-1])
            v = plain + np.array(self.net.compute_face_descriptor(mirrored), dtype=np.float32)
        return _unit(plain), _unit(v)

    def embed_chip(self, chip: np.ndarray) -> np.ndarray:
        return self.descriptors(chip)[1]

    def embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """A unit-length 128-d vector for the face."""
        return self.embed_chip(self.chip(rgb, face))
