"""Face-stage cost per frame with one face, beside the bare detector + embedder calls.

Usage: .venv/bin/python benchmarks/faces.py [VIDEO]  (default: the Hamilton clip in ../shared)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import av
import numpy as np
import supervision as sv

from safewatch.vision.faces.enrol import Enroller
from safewatch.vision.faces.evaluate import photos_of
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD
from safewatch.vision.faces.stage import RecognitionStage
from safewatch.vision.faces.templates import TemplateSet

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main(video: Path) -> None:
    enroller = Enroller()
    first = sorted((SHARED / "faces").iterdir())[0]
    listed, _ = enroller.enrol(first.name, "watch", photos_of(first)[:3])
    assert listed is not None, f"no usable photo of {first.name}"
    watch = [TemplateSet("x", "watch", listed.vectors)]
    stage = RecognitionStage(watch, DEFAULT_THRESHOLD, enroller.detector, enroller.embedder)
    stage_ms, bare_ms = [], []
    with av.open(str(video)) as c:
        frames = [
            f.to_ndarray(format="bgr24") for i, f in enumerate(c.decode(video=0)) if i % 6 == 0
        ]
    for i, bgr in enumerate(frames):
        faces = enroller.detector.detect(bgr)
        if len(faces) != 1 or faces[0].width < 40:
            continue
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        t0 = time.perf_counter()
        enroller.detector.detect(bgr)
        enroller.embedder.embed(rgb, faces[0])
        bare_ms.append((time.perf_counter() - t0) * 1000)
        stage._tracks.clear()  # every frame embeds, as the first shot of a track does
        t0 = time.perf_counter()
        stage.attach(bgr, sv.Detections.empty(), float(i))
        stage_ms.append((time.perf_counter() - t0) * 1000)
    b, s = statistics.median(bare_ms), statistics.median(stage_ms)
    print(f"frames with one face: {len(bare_ms)}")
    print(f"bare detector + embedder: {b:.1f} ms; face stage: {s:.1f} ms; ratio {s / b:.2f}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else SHARED / "video" / "face_recognition_short_hamilton_clip.mp4"
    )
