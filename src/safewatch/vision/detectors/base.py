"""The person-detector port. A detector turns a BGR frame into person boxes in pixels."""

from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np
import supervision as sv

from safewatch.vision.config import DetectorConfig

PERSON = 0  # class id every detector reports persons under


class PersonDetector(Protocol):
    name: str

    def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
        """Persons in the frame: ``xyxy`` in pixels, ``confidence``, ``class_id`` = PERSON."""
        ...


def make_detector(config: DetectorConfig) -> PersonDetector:
    if config.type == "plugin":
        assert config.plugin is not None
        module, function = config.plugin.split(":")
        made: PersonDetector = getattr(importlib.import_module(module), function)(config)
        return made
    if config.type == "onnx":
        from safewatch.vision.detectors.onnx_yolo import OnnxYoloDetector

        assert config.model_path is not None
        return OnnxYoloDetector(config.model_path, config.input_size, config.confidence)
    from safewatch.vision.detectors.ssd import SsdPersonDetector

    return SsdPersonDetector(config.confidence)


def person_detections(xyxy: np.ndarray, confidence: np.ndarray) -> sv.Detections:
    return sv.Detections(
        xyxy=xyxy.astype(np.float32).reshape(-1, 4),
        confidence=confidence.astype(np.float32).reshape(-1),
        class_id=np.full(len(confidence), PERSON, dtype=int),
    )
