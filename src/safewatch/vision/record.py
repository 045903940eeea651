"""A camera's record stream: its main stream, when it has a sub stream to analyse (``inputs``
with roles, as NVRs do). Its packets are kept, never decoded but for an event's snapshot;
clips and the police originals are remuxed from them at full resolution.

The detect stream's events find their clip and snapshot here by their capture time: both
streams meet on the wall clock, each timed by the arrival of its own packets
(``source.FrameClock``, whose offset is taken when it is used: it only gets better), so a
camera that resets one stream's timestamps moves nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime

import av
import numpy as np
import supervision as sv
from av.container import InputContainer
from av.video.stream import VideoStream

from safewatch.vision.clip_source import ClipSource, PendingClip
from safewatch.vision.clips import REMUXABLE
from safewatch.vision.privacy import Sighting, moved
from safewatch.vision.ring import Packet, PacketRing, packet_time
from safewatch.vision.snapshot import GopDecoder
from safewatch.vision.source import (
    FrameClock,
    PacketClock,
    PlayStats,
    SourceError,
    timed_packets,
)

log = logging.getLogger(__name__)
Zone = np.ndarray  # a zone's polygon in pixels
# How far apart the two streams of a camera may start and end (they are two connections) for
# the record stream to give a clip all the same; one that has just reconnected, with no
# pre-roll, does not: the detect stream's clip is whole.
STREAMS_APART = 0.5
# A snapshot comes from the record stream only when it has a frame this close before the
# trigger (the trigger's boxes are drawn on it, and the offender's face kept clear there);
# the main stream, a little behind the sub stream, is waited for as long as SNAPSHOT_WAIT.
SNAPSHOT_GAP, SNAPSHOT_WAIT = 0.1, 0.3


class RecordStream:
    """The record stream's pre-roll, shared by the reader that fills it and the pipeline that
    cuts clips and snapshots from it (``lock``). Times given to it are on the wall clock.

    It owns the connection's container: when the connection drops, its packets stay for the
    clips in their post-roll (a camera that loses power mid-event), until the next connection
    or ``close``; a closed container's packets would crash the muxer."""

    def __init__(self, seconds: float) -> None:
        self.ring = PacketRing(seconds)
        self.lock = threading.RLock()
        self._pushed = threading.Condition(self.lock)
        self.stream: VideoStream | None = None
        self.live = False  # the connection is up (else the ring holds the last one's end)
        self._container: InputContainer | None = None
        self.connection = 0  # a new connection restarts the stream's timestamps
        self.last_packet = time.monotonic()  # when the last packet came
        self._clock = FrameClock()
        self._snapshots = GopDecoder()

    @property
    def key(self) -> str:
        """Names this connection for the face memory of the blur (``Redactor``)."""
        return f"record-{self.connection}"

    def open(self, container: InputContainer) -> None:
        """A new connection; the last one's packets and container go."""
        stream = container.streams.video[0]
        if stream.codec_context.name not in REMUXABLE:  # clips are remuxed, never transcoded
            raise SourceError(
                f"the record stream is {stream.codec_context.name}: H.264 or H.265 is needed "
                "(clips come from the detect stream meanwhile)"
            )
        with self.lock:
            self._let_go()
            self.stream, self._container, self.live = stream, container, True
            self.connection += 1
            self._clock = FrameClock()
            self.last_packet = time.monotonic()  # silence counts from the connection

    def retire(self, container: InputContainer) -> None:
        """The connection ended: its packets stay until the next one (or ``close``)."""
        with self.lock:
            if container is self._container:
                self.live = False
                self._pushed.notify_all()
                self._snapshots.release()  # no keyframe will come to let it go
                return
        container.close()  # one that never became the stream (refused by ``open``)

    def push(self, t: float, packet: Packet, now: float) -> None:
        """A packet at ``t`` on the stream's clock, arrived at ``now`` (epoch seconds)."""
        self.last_packet = time.monotonic()
        with self.lock:
            newest = self.ring.newest
            if newest is not None and t < newest - 1.0:  # the camera's clock jumped back
                self.ring.clear()
                self._snapshots.release()
            self._clock.capture(t, now)
            self.ring.push(packet)
            self._pushed.notify_all()
            if packet.is_keyframe and self._snapshots.holding:
                self._snapshots.keyframe_came()

    def close(self) -> None:
        """At the camera's end: nothing may refer to its packets afterwards."""
        with self.lock:
            self._let_go()

    def _let_go(self) -> None:
        self._pushed.notify_all()  # a snapshot waiting for this connection waits no more
        self._snapshots.release()
        self.ring.clear()
        self.stream, self.live = None, False
        if self._container is not None:
            self._container.close()
            self._container = None

    def to_stream(self, wall: float) -> float:
        """A wall-clock time on the stream's own clock. Call with the lock held."""
        return wall - (self._clock.offset or 0.0)

    def wait_for(self, wall: float, timeout: float) -> None:
        """Until the ring reaches ``wall``, the stream closes, or ``timeout`` passes (the main
        stream comes a little after the sub stream)."""

        def came() -> bool:
            # by decoding order: with B-frames, a frame before the newest may still come
            to = self.ring.decoded_to
            return not self.live or (to is not None and to >= self.to_stream(wall))

        with self.lock:
            self._pushed.wait_for(came, timeout)  # woken by each packet (an alert waits)

    def covers(self, start: float, end: float) -> bool:
        """Whether the ring holds ``start`` to ``end`` (wall clock). Call with the lock held."""
        oldest, came = self.ring.oldest, self.ring.decoded_to  # (B-frames: see ``wait_for``)
        if self.stream is None or oldest is None or came is None:
            return False
        return oldest <= self.to_stream(start) + STREAMS_APART and came >= self.to_stream(end)

    def holds(self, clip: PendingClip) -> bool:
        """Whether the ring holds the clip (wall clock) from start to end."""
        with self.lock:
            return self.covers(clip.start, clip.end)

    def clip(
        self,
        clip: PendingClip,
        until: float,
        sightings: Iterable[Sighting],
        shift: float,
        detect_size: tuple[int, int] | None,
    ) -> tuple[PendingClip, ClipSource] | None:
        """The clip (wall clock) on this stream's clock, and its source: the sightings of the
        detect stream (``shift`` from its clock to the wall clock, pictures of
        ``detect_size``) moved onto this one. None when the ring does not hold it up to
        ``until`` (where a detect stream that ended cut it short), or when the detect
        stream's picture size is not known (its sightings could not be placed here: the
        offender's face to keep clear would lie elsewhere). Call with the lock held; the
        packets stay valid while it is."""
        if not self.covers(clip.start, min(clip.end, until - STREAMS_APART)):
            return None
        source = self.source(sightings, shift, detect_size)
        return None if source is None else (clip.moved(self.to_stream(0.0)), source)

    def source(
        self, sightings: Iterable[Sighting], shift: float, detect_size: tuple[int, int] | None
    ) -> ClipSource | None:
        """The ring as a clip source, the detect stream's sightings moved onto it (see
        ``clip``). Call with the lock held."""
        if self.stream is None or detect_size is None:
            return None
        ctx = self.stream.codec_context
        scale = (ctx.width / detect_size[0], ctx.height / detect_size[1])
        seen = moved(sightings, self.to_stream(shift), scale)
        return ClipSource(self.stream, self.ring, seen, self.key)

    def picture_at(self, wall: float) -> np.ndarray | None:
        """The record stream's frame nearest before ``wall`` (BGR), decoded from its GOP's
        keyframe; None when the ring does not reach back that far (just reconnected)."""
        with self.lock:
            t, oldest, newest = self.to_stream(wall), self.ring.oldest, self.ring.newest
            if self.stream is None or oldest is None or newest is None:
                return None
            if oldest > t or newest < t - SNAPSHOT_GAP:  # not back that far, or a stale ring
                return None
            found = self.ring.frame_at(t)
            if found is None:
                return None
            try:
                return self._snapshots.picture(self.stream, *found)
            except av.FFmpegError as exc:
                log.warning("a snapshot of the record stream did not decode: %s", exc)
                return None


