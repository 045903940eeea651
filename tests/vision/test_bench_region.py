"""The region bench's streams (``safewatch bench camera --cameras N``): made from the video
they are named after, a short busy scene played forth and back so people stay in view."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from safewatch.demo.bench_region import FPS, STREAM_SECONDS, Streams, _played, make_streams


def _numbered(count: int) -> list[np.ndarray]:
    return [np.full((1, 1), k, np.uint8) for k in range(count)]


def test_a_short_scene_is_played_forth_and_back_for_the_whole_stream() -> None:
    picked = [int(f[0, 0]) for f in _played(_numbered(4), FPS)]
    assert len(picked) == FPS * STREAM_SECONDS
    assert picked[:10] == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]  # no jump back to the start


def test_a_long_scene_is_played_once_in_order_at_the_streams_rate() -> None:
    picked = [int(f[0, 0]) for f in _played(_numbered(250), 10.0)]  # a 10 fps video
    assert picked[: 3 * FPS : FPS] == [0, 10, 20]  # one frame of the video a tenth of a second


def test_streams_are_named_after_the_videos_they_are_made_from(tmp_path: Path) -> None:
    """They are made once and kept: a bench with another busy scene made its figures on the
    streams of the last one."""
    for name in (
        "busy_door_1080p15.mp4",
        "busy_door_360p15.mp4",
        "quiet_lawn_1080p15.mp4",
        "quiet_lawn_360p15.mp4",
    ):
        (tmp_path / name).write_bytes(b"made before")
    streams = make_streams(Path("lawn.avi"), tmp_path, Path("door.mp4"))
    assert streams == Streams(
        tmp_path / "busy_door_1080p15.mp4",
        tmp_path / "quiet_lawn_1080p15.mp4",
        tmp_path / "busy_door_360p15.mp4",
        tmp_path / "quiet_lawn_360p15.mp4",
    )
