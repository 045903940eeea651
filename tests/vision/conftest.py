"""Video fixtures: Debian's real surveillance video, and H.264 versions made from it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

SHIPPED = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
FETCHED = Path(__file__).parents[2] / "var" / "testdata" / "vtest.avi"


def vtest_path() -> Path | None:
    for candidate in (os.environ.get("SAFEWATCH_TEST_VIDEO"), str(FETCHED), str(SHIPPED)):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(name.startswith("vtest") for name in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.video)


@pytest.fixture(scope="session")
def vtest_avi() -> Path:
    path = vtest_path()
    if path is None:
        reason = (
            "vtest.avi (Debian opencv-doc) is not here: run scripts/fetch-test-video.sh "
            "var/testdata/vtest.avi, or make test, which does"
        )
        if os.environ.get("SAFEWATCH_REQUIRE_TEST_VIDEO"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def transcode(
    src: Path,
    dst: Path,
    seconds: float | None = None,
    size: tuple[int, int] | None = None,
    fps: int | None = None,
) -> Path:
    """H.264, GOP 2 s, no B-frames, 1 Mbps: like a home camera's main stream."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        rate = fps or int(vin.average_rate or 10)
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = size or (vin.codec_context.width, vin.codec_context.height)
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 1_000_000
        stream.options = {"preset": "ultrafast", "g": str(2 * rate), "bf": "0"}
        n = 0
        src_rate = float(vin.average_rate or rate)
        for i, frame in enumerate(inp.decode(vin)):
            t = i / src_rate
            if seconds is not None and t >= seconds:
                break
            while n / rate <= t + 1e-9:  # repeat frames to reach a higher fps
                f = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
                f.pts, f.time_base = n, Fraction(1, rate)
                out.mux(stream.encode(f))
                n += 1
        out.mux(stream.encode(None))
    return dst


@pytest.fixture(scope="session")
def vtest(vtest_avi: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole of vtest.avi as H.264 (768×576, 10 fps)."""
    return transcode(vtest_avi, tmp_path_factory.mktemp("video") / "vtest.mp4")


def from_frame(src: Path, dst: Path, skip: int, size: tuple[int, int] | None = None) -> Path:
    """The video from frame ``skip`` on, H.264 at 10 fps (``size``: scaled)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height = size or (vin.codec_context.width, vin.codec_context.height)
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "20", "bf": "0"}
        for i, frame in enumerate(inp.decode(vin)):
            if i < skip:
                continue
            frame = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
            frame.pts, frame.time_base = i - skip, Fraction(1, 10)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return dst


@pytest.fixture(scope="session")
def vtest_sub_odd_frames(vtest_avi: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """vtest.avi as a 640×360 sub stream from its second frame: analysing 5 of its 10 frames
    a second, the odd ones."""
    return from_frame(vtest_avi, tmp_path_factory.mktemp("video") / "sub_odd.mp4", 1, (640, 360))


@pytest.fixture(scope="session")
def vtest_short(vtest_avi: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 s as H.264."""
    return transcode(vtest_avi, tmp_path_factory.mktemp("video") / "short.mp4", seconds=12)


@pytest.fixture(scope="session")
def vtest_short_h265(vtest_short: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same 12 s as H.265 (HEVC), as newer cameras send their main stream."""
    dst = tmp_path_factory.mktemp("video") / "short_hevc.mp4"
    with av.open(str(vtest_short)) as inp, av.open(str(dst), "w") as out:
        s = out.add_stream("libx265", rate=10)
        s.width, s.height, s.pix_fmt = 768, 576, "yuv420p"
        s.options = {"preset": "ultrafast", "x265-params": "keyint=20:bframes=0:log-level=none"}
        for i, frame in enumerate(inp.decode(video=0)):
            frame.pts, frame.time_base = i, Fraction(1, 10)
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    return dst


@pytest.fixture
def synthetic_video(tmp_path: Path) -> Callable[..., Path]:
    """Writes an H.264 file from a function of the frame number (BGR frames)."""

    def make(
        frames: int,
        picture: Callable[[int], np.ndarray],
        fps: int = 10,
        name: str = "synthetic.mp4",
    ) -> Path:
        path = tmp_path / name
        first = picture(0)
        with av.open(str(path), "w") as out:
            stream = out.add_stream("libx264", rate=fps)
            stream.height, stream.width = first.shape[:2]
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "g": str(2 * fps), "bf": "0"}
            for i in range(frames):
                f = av.VideoFrame.from_ndarray(picture(i), format="bgr24")
                f.pts, f.time_base = i, Fraction(1, fps)
                out.mux(stream.encode(f))
            out.mux(stream.encode(None))
        return path

    return make


@pytest.fixture
def chdir_tmp(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


@pytest.fixture(scope="session")
def vtest_ts(vtest_short: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same H.264 packets in MPEG-TS, the streaming container cameras send."""
    dst = tmp_path_factory.mktemp("video") / "short.ts"
    with av.open(str(vtest_short)) as inp, av.open(str(dst), "w", format="mpegts") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        for packet in inp.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            out.mux(packet)
    return dst