def on_main_stream(
    record: RecordStream, at: datetime, bgr: np.ndarray, dets: sv.Detections, zones: list[Zone]
) -> tuple[np.ndarray, sv.Detections, list[Zone]]:
    """An event's picture, its people and zones, from the record stream's frame nearest the
    trigger (decoded only now); the detect stream's when the record stream has none."""
    record.wait_for(at.timestamp(), SNAPSHOT_WAIT)
    main = record.picture_at(at.timestamp())
    if main is None:
        return bgr, dets, zones
    sx, sy = main.shape[1] / bgr.shape[1], main.shape[0] / bgr.shape[0]
    people = dataclasses.replace(dets, xyxy=dets.xyxy * np.array([sx, sy, sx, sy]))
    return main, people, [(z * np.array([sx, sy])).astype(z.dtype) for z in zones]


def record(
    container: av.container.InputContainer,
    into: RecordStream,
    stop: threading.Event,
    paced: bool,
    live: bool,
) -> PlayStats:
    """Demuxes the opened record stream into ``into`` until it ends or ``stop`` is set; the
    container is then ``into``'s (``retire``). ``paced``: a file is read as fast as a camera
    would send it."""
    stream = container.streams.video[0]
    into.open(container)
    stats = PlayStats()
    clock = PacketClock(stream, live)
    started, first_t = time.monotonic(), None
    for packet in timed_packets(container, stats, clock, "record stream"):
        if stop.is_set():
            break
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
