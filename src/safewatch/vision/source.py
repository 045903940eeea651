"""Reading a camera or a file through PyAV: packets to the pre-roll, frames to the pipeline.

Decode errors are logged and skipped; a stream that stops is reopened with backoff, and a
watchdog reports ``camera_offline`` when no frame has come for a while.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
from av.container import InputContainer

from safewatch.vision.ring import Packet
from safewatch.vision.stream_url import redacted, scrub

if TYPE_CHECKING:  # the pipeline's record stream reads streams with this module too
    from safewatch.vision.pipeline import CameraPipeline

log = logging.getLogger(__name__)


MAX_PIXELS = 7680 * 4320


class SourceError(RuntimeError):
    pass


NETWORK_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "rtmps://", "srt://")


def is_network(source: str) -> bool:
    return source.lower().startswith(NETWORK_SCHEMES)


def open_video(source: str, timeout: float = 10.0, transport: str = "tcp") -> InputContainer:
    """Opens a file or a camera's stream. ``transport`` is RTSP's: "tcp" (interleaved, what
    NVRs default to: no packet loss) or "udp". Errors show the address without its login."""
    rtsp = source.lower().startswith(("rtsp://", "rtsps://"))
    shown = redacted(source)
    if not is_network(source) and not Path(source).is_file():
        raise SourceError(f"no such video file: {shown}")  # a mistyped address is masked too
    options = {"rtsp_transport": transport} if rtsp else {}
    container = _open(source, shown, {**options, **QUICK} if rtsp else options, timeout)
    if rtsp and not _described(container):  # the camera's description lacks them: probe
        container.close()
        container = _open(source, shown, options, timeout)
    if not container.streams.video:
        container.close()
        raise SourceError(f"{shown} has no video stream")
    ctx = container.streams.video[0].codec_context
    if ctx is None:  # a damaged header names no codec that can decode it
        container.close()
        raise SourceError(f"{shown}: its video stream cannot be decoded (no known codec)")
    if ctx.width * ctx.height > MAX_PIXELS:
        container.close()  # a forged header must not make the decoder allocate gigabytes
        raise SourceError(
            f"{shown}: a {ctx.width}×{ctx.height} picture is larger than a camera sends "
            f"(at most {MAX_PIXELS:,} pixels, 8K)"
        )
    return container


# A camera's RTSP description (SDP) names its codec, picture size and parameter sets: FFmpeg's
# probe of the first seconds, by default, only delays the open and then hands those seconds
# over in one burst, which the arrival-based capture times (``FrameClock``) take as late.
QUICK = {"analyzeduration": "0", "probesize": "32"}


def _open(source: str, shown: str, options: dict[str, str], timeout: float) -> InputContainer:
    try:
        return av.open(source, options=options, timeout=(timeout, timeout))
    except (av.FFmpegError, OSError) as exc:
        # from None: a logged traceback would print FFmpeg's error, which names the password
        raise SourceError(f"cannot open {shown}: {scrub(str(exc), source)}") from None


def _described(container: InputContainer) -> bool:
    """Whether the stream's size and parameter sets are known without probing it."""
    video = container.streams.video
    ctx = video[0].codec_context if video else None
    return ctx is None or bool(ctx.width and ctx.extradata)


def frames_expected(container: av.container.InputContainer) -> int:
    """How many frames a file holds, as its header says (0 when it does not say: a stream)."""
    stream = container.streams.video[0]
    if stream.frames:
        return int(stream.frames)
    if container.duration and stream.average_rate:
        return round(container.duration / av.time_base * float(stream.average_rate))
    return 0


@dataclass
class PlayStats:
    packets: int = 0
    bad_packets: int = 0
    frames: int = 0
    duration: float = 0.0
    ended_by: str | None = None  # why reading stopped early (a broken stream), else None
    timed_by_arrival: int = 0  # packets that carried no time (a raw stream), timed here


