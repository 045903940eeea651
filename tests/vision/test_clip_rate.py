"""The clip the victim sees is capped in bit rate: it has to reach a phone on a weak link.
Uncapped, people walking up to a door came to ~4.9 Mbps at 720p, a 20 s clip 12 MB."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from safewatch.vision import shown_run
from safewatch.vision.clips import write_edited
from safewatch.vision.faces.detector import FaceDetector
from safewatch.vision.privacy import FaceFinder, Redactor
from safewatch.vision.ring import PacketRing

FPS, SECONDS, CAP = 10, 10, 400  # kbps


def _busy(path: Path) -> Path:
    """Ten seconds of a picture that changes everywhere, every frame (the camera's own
    stream is large: the cap is the shown clip's)."""
    rng = np.random.default_rng(3)
    scene = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "10", "g": str(2 * FPS)}
        for n in range(SECONDS * FPS):
            noise = rng.integers(-40, 40, scene.shape)
            picture = np.clip(np.roll(scene, 7 * n, axis=1) + noise, 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _kbps(size_bytes: int) -> float:
    return size_bytes * 8 / SECONDS / 1000


def test_a_clip_blurred_from_its_original_keeps_to_the_cap(tmp_path: Path) -> None:
    source = _busy(tmp_path / "original.mp4")
    write_edited(source, tmp_path / "free.mp4", lambda i, frame: frame)
    write_edited(source, tmp_path / "shown.mp4", lambda i, frame: frame, max_kbps=CAP)
    assert _kbps((tmp_path / "free.mp4").stat().st_size) > 3 * CAP  # the scene is demanding
    assert _kbps((tmp_path / "shown.mp4").stat().st_size) <= 1.25 * CAP


def test_the_shared_encode_keeps_to_the_cap(tmp_path: Path) -> None:
    source = _busy(tmp_path / "original.mp4")
    finder = FaceFinder(FaceDetector(score_threshold=0.5), 960)
    redactor = Redactor(finder, detect_fps=5, sighting_window=0.3, clip_max_kbps=CAP)
    ring = PacketRing(60)
    with av.open(str(source)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            ring.push(packet)
        run = shown_run.EncodeRun("s1", shown_run.Codec.of(stream), 0.0, redactor)
        try:
            run.take(ring.window(0.0, SECONDS), [])
            run.advance(SECONDS, final=True)
            assert run.frames_encoded == SECONDS * FPS
            assert _kbps(sum(p.size for _, p in run.encoded)) <= 1.25 * CAP
        finally:
            run.close()
