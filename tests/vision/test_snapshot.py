"""An event's snapshot from the record stream: the frame at the trigger, whatever the order the
events ask in, with the decoder of the last snapshot carried on within its GOP."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from safewatch.vision.record import RecordStream

FPS, GOP = 10, 10  # a keyframe every second


def _stream(path: Path, b_frames: int) -> Path:
    """Four seconds of 320×240 H.264 whose frames all differ."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(GOP), "bf": str(b_frames)}
        rng = np.random.default_rng(7)
        for n in range(4 * FPS):
            picture = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
            picture[: 10 * (n % 24) + 5, :, 1] = 255  # a bar that grows frame by frame
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def _recorded(path: Path) -> RecordStream:
    """The stream's packets as they came, its 0 at 1000 s on the wall clock."""
    record = RecordStream(30)
    container = av.open(str(path))
    record.open(container)
    for packet in container.demux(video=0):
        if packet.pts is not None and packet.size:
            t = float(packet.pts * packet.time_base)
            record.push(t, packet, 1000.0 + t)
    record.live = False
    return record


# Frames asked for as a busy camera's events ask: later in a GOP, the same frame again, the
# next GOP, back into an earlier one (a late event), the very first frame, and the last.
ORDER = [3, 7, 7, 8, 12, 15, 5, 0, 9, 10, 25, 39]


@pytest.mark.parametrize("b_frames", [0, 2], ids=["no B-frames", "B-frames"])
def test_each_snapshot_is_the_frame_at_its_trigger_in_any_order(
    tmp_path: Path, b_frames: int
) -> None:
    video = _stream(tmp_path / "main.mp4", b_frames)
    truth = _frames(video)
    record = _recorded(video)
    for n in ORDER:
        picture = record.picture_at(1000.0 + n / FPS + 0.01)
        assert picture is not None
        assert np.array_equal(picture, truth[n]), f"frame {n}"
    record.close()


def test_events_of_one_frame_share_its_picture_and_cannot_draw_on_it(tmp_path: Path) -> None:
    record = _recorded(_stream(tmp_path / "main.mp4", 0))
    first = record.picture_at(1001.51)
    assert first is not None
    assert record.picture_at(1001.52) is first
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0] = 0
    record.close()


def test_the_decoder_is_let_go_two_gops_after_its_snapshot(tmp_path: Path) -> None:
    """A 1080p decoder holds ~30 MB of frames: kept only while another event may come in
    its GOP."""
    video = _stream(tmp_path / "main.mp4", 0)
    record = RecordStream(30)
    container = av.open(str(video))
    record.open(container)
    packets = [p for p in container.demux(video=0) if p.pts is not None and p.size]
    holding = []
    for packet in packets:
        t = float(packet.pts * packet.time_base)
        record.push(t, packet, 1000.0 + t)
        if round(t * FPS) == 3:
            assert record.picture_at(1000.31) is not None
        holding.append(record._snapshots.holding)
    assert holding[3 : 2 * GOP] == [True] * (2 * GOP - 3)
    assert not any(holding[2 * GOP :])
    record.close()
