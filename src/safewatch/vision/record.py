"""A camera's record stream: its main stream, when it has a sub stream to analyse (``inputs``
with roles, as NVRs do). Its packets are kept on the wall clock and never decoded, but for an
event's snapshot; clips and the police originals are remuxed from them at full resolution.

The detect stream's events find their clip and snapshot here by their capture time: both
streams meet on the wall clock, each timed by the arrival of its own packets
(``source.FrameClock``), so a camera that resets one stream's timestamps moves nothing.
"""

from __future__ import annotations

import logging
import threading
import time

import av
import numpy as np
from av.video.stream import VideoStream

from safewatch.vision.clips import REMUXABLE, decoded
from safewatch.vision.ring import Packet, PacketRing, packet_time
from safewatch.vision.source import FrameClock, PacketClock, PlayStats, SourceError
from safewatch.vision.stream_url import scrub

log = logging.getLogger(__name__)
# How far apart the two streams of a camera may start and end (they are two connections) for
# the record stream to give a clip all the same; one that has just reconnected, with no
# pre-roll, does not: the detect stream's clip is whole.
STREAMS_APART = 0.5


class RecordStream:
    """The record stream's pre-roll on the wall clock, shared by the reader that fills it and
    the pipeline that cuts clips and snapshots from it (``lock``)."""

    def __init__(self, seconds: float) -> None:
        self.ring = PacketRing(seconds)
        self.lock = threading.RLock()
        self.stream: VideoStream | None = None
        self.connection = 0  # a new connection restarts the stream's timestamps
        self.last_packet = time.monotonic()  # when the last packet came
        self._clock = FrameClock()

    @property
    def key(self) -> str:
        """Names this connection for the face memory of the blur (``Redactor``)."""
        return f"record-{self.connection}"

    def open(self, stream: VideoStream) -> None:
        if stream.codec_context.name not in REMUXABLE:  # clips are remuxed, never transcoded
            raise SourceError(
                f"the record stream is {stream.codec_context.name}: H.264 or H.265 is needed "
                "(clips come from the detect stream meanwhile)"
            )
        with self.lock:
            self.ring.clear()
            self.stream = stream
            self.connection += 1
            self._clock = FrameClock()

    def push(self, t: float, packet: Packet, now: float) -> None:
        """A packet at ``t`` on the stream's clock, arrived at ``now`` (epoch seconds)."""
        wall = self._clock.capture(t, now).timestamp()
        self.last_packet = time.monotonic()
        with self.lock:
            self.ring.push(packet, wall)

    def close(self) -> None:
        """Before its container closes: nothing may refer to its packets afterwards."""
        with self.lock:
            self.stream = None
            self.ring.clear()

    def wait_for(self, wall: float, timeout: float) -> None:
        """Until the ring reaches ``wall``, the stream closes, or ``timeout`` passes (the main
        stream comes a little after the sub stream)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                newest = self.ring.newest
                if self.stream is None or (newest is not None and newest >= wall):
                    return
            time.sleep(0.05)

    def covers(self, start: float, end: float) -> bool:
        """Whether the ring holds ``start`` to ``end`` (wall clock). Call with the lock held."""
        if self.stream is None or self.ring.oldest is None or self.ring.newest is None:
            return False
        return self.ring.oldest <= start + STREAMS_APART and self.ring.newest >= end

    def size(self) -> tuple[int, int] | None:
        with self.lock:
            if self.stream is None:
                return None
            ctx = self.stream.codec_context
            return ctx.width, ctx.height

    def picture_at(self, wall: float) -> np.ndarray | None:
        """The record stream's frame nearest before ``wall`` (BGR), decoded from its GOP's
        keyframe; None when the ring does not reach back that far (just reconnected)."""
        with self.lock:
            if self.stream is None or self.ring.oldest is None or self.ring.oldest > wall:
                return None
            packets = self.ring.window(wall, wall)
            last = None
            try:
                for frame in decoded(self.stream, packets):
                    last = frame
            except av.FFmpegError as exc:
                log.warning("a snapshot of the record stream did not decode: %s", exc)
                return None
            return None if last is None else last.to_ndarray(format="bgr24")


def record(
    container: av.container.InputContainer,
    into: RecordStream,
    stop: threading.Event,
    paced: bool,
    live: bool,
) -> PlayStats:
    """Demuxes the opened record stream into ``into`` until it ends or ``stop`` is set; its
    packets stay valid until ``into.close()``, which the caller calls before closing it.
    ``paced``: a file is read as fast as a camera would send it."""
    stream = container.streams.video[0]
    into.open(stream)
    stats = PlayStats()
    clock = PacketClock(stream, live)
    started, first_t = time.monotonic(), None
    packets = container.demux(stream)
    while not stop.is_set():
        try:
            packet = next(packets)
        except StopIteration:
            break
        except av.FFmpegError as exc:  # the camera vanished, the file is cut short
            stats.ended_by = f"the record stream broke: {scrub(str(exc), container.name)}"
            log.warning("%s", stats.ended_by)
            break
        clock.stamp(packet)
        t = packet_time(packet)
        if t is None or not packet.size:
            continue
        stats.packets += 1
        stats.duration = max(stats.duration, t)
        if paced:
            first_t = t if first_t is None else first_t
            if (ahead := (t - first_t) - (time.monotonic() - started)) > 0:
                stop.wait(ahead)
        into.push(t, packet, time.time())
    stats.timed_by_arrival = clock.stamped
    return stats
