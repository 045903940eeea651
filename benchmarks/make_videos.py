"""Makes the benchmark streams from vtest.avi: a busy and a quiet 720p15 H.264 camera."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av

FPS, SIZE = 15, (1280, 720)


def encode(frames: list[av.VideoFrame], dst: Path) -> None:
    with av.open(str(dst), "w") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height = SIZE
        s.pix_fmt, s.bit_rate = "yuv420p", 1_000_000
        s.options = {"preset": "veryfast", "g": str(2 * FPS), "bf": "0"}
        for n, frame in enumerate(frames):
            f = frame.reformat(width=SIZE[0], height=SIZE[1], format="yuv420p")
            f.pts, f.time_base = n, Fraction(1, FPS)
            out.mux(s.encode(f))
        out.mux(s.encode(None))


def main(src: Path, out: Path) -> None:
    busy = out / "vtest_720p15.mp4"
    quiet = out / "quiet_720p15.mp4"
    if busy.exists() and quiet.exists():
        return
    with av.open(str(src)) as c:
        frames = list(c.decode(video=0))
    src_fps = 10
    repeated = [
        frames[min(len(frames) - 1, int(n * src_fps / FPS))]
        for n in range(int(len(frames) * FPS / src_fps))
    ]
    encode(repeated, busy)
    # An empty scene (the lawn, where nobody stands at the start) with sensor noise, 60 s.
    import cv2
    import numpy as np

    lawn = frames[0].to_ndarray(format="bgr24")[330:, :]
    still = cv2.resize(lawn, SIZE)
    rng = np.random.default_rng(0)
    noisy = [
        av.VideoFrame.from_ndarray(
            np.clip(still.astype(np.int16) + rng.integers(-2, 3, still.shape), 0, 255).astype(
                np.uint8
            ),
            format="bgr24",
        )
        for _ in range(FPS * 60)
    ]
    encode(noisy, quiet)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
