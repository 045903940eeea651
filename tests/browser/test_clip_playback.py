"""The clip a victim sees is cut from the camera's shared blurred encode by remux, starting
mid-GOP: an MP4 edit list hides the frames before its start. The phone's browser must honour
it — play from the clip's first frame, for the clip's length — or the victim would see
seconds nobody meant to show her."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from fractions import Fraction
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from safewatch.vision import shown_run
from safewatch.vision.clip_source import PendingClip
from safewatch.vision.config import PrivacyConfig
from safewatch.vision.privacy import Redactor
from safewatch.vision.ring import PacketRing

FPS, SHADE = 10, 6  # frame i is grey at i * SHADE: the picture says which frame it is


def _numbered(path: Path, frames: int) -> Path:
    """Keyframes 2 s apart, as a camera sends them."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(2 * FPS), "bf": "0"}
        for i in range(frames):
            grey = np.full((240, 320, 3), i * SHADE, np.uint8)
            frame = av.VideoFrame.from_ndarray(grey, format="bgr24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()


def test_a_clip_cut_mid_gop_plays_from_its_first_frame_for_its_length(
    chromium: Any, served: tuple[str, Path]
) -> None:
    url, folder = served
    video = _numbered(folder / "camera.mp4", 40)
    ring = PacketRing(60)
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            ring.push(packet)
        redactor = Redactor.from_config(PrivacyConfig(), 5.0)
        assert redactor is not None
        run = shown_run.EncodeRun("s1", shown_run.Codec.of(stream), 0.0, redactor)
        run.take(ring.window(0.0, 4.0), [])
        run.advance(4.0, final=True)
        # 1.3 s → 3.3 s: the encode's keyframes are a second apart, so 0.3 s of the GOP
        # before the start is in the file, hidden by the edit list.
        run.cut(PendingClip(uuid.uuid4(), 1.3, 3.3), folder / "clip.mp4", stream_ended=False)
        run.close()

    (folder / "index.html").write_text(  # same origin: the canvas may be read
        '<video id="v" src="clip.mp4" muted preload="auto"></video>'
        '<canvas id="c" width="320" height="240"></canvas>'
    )
    page = chromium.new_page()
    page.goto(f"{url}/index.html")
    page.wait_for_function("() => document.getElementById('v').readyState >= 2", timeout=10_000)
    duration = page.evaluate("() => document.getElementById('v').duration")
    first = page.evaluate(
        """() => { const v = document.getElementById('v'), c = document.getElementById('c');
        const g = c.getContext('2d'); g.drawImage(v, 0, 0, 320, 240);
        return g.getImageData(160, 120, 1, 1).data[0]; }"""
    )
    page.close()
    assert duration == pytest.approx(2.1, abs=0.15)  # 21 frames at 10 fps
    assert first == pytest.approx(13 * SHADE, abs=8)  # frame 13 (1.3 s), not the keyframe
