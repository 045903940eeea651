"""An ONNX person detector with YOLO (v5/v8-style) output, for sites that bring a stronger model.

Output accepted: ``[1, 4 + C, N]`` (v8: cx, cy, w, h, class scores) or ``[1, N, 5 + C]``
(v5: cx, cy, w, h, objectness, class scores), in input pixels; class 0 is the person.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import supervision as sv

from safewatch.vision.detectors.base import person_detections

NMS_IOU = 0.5


class OnnxYoloDetector:
    def __init__(self, path: Path, input_size: int, confidence: float) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"ONNX detector model not found: {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.size = input_size
        self.confidence = confidence
        self.name = f"onnx:{path.name}"

    def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
        h, w = frame_bgr.shape[:2]
        scale = self.size / max(h, w)  # letterbox: keep the aspect ratio, pad the rest
        resized = cv2.resize(frame_bgr, (round(w * scale), round(h * scale)))
        canvas = np.full((self.size, self.size, 3), 114, dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        blob = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        (raw,) = self.session.run(None, {self.input_name: blob})[:1]
        return self._decode(np.asarray(raw)[0], scale, w, h)

    def _decode(self, out: np.ndarray, scale: float, w: int, h: int) -> sv.Detections:
        if out.shape[0] < out.shape[1]:  # v8: [4 + C, N]
            out = out.T
            scores = out[:, 4]
        else:  # v5: [N, 5 + C]
            scores = out[:, 4] * out[:, 5]
        keep = scores >= self.confidence
        cx, cy, bw, bh = (out[keep, i] for i in range(4))
        xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1) / scale
        xyxy = np.clip(xyxy, 0, [w, h, w, h])
        dets = person_detections(xyxy, scores[keep])
        return dets.with_nms(threshold=NMS_IOU) if len(dets) else dets
