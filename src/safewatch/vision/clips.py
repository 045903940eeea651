"""Cutting event clips out of the pre-roll: MP4 with faststart, playable in a browser.

H.264 (and H.265) sources are remuxed packet by packet — no re-encoding, a few milliseconds.
Other codecs (old MPEG-4 cameras, files) cannot go into a browser-playable MP4 as they are: those
clips are transcoded to H.264 as a fallback, which costs CPU (~0.7 core-seconds per 10 s here).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
from av.video.stream import VideoStream

from safewatch.vision.ring import Packet, TimedPacket

REMUXABLE = {"h264", "hevc"}
# Changes a decoded frame (its index in the clip) before it is encoded: the privacy blur.
FrameEdit = Callable[[int, av.VideoFrame], av.VideoFrame]
# The clip shown is scaled down bilinearly: half the cost of swscale's default (bicubic),
# and a 1080p → 720p picture looks the same on a phone.
SCALING = "BILINEAR"


class ClipError(RuntimeError):
    pass


@contextlib.contextmanager
def _atomically(path: Path) -> Iterator[Path]:
    """A file beside ``path`` that becomes it when the block ends well. PyAV's errors and
    bad values become ClipError; a file error (a full disk) stays what it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except (av.FFmpegError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise ClipError(f"could not write the clip: {exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_clip(stream: VideoStream, packets: list[TimedPacket], path: Path) -> str:
    """Write the packets as an MP4 at ``path`` (atomically); returns 'remux' or 'transcode'."""
    if not packets:
        raise ClipError("no video in the pre-roll for this clip")
    with _atomically(path) as tmp:
        if stream.codec_context.name in REMUXABLE:
            _remux(stream, packets, tmp)
            return "remux"
        _transcode(stream, packets, tmp)
        return "transcode"


def new_decoder(stream: VideoStream) -> av.CodecContext:
    """A decoder of its own for a stream's packets."""
    ctx = stream.codec_context
    return decoder_of(ctx.name, ctx.width, ctx.height, ctx.extradata)


def decoder_of(name: str, width: int, height: int, extradata: bytes | None) -> av.CodecContext:
    """A decoder on one thread: a camera's worker has many, and FFmpeg's pool for each
    (one thread per core) held memory and gained nothing on one-slice camera streams."""
    decoder = av.CodecContext.create(name, "r")
    decoder.width, decoder.height = width, height  # type: ignore[attr-defined]
    decoder.thread_type = "NONE"
    if extradata:
        decoder.extradata = extradata
    return decoder


def decoded(stream: VideoStream, packets: Sequence[TimedPacket]) -> Iterator[av.VideoFrame]:
    """The clip's frames, decoded on their own (the camera's decoder is busy with the live
    stream); each keeps its time on the stream's clock."""
    decoder = new_decoder(stream)
    for item in packets:
        yield from decoder.decode(item.packet)  # type: ignore[attr-defined]
    yield from decoder.decode(None)  # type: ignore[attr-defined]


def _remux(stream: VideoStream, packets: Sequence[TimedPacket], path: Path) -> None:
    first = packets[0].packet
    base = first.dts if first.dts is not None else first.pts
    if base is None:
        raise ClipError("the first packet of the clip has no timestamp")
    _mux(stream, [item.packet for item in packets], path, base)


def write_remux(template: VideoStream, packets: Sequence[Packet], path: Path, start: int) -> None:
    """Encoded packets as an MP4 at ``path`` (atomically) that plays from ``start`` (in the
    packets' time base): those before it, from the keyframe they need, are hidden by an MP4
    edit list, so the clip starts on the very frame."""
    with _atomically(path) as tmp:
        _mux(template, packets, tmp, start)


def _mux(template: VideoStream, packets: Sequence[Packet], path: Path, base: int) -> None:
    """Copies of the packets (the originals serve other clips), ``base`` at time 0."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        out_stream = out.add_stream_from_template(template)
        for src in packets:
            copy = av.Packet(bytes(src))
            copy.pts = None if src.pts is None else src.pts - base
            copy.dts = None if src.dts is None else src.dts - base
            copy.time_base = src.time_base
            copy.is_keyframe = src.is_keyframe
            copy.stream = out_stream
            out.mux(copy)


def _transcode(stream: VideoStream, packets: Sequence[TimedPacket], path: Path) -> None:
    rate = stream.average_rate or stream.guessed_rate or Fraction(10)
    size = stream.codec_context.width, stream.codec_context.height
    _encode(decoded(stream, packets), size, rate, path, None, None)


def x264_options(gop_frames: int, max_kbps: int | None) -> dict[str, object]:
    """The encoder's settings for a clip: the fastest preset on one thread (clips are made
    beside the analysis, not instead of it, and x264 keeps frames per thread), capped at
    ``max_kbps`` over a 2 s buffer for the clip shown (None: the quality alone decides)."""
    options: dict[str, object] = {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "g": str(gop_frames),
        "threads": "1",
    }
    if max_kbps is not None:
        options |= {"maxrate": f"{max_kbps}k", "bufsize": f"{2 * max_kbps}k"}
    return options


def _encode(
    frames: Iterator[av.VideoFrame],
    size: tuple[int, int],
    rate: Fraction,
    path: Path,
    edit: FrameEdit | None,
    max_kbps: int | None,
) -> None:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        enc = out.add_stream("libx264", rate=rate)
        enc.width, enc.height = size
        enc.pix_fmt = "yuv420p"
        enc.options = x264_options(int(rate * 2), max_kbps)
        n = 0
        for frame in frames:
            # scaled first: the edit (the blur) works on the smaller picture
            frame = frame.reformat(
                width=size[0], height=size[1], format="yuv420p", interpolation=SCALING
            )
            if edit is not None:
                frame = edit(n, frame).reformat(format="yuv420p")
            frame.pts, frame.time_base = n, 1 / rate
            n += 1
            out.mux(enc.encode(frame))
        out.mux(enc.encode(None))
    if n == 0:
        raise ClipError("the pre-roll did not decode to any frame")


# A frame this close to a window's edge is in it (frame times are rounded to their time base).
EDGE = 1e-3


def frames_within(
    frames: Iterable[av.VideoFrame], within: tuple[float, float] | None
) -> Iterator[av.VideoFrame]:
    """The frames whose own time lies in ``within`` (all when None): the clip shown is cut
    exactly around the trigger, where the original keeps whole GOPs."""
    for frame in frames:
        t = frame.time
        if within is None or t is None or within[0] - EDGE <= t <= within[1] + EDGE:
            yield frame


def fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size scaled to at most ``max_side`` on its longest side, even (as H.264 wants)."""
    scale = min(1.0, max_side / max(size))
    return 2 * round(size[0] * scale / 2), 2 * round(size[1] * scale / 2)


def write_edited(
    source: Path,
    path: Path,
    edit: FrameEdit,
    within: tuple[float, float] | None = None,
    max_side: int | None = None,
    max_kbps: int | None = None,
) -> None:
    """The clip at ``source`` (its frames in ``within``, on its own clock) decoded, scaled to
    at most ``max_side`` pixels on its longest side, changed frame by frame and encoded again
    as H.264 at ``path`` (atomically), at most at ``max_kbps``."""
    with _atomically(path) as tmp, av.open(str(source)) as inp:
        stream = inp.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(10)
        size = stream.codec_context.width, stream.codec_context.height
        if max_side is not None:
            size = fitted(size, max_side)
        _encode(frames_within(inp.decode(stream), within), size, rate, tmp, edit, max_kbps)


def clip_start(packets: Sequence[TimedPacket]) -> float:
    """Where a clip's own clock starts on the stream's clock (its frames' times + this)."""
    first = packets[0].packet
    base = first.dts if first.dts is not None else first.pts
    if base is None or first.time_base is None:
        return packets[0].t
    return float(base * first.time_base)
