"""An event's snapshot from the record stream: the frame at the trigger, whatever the order the
events ask in, with the decoder of the last snapshot carried on within its GOP."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from safewatch.vision import snapshot
from safewatch.vision.clips import decoded
from safewatch.vision.record import RecordStream
from safewatch.vision.ring import PacketRing

FPS, GOP = 10, 10  # a keyframe every second


def _stream(path: Path, b_frames: int) -> Path:
    """Four seconds of 320×240 H.264 whose frames differ from the ones next to them."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(GOP), "bf": str(b_frames)}
        # One scene, with a bar that grows frame by frame: frames are made from the ones
        # they refer to (a new picture each frame would be all intra, whatever is missing).
        scene = np.random.default_rng(7).integers(0, 255, (240, 320, 3), dtype=np.uint8)
        for n in range(4 * FPS):
            picture = scene.copy()
            picture[: 10 * (n % 24) + 5, :, 1] = 255
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


B_FRAMES = pytest.mark.parametrize("b_frames", [0, 2], ids=["no B-frames", "B-frames"])


@B_FRAMES
def test_each_snapshot_is_the_frame_at_its_trigger_in_any_order(
    tmp_path: Path, b_frames: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, a camera with B-frames got the wrong frame: the GOP was cut by time, without
    the later reference its B-frames need, and the last frame out was taken."""
    video = _stream(tmp_path / "main.mp4", b_frames)
    truth = _frames(video)
    record = _recorded(video)
    flushed = _counted(monkeypatch, "_decoded_whole")
    started = _counted(monkeypatch, "new_decoder")
    for n in ORDER:
        picture = record.picture_at(1000.0 + n / FPS + 0.01)
        assert picture is not None
        assert np.array_equal(picture, truth[n]), f"frame {n}"
    # A decoder is started for 3, 12, 5, 0 (earlier than 5), 10, 25 and 39, and carried on
    # (or its picture given again) for the others. None decoded its GOP twice, but for the
    # stream's last frame: with B-frames nothing comes after it to push it out.
    assert len(started) == 7
    assert len(flushed) == (1 if b_frames else 0)
    record.close()


@B_FRAMES
def test_a_snapshot_taken_as_the_stream_comes_waits_for_its_frame(
    tmp_path: Path, b_frames: int
) -> None:
    """The trigger's frame is asked for as soon as ``wait_for`` lets it: with B-frames a
    later frame comes before it, and the frame itself after."""
    video = _stream(tmp_path / "main.mp4", b_frames)
    truth = _frames(video)
    record = RecordStream(30)
    container = av.open(str(video))
    record.open(container)
    waiting = [5, 6, 14, 15, 16, 23, 31]
    for packet in container.demux(video=0):
        if packet.pts is None or not packet.size:
            continue
        t = float(packet.pts * packet.time_base)
        record.push(t, packet, 1000.0 + t)
        came = record.ring.decoded_to
        assert came is not None
        for n in [n for n in waiting if came >= n / FPS + 0.01]:
            picture = record.picture_at(1000.0 + n / FPS + 0.01)
            assert picture is not None and np.array_equal(picture, truth[n]), f"frame {n}"
            waiting.remove(n)
    assert waiting == []
    record.close()


@B_FRAMES
def test_events_of_one_frame_share_its_picture_and_cannot_draw_on_it(
    tmp_path: Path, b_frames: int
) -> None:
    record = _recorded(_stream(tmp_path / "main.mp4", b_frames))
    first = record.picture_at(1001.51)
    assert first is not None
    assert record.picture_at(1001.52) is first
    with pytest.raises(ValueError, match="read-only"):
        first[0, 0] = 0
    record.close()


@B_FRAMES
def test_the_decoder_is_let_go_when_the_next_gop_begins_or_the_stream_ends(
    tmp_path: Path, b_frames: int
) -> None:
    """A 1080p decoder holds ~25 MB of frames: kept only while another event may come in
    its GOP."""
    video = _stream(tmp_path / "main.mp4", b_frames)
    record = RecordStream(30)
    container = av.open(str(video))
    record.open(container)
    holding = []
    for packet in [p for p in container.demux(video=0) if p.pts is not None and p.size]:
        t = float(packet.pts * packet.time_base)
        record.push(t, packet, 1000.0 + t)
        if len(holding) in (5, 3 * GOP + 5):
            assert record.picture_at(1000.0 + (len(holding) - 3) / FPS) is not None
        holding.append(record._snapshots.holding)
    assert holding[5:GOP] == [True] * (GOP - 5)
    assert not any(holding[GOP : 3 * GOP + 5])
    assert holding[-1]
    record.retire(container)  # the camera went: nothing will let it go later
    assert not record._snapshots.holding
    record.close()


def test_a_snapshot_waits_for_its_frame_and_no_longer_than_the_stream(tmp_path: Path) -> None:
    """The main stream comes a little after the sub stream: a snapshot waits for its frame
    (woken by the packet that brings it), and not at all for a stream that has gone."""
    video = _stream(tmp_path / "main.mp4", 2)
    truth = _frames(video)
    record = RecordStream(30)
    container = av.open(str(video))
    record.open(container)
    packets = [p for p in container.demux(video=0) if p.pts is not None and p.size]

    def arrive() -> None:
        for packet in packets:
            t = float(packet.pts * packet.time_base)
            record.push(t, packet, 1000.0 + t)
            time.sleep(0.005)

    sender = threading.Thread(target=arrive)
    sender.start()
    record.wait_for(1002.51, timeout=30)
    assert record.picture_at(1002.51) is not None  # it came, though the sender goes on
    assert np.array_equal(record.picture_at(1002.51), truth[25])
    sender.join()
    record.retire(container)
    started = time.monotonic()
    record.wait_for(1010.0, timeout=30)  # a frame that will never come, of a stream gone
    assert time.monotonic() - started < 5
    record.close()


def test_a_clock_that_jumps_back_is_the_rings_newest_again() -> None:
    """The shared encode and the clips tell a camera that rebooted by the ring's newest
    falling back; the latest frame's time kept as a running maximum never fell."""
    ring = PacketRing(30)
    for t in [0.0, 0.3, 0.1, 0.2, 0.6, 0.4, 0.5, 5.0, 0.1, 0.4, 0.2]:
        packet = av.Packet(b"\x00" * 8)
        packet.pts, packet.time_base = round(t * 1000), Fraction(1, 1000)
        packet.is_keyframe = t in (0.0, 0.1)
        ring.push(packet)
    assert ring.newest == 0.4


class _Breakable:
    """A decoder that meets a broken packet when told to, as FFmpeg's own error says it."""

    def __init__(self, real: av.CodecContext) -> None:
        self.real, self.broken_next = real, False

    def decode(self, packet: av.Packet | None) -> list[av.VideoFrame]:
        if self.broken_next:
            self.broken_next = False
            raise av.InvalidDataError(1094995529, "Invalid data found when processing input")
        return self.real.decode(packet)  # type: ignore[attr-defined,no-any-return]


@B_FRAMES
def test_a_packet_that_breaks_the_carried_on_decoder_costs_one_snapshot_not_the_next(
    tmp_path: Path, b_frames: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second event of a GOP carries on the first one's decoder; a packet that breaks it
    there gives that event no main-stream picture (it takes the detect stream's), and lets
    the decoder go: the next event starts again from the keyframe and gets its frame."""
    video = _stream(tmp_path / "main.mp4", b_frames)
    truth = _frames(video)
    record = _recorded(video)
    made: list[_Breakable] = []
    real = snapshot.new_decoder

    def breakable(stream: object) -> object:
        made.append(_Breakable(real(stream)))
        return made[-1]

    monkeypatch.setattr(snapshot, "new_decoder", breakable)
    first = record.picture_at(1000.0 + 3 / FPS + 0.01)
    assert first is not None and np.array_equal(first, truth[3])
    made[0].broken_next = True  # the next packet fed to it
    assert record.picture_at(1000.0 + 7 / FPS + 0.01) is None  # broke while carried on
    assert len(made) == 1 and not record._snapshots.holding
    again = record.picture_at(1000.0 + 7 / FPS + 0.01)
    assert again is not None and np.array_equal(again, truth[7])
    assert len(made) == 2  # started again from the keyframe
    record.close()


def _counted(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Counts the calls to ``snapshot.<name>``."""
    calls: list[int] = []
    real = getattr(snapshot, name)

    def counting(*args: object) -> object:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(snapshot, name, counting)
    return calls


@B_FRAMES
def test_a_clips_packets_decode_whole_to_its_last_frame(tmp_path: Path, b_frames: int) -> None:
    """A clip (the police original) is its packets remuxed: cut by time, a B-frame camera's
    clip ended on B-frames whose later reference was left out, and did not decode."""
    video = _stream(tmp_path / "main.mp4", b_frames)
    truth = _frames(video)
    record = _recorded(video)
    packets = record.ring.window(1.0, 2.45)
    stream = record.stream
    assert stream is not None and stream.time_base is not None
    frames = {
        round(float(f.pts * stream.time_base) * FPS): f.to_ndarray(format="bgr24")
        for f in decoded(stream, packets)
        if f.pts is not None
    }
    for n in range(FPS, round(2.45 * FPS) + 1):  # from the keyframe at 1 s to the end
        assert n in frames and np.array_equal(frames[n], truth[n]), f"frame {n}"
    record.close()
