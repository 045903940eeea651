"""When and from which stream an event's clip is cut: from the record stream when it holds
the clip, else the detect stream; the shared blurred encode (``shown``) is handed what the
analysis has as it goes. Part of the camera's pipeline (``CameraPipeline``)."""

from __future__ import annotations

import logging
import threading
from collections import deque

from av.video.stream import VideoStream

from safewatch.vision.clip_jobs import ClipJobs
from safewatch.vision.clip_source import ClipSource, PendingClip
from safewatch.vision.config import CameraConfig
from safewatch.vision.privacy import Sighting
from safewatch.vision.record import STREAMS_APART, RecordStream
from safewatch.vision.ring import PacketRing

log = logging.getLogger(__name__)
# How long after its end a clip waits for the record stream to reach it (the main stream
# arrives a little after the sub stream); then it is cut from the detect stream.
RECORD_GRACE_SECONDS = 3.0


class EventClips:
    """The pipeline's clip cutting; the pipeline holds the state it reads."""

    camera: CameraConfig
    stream: VideoStream | None
    ring: PacketRing
    record: RecordStream | None
    clip_jobs: ClipJobs
    lock: threading.RLock
    _clips: list[PendingClip]
    _sightings: deque[Sighting]
    _wall_shift: float
    _picture_size: tuple[int, int] | None
    _stream_no: int

    def _cut_due_clips(self, t: float) -> None:
        due = [c for c in self._clips if c.end <= t]
        if due:
            self._to_shown(t)  # the encode has every packet up to the cut
        for clip in due:
            if self._waits_for_record(clip, t):
                continue
            self._clips.remove(clip)
            self._cut(clip)

    def _waits_for_record(self, clip: PendingClip, t: float) -> bool:
        if self.record is None or t >= clip.end + RECORD_GRACE_SECONDS:
            return False
        return not self.record.holds(clip.moved(self._wall_shift))

    def end_stream(self) -> None:
        """Before its container closes, however the stream ended: the pending clips are cut
        from it while its packets are still valid, and nothing refers to it afterwards (a
        closed container's packets crash the muxer: a segmentation fault, not an error)."""
        with self.lock:
            try:
                self._flush_clips()
            finally:
                self.stream = None
                self.ring.clear()

    def _flush_clips(self) -> None:
        try:
            if self._clips and self.record is not None:
                self.record.wait_for(self._last_wall(), RECORD_GRACE_SECONDS)
            if (newest := self.ring.newest) is not None:
                self._to_shown(newest)
            if self.clip_jobs.shown is not None:
                self.clip_jobs.shown.ending()
            for clip in list(self._clips):
                self._clips.remove(clip)
                self._cut(clip, until=self._last_wall())
            if self.clip_jobs.shown is not None:
                self.clip_jobs.shown.finish()
        finally:  # a cut that failed must not let the container close under a queued job
            self.clip_jobs.release_stream()

    def _last_wall(self) -> float:
        newest = self.ring.newest
        return float("inf") if newest is None else newest + self._wall_shift

    def _cut(self, clip: PendingClip, until: float = float("inf")) -> None:
        """From the record stream when it holds the clip (up to ``until``, where a stream
        that ended cut it short); otherwise from the detect stream, whole."""
        record = self.record
        if record is not None:
            wall = clip.moved(self._wall_shift)
            with record.lock:  # its packets stay valid while the clip is remuxed
                size = self._picture_size
                cut = record.clip(wall, until, self._sightings, self._wall_shift, size)
                if cut is not None:
                    self.clip_jobs.cut(*cut)
                    return
            log.warning(
                "%s: the clip of event %s comes from the detect stream: the record stream "
                "does not hold it",
                self.camera.name,
                clip.event_id,
            )
        self.clip_jobs.cut(clip, self._clip_source())

    def _to_shown(self, t: float, clip: PendingClip | None = None) -> None:
        """The shared blurred encode is handed what the analysis has up to ``t``: from the
        record stream when it holds the clip (or the encode follows it), else this one."""
        shown = self.clip_jobs.shown
        if shown is None or self.stream is None or (clip is None and not shown.active):
            return
        record, wall = self.record, t + self._wall_shift
        if record is not None:
            with record.lock:
                if clip is None:
                    use = shown.key == record.key
                else:
                    use = record.covers(clip.start + self._wall_shift, wall - STREAMS_APART)
                recent = self._sightings if clip else [s for s in self._sightings if s.t > t - 2]
                source = (
                    record.source(recent, self._wall_shift, self._picture_size) if use else None
                )
                if source is not None:
                    upto = record.to_stream(wall)
                    if clip is None:
                        shown.feed(source, upto)
                    else:
                        shown.want(clip.moved(record.to_stream(self._wall_shift)), source, upto)
                    return
        source = self._clip_source()
        if clip is None:
            shown.feed(source, t)
        else:
            shown.want(clip, source, t)

    def _clip_source(self) -> ClipSource:
        key = f"detect-{self._stream_no}"
        return ClipSource(self.stream, self.ring, list(self._sightings), key)
