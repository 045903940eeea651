"""Sources and codecs a camera may bring: HTTP streams, H.265, and what tampering looks like."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from safewatch.vision.analyze import analyze
from tests.vision.sites import WHOLE_VIEW as SITE


@pytest.fixture
def http_server(vtest_ts: Path) -> Iterator[str]:
    """A plain web server (no range requests) over the folder of the test stream."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(vtest_ts.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_an_http_stream_is_analysed_like_a_file(http_server: str, vtest_ts: Path) -> None:
    from_http = analyze(http_server + vtest_ts.name, SITE)
    from_file = analyze(vtest_ts, SITE)
    assert from_http.play.frames == from_file.play.frames == 120
    assert [e.type for e in from_http.sink.events] == [e.type for e in from_file.sink.events]
    assert from_http.play.ended_by is None


def test_h265_is_decoded_and_remuxed(vtest_short_h265: Path, tmp_path: Path) -> None:
    hevc = vtest_short_h265
    result = analyze(hevc, SITE, clip_dir=tmp_path / "clips")
    assert result.sink.events
    [(event_id, clip)] = list(result.sink.clips.items())[:1]
    assert clip is not None
    with av.open(result.sink.originals[event_id]) as c:  # the original: the camera's packets
        assert c.streams.video[0].codec_context.name == "hevc"
    with av.open(clip) as c:  # the one shown, blurred: encoded again, as H.264
        assert c.streams.video[0].codec_context.name == "h264"


def test_a_camera_blacked_out_is_reported_once(synthetic_video: Callable[..., Path]) -> None:
    rng = np.random.default_rng(1)
    scene = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)

    def picture(i: int) -> np.ndarray:
        return scene if i < 50 else np.zeros_like(scene)  # 5 s of view, then 10 s of black

    video = synthetic_video(150, picture)
    result = analyze(video, SITE)
    tampered = [e for e in result.sink.events if e.type == "camera_tampered"]
    assert len(tampered) == 1
    assert tampered[0].detail and tampered[0].detail.startswith("blacked_out")
    assert 7.5 <= tampered[0].video_t <= 9.0  # reported after 3 s of black