class PacketClock:
    """Times the packets of a stream that carries none (a raw H.264 camera): by their
    arrival on a live camera, by the frame rate in a file."""

    def __init__(self, stream: av.video.stream.VideoStream, live: bool) -> None:
        self.time_base = stream.time_base or Fraction(1, 90000)
        self.rate = float(stream.guessed_rate or stream.average_rate or 25)
        self.live, self.started, self.count = live, time.monotonic(), 0
        self.stamped = 0

    def stamp(self, packet: Packet) -> None:
        if packet.pts is not None or packet.dts is not None or not packet.size:
            return
        t = time.monotonic() - self.started if self.live else self.count / self.rate
        self.count += 1
        self.stamped += 1
        packet.pts = packet.dts = round(t / self.time_base)
        packet.time_base = self.time_base


def timed_packets(
    container: InputContainer, stats: PlayStats, clock: PacketClock, what: str
) -> Iterator[Packet]:
    """The stream's packets, timed by ``clock`` where they carry no time, until it ends; one
    that breaks (the camera vanished, the file is cut short) ends it, said in ``stats``."""
    packets = container.demux(container.streams.video[0])
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            stats.ended_by = f"the {what} broke: {scrub(str(exc), container.name)}"
            log.warning("%s", stats.ended_by)
            return
        clock.stamp(packet)
        yield packet


class FrameClock:
    """A frame's capture time on the wall clock: its timestamp plus the smallest offset seen
    between the wall clock and the timestamps (that of a frame read as soon as it came). A
    worker that falls behind reads frames late; their capture time is still when they were
    taken, so the delay counts in trigger → phone. The offset may grow by ``DRIFT`` (a camera
    whose clock runs slow against ours)."""

    DRIFT = 0.001  # seconds per second

    def __init__(self) -> None:
        self.offset: float | None = None
        self.last_t = 0.0

    def capture(self, t: float, now: float) -> datetime:
        seen = now - t
        if self.offset is None or t < self.last_t - 1.0:  # first, or the clock jumped back
            self.offset = seen
        else:
            self.offset = min(self.offset + self.DRIFT * max(t - self.last_t, 0.0), seen)
        self.last_t = t
        return datetime.fromtimestamp(t + self.offset, UTC)


def play(
    container: av.container.InputContainer,
    pipeline: CameraPipeline,
    realtime: bool = False,
    stop: threading.Event | None = None,
    on_frame: Callable[[], None] | None = None,
    live: bool = False,
    after_frame: Callable[[], None] | None = None,
) -> PlayStats:
    """Feed one opened stream to the pipeline until it ends (or ``stop`` is set).

    ``on_frame`` is called as each frame arrives, ``after_frame`` once the pipeline has
    handled it. ``realtime`` paces a file as a camera would send it; ``live`` is a camera.
    Either way each frame goes to the pipeline with its capture time on the wall clock
    (``FrameClock``), so that an event carries its trigger frame's time."""
    stream = container.streams.video[0]
    stream.thread_type = "NONE"  # one thread per stream; cameras are many
    pipeline.on_stream(stream)
    stats = PlayStats()
    clock, captured = PacketClock(stream, live), FrameClock()
    started, first_t = time.monotonic(), None
    try:
        for packet in timed_packets(container, stats, clock, "stream"):
            if stop is not None and stop.is_set():
                break
            stats.packets += 1
            pipeline.on_packet(packet)
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                stats.bad_packets += 1
                log.debug("skipped a packet that does not decode: %s", exc)
                continue
            for frame in frames:
                stats.frames += 1
                at = None
                if frame.time is not None:
                    stats.duration = max(stats.duration, float(frame.time))
                    if realtime:
                        first_t = float(frame.time) if first_t is None else first_t
                        ahead = (float(frame.time) - first_t) - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(ahead)
                    if realtime or live:
                        at = captured.capture(float(frame.time), time.time())
                if on_frame is not None:
                    on_frame()
                pipeline.on_frame(frame, at)
                if after_frame is not None:  # analysed (or skipped by the analysis rate)
                    after_frame()
    finally:  # however it ended — an exception from the analysis too — before the close
        pipeline.end_stream()
    stats.timed_by_arrival = clock.stamped
    return stats
