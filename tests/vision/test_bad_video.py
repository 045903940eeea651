"""Broken input: the pipeline keeps going, or says clearly why it cannot start."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from safewatch.vision.analyze import analyze
from safewatch.vision.source import SourceError
from tests.vision.sites import WHOLE_VIEW as SITE


def test_truncated_stream_is_analysed_up_to_the_cut(vtest_ts: Path, tmp_path: Path) -> None:
    ts = vtest_ts
    data = ts.read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(data[: len(data) // 2 + 77])  # mid-packet
    whole = analyze(ts, SITE)
    half = analyze(cut, SITE)
    assert 0 < half.play.frames < whole.play.frames


def test_truncated_mp4_without_its_index_is_a_clear_error(
    vtest_short: Path, tmp_path: Path
) -> None:
    data = vtest_short.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # the index (moov) is at the end: gone
    with pytest.raises(SourceError, match=r"cannot open .*cut.mp4: .*Invalid data"):
        analyze(cut, SITE)


def test_flipped_bits_are_skipped_not_fatal(vtest_ts: Path, tmp_path: Path) -> None:
    data = bytearray(vtest_ts.read_bytes())
    rng = random.Random(7)
    for _ in range(200):  # damage the picture data, not the header
        i = rng.randrange(len(data) // 10, len(data))
        data[i] ^= 1 << rng.randrange(8)
    damaged = tmp_path / "damaged.ts"
    damaged.write_bytes(bytes(data))
    result = analyze(damaged, SITE, clip_dir=tmp_path / "clips")
    assert result.play.frames > 50
    assert all(line["type"] == "intrusion" for line in result.lines())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "cannot open"),
        (b"this is not a video at all" * 100, "cannot open"),
    ],
)
def test_garbage_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        analyze(path, SITE)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such video file"):
        analyze(tmp_path / "nope.mp4", SITE)


def test_a_file_without_video(tmp_path: Path) -> None:
    import av

    path = tmp_path / "audio.wav"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame(format="s16", layout="mono", samples=800)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(SourceError, match="has no video stream"):
        analyze(path, SITE)
