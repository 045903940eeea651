"""An event's clip, cut once its post-roll has passed: the packets of the pre-roll remuxed to
MP4 (a few ms), or — when they must be transcoded (old codecs) or blurred (bystanders'
faces) — beside the analysis, on a thread of its own, since that takes seconds. Every job
tells the sink what became of its clip: the clip, or why there is none."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from av.video.stream import VideoStream

from safewatch.vision.clip_source import ClipSource, PendingClip
from safewatch.vision.clips import (
    EDGE,
    REMUXABLE,
    ClipError,
    clip_start,
    frames_within,
    write_edited,
)
from safewatch.vision.ports import ClipSink
from safewatch.vision.privacy import Redactor, Sighting, frame_edit
from safewatch.vision.reserve import room_for_clips
from safewatch.vision.ring import TimedPacket
from safewatch.vision.shown import Delivery, ShownStream
from safewatch.vision.supervisor import in_background

log = logging.getLogger(__name__)
ClipWriter = Callable[[VideoStream, list[TimedPacket], Path], str]


@dataclass(frozen=True)
class Unsettled:
    """A queued clip job's clip: what its event is told if the job never runs."""

    event_id: uuid.UUID
    original: Path | None
    what: str  # "cut", "blurred"


def clip_paths(clip_dir: Path, site: str, camera: str, event_id: uuid.UUID) -> tuple[Path, Path]:
    """Where an event's clip (as shown) and its unblurred original are written."""
    folder = clip_dir / site / camera
    return folder / f"{event_id}.mp4", folder / f"{event_id}.original.mp4"


class ClipJobs:
    def __init__(
        self,
        sink: ClipSink,
        clip_dir: Path | None,
        site: str,
        camera: str,
        clip_writer: ClipWriter,
        redactor: Redactor | None,
        shown: ShownStream | None = None,
    ) -> None:
        self.sink, self.clip_dir, self.site, self.camera = sink, clip_dir, site, camera
        self.clip_writer, self.redactor = clip_writer, redactor
        self.shown = shown  # the shared blurred encode the clips shown are cut from
        # One thread: the clip jobs of a camera queue behind each other, on disk (files, not
        # packets in memory), beside the analysis, not in its way.
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="clip", initializer=in_background
        )
        self._pending: list[Future[None]] = []
        self._unsettled: dict[Future[None], Unsettled] = {}
        self._reading_stream: list[Future[None]] = []  # jobs that still read its packets
        self._lock = threading.Lock()
        self._told_stopped: set[uuid.UUID] = set()

    def cut(self, clip: PendingClip, source: ClipSource) -> None:
        assert self.clip_dir is not None
        stream = source.stream
        if stream is None:
            self._not_shown(clip.event_id)
            self.sink.clip(clip.event_id, None, "the stream closed before the clip", None)
            return
        path, _ = clip_paths(self.clip_dir, self.site, self.camera, clip.event_id)
        packets = source.ring.window(clip.start, clip.end)
        if self.redactor is not None:
            self._cut_private(self.redactor, stream, packets, path, clip, source)
        elif stream.codec_context.name in REMUXABLE:
            self._write(stream, packets, path, clip.event_id)  # a few ms: inline
        else:
            settles = Unsettled(clip.event_id, None, "cut")
            self._submit(
                self._write,
                stream,
                packets,
                path,
                clip.event_id,
                reads_stream=True,
                settles=settles,
            )

    def _submit(
        self,
        job: Callable[..., None],
        *args: Any,
        reads_stream: bool = False,
        settles: Unsettled | None = None,
    ) -> None:
        """``reads_stream``: the job reads the stream's packets, so its container must stay
        open until it ends (a closed container's packets crash the muxer). ``settles``: the
        clip the sink is told of if the job never runs (the worker stops)."""
        with self._lock:  # a reader the stop did not wait for may submit while it closes
            for done in [f for f in self._pending if f.done()]:
                self._pending.remove(done)
                if not done.cancelled() and (exc := done.exception()) is not None:
                    log.error("%s: a clip job failed: %r", self.camera, exc)
            self._reading_stream = [f for f in self._reading_stream if not f.done()]
            # A cancelled job (the stop) stays until ``close`` has told its event why.
            self._unsettled = {
                f: u for f, u in self._unsettled.items() if not f.done() or f.cancelled()
            }
            try:
                future = self._executor.submit(job, *args)
            except RuntimeError:  # closed: a reader the stop did not wait for still analyses
                if settles is not None:
                    self._tell_stopped(settles)
                return
            self._pending.append(future)
            if settles is not None:
                self._unsettled[future] = settles
            if reads_stream:
                self._reading_stream.append(future)

    def release_stream(self) -> None:
        """Until no job reads the stream's packets: then its container may close. Blurring
        from the original on disk goes on (it takes seconds; the camera reopens meanwhile)."""
        for future in self._reading_stream:
            if not future.cancelled():
                future.exception()  # waits; a failure is logged by wait() or the next submit
        self._reading_stream.clear()

    def close(self) -> None:
        """At a stop: the job under way finishes; those not started are dropped, each clip's
        event told why, with its original when it is on disk (an event the full disk kept
        in memory is not in the outbox for the next start to report)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self.shown is not None:
            self.shown.close()
        with self._lock:
            for future, clip in self._unsettled.items():
                if future.cancelled():
                    self._tell_stopped(clip)
            self._unsettled.clear()

    def _tell_stopped(self, clip: Unsettled) -> None:
        """Once per event (a transcoded clip has two jobs)."""
        if clip.event_id in self._told_stopped:
            return
        self._told_stopped.add(clip.event_id)
        kept = clip.original if clip.original and clip.original.is_file() else None
        reason = f"the camera worker stopped before the clip was {clip.what}"
        self.sink.clip(clip.event_id, None, reason, kept)

    def wait(self) -> None:
        """Until every clip job has ended (each says what became of its clip); the shared
        encode last, since a clip job may hand it a clip."""
        for future in self._pending:
            if future.cancelled():
                continue
            if (exc := future.exception()) is not None:  # a job that failed anyway is logged
                log.error("%s: a clip job failed: %r", self.camera, exc)
        self._pending.clear()
        if self.shown is not None:
            self.shown.wait()

    def _write(
        self, stream: VideoStream, packets: list[TimedPacket], path: Path, event_id: uuid.UUID
    ) -> None:
        if self._save(stream, packets, path, event_id):
            self.sink.clip(event_id, path, None, None)

    def _cut_private(
        self,
        redactor: Redactor,
        stream: VideoStream,
        packets: list[TimedPacket],
        path: Path,
        clip: PendingClip,
        source: ClipSource,
    ) -> None:
        """The original first (it is the evidence): remuxed at once, so a queue of clips to
        blur holds files on disk, not packets in memory. The one shown is blurred from it
        beside the analysis: decoding, looking for faces and encoding take seconds."""
        _, original = clip_paths(path.parents[2], self.site, self.camera, clip.event_id)
        window = redactor.sighting_window
        seen = [s for s in source.sightings if clip.start - window <= s.t <= clip.end + window]
        start = clip_start(packets)
        blur = (redactor, source.stream_key, original, path, clip.event_id, seen, start, clip)
        settles = Unsettled(clip.event_id, original, "blurred")
        if stream.codec_context.name in REMUXABLE:
            if not self._save(stream, packets, original, clip.event_id):
                self._not_shown(clip.event_id)
            elif not self._from_shown(clip, source.stream_key, path, original, blur):
                self._submit(self._blur, *blur, settles=settles)
            return

        # Two jobs, in order on the one clip thread: only the transcode reads the stream's
        # packets; the blur reads the file, so the camera may reopen meanwhile.
        saved: list[bool] = []

        def transcode() -> None:
            saved.append(self._save(stream, packets, original, clip.event_id))

        def blur_if_saved() -> None:
            if not (saved and saved[0]):
                self._not_shown(clip.event_id)
            elif not self._from_shown(clip, source.stream_key, path, original, blur):
                self._blur(*blur)

        self._submit(transcode, reads_stream=True, settles=settles)
        self._submit(blur_if_saved, settles=settles)

    def _not_shown(self, event_id: uuid.UUID) -> None:
        if self.shown is not None:
            self.shown.forget(event_id)

    def _from_shown(
        self,
        clip: PendingClip,
        stream_key: str,
        path: Path,
        original: Path,
        blur: tuple[Any, ...],
    ) -> bool:
        """The clip shown cut from the shared encode, when it was asked for this clip; the
        blur from the original is its fallback."""
        if self.shown is None:
            return False
        fallback = lambda: self._blur(*blur)  # noqa: E731
        return self.shown.deliver(Delivery(clip, stream_key, path, original, fallback))

    def _save(
        self, stream: VideoStream, packets: list[TimedPacket], path: Path, event_id: uuid.UUID
    ) -> bool:
        """The packets as an MP4 at ``path``; False (and the sink told why) if it failed."""
        try:
            if (no_room := room_for_clips(path.parents[2])) is not None:
                raise ClipError(no_room)
            self.clip_writer(stream, packets, path)
        except Exception as exc:  # any library's error: the event stands, the clip is missing
            log.warning("%s: clip for event %s not saved: %s", self.camera, event_id, exc)
            self.sink.clip(event_id, None, f"clip not saved: {exc}", None)
            return False
        return True

    def _blur(
        self,
        redactor: Redactor,
        stream_key: str,
        original: Path,
        path: Path,
        event_id: uuid.UUID,
        sightings: list[Sighting],
        offset: float,
        clip: PendingClip,
    ) -> None:
        """``offset``: where the original starts on the ring's clock. The clip shown is cut
        to the event's window exactly; the original keeps the GOP before it."""
        within = (clip.start - offset, clip.end - offset)
        try:
            try:
                with av.open(str(original)) as source:
                    width = source.streams.video[0].codec_context.width
                    frames = frames_within(source.decode(video=0), within)
                    plan = redactor.clip(stream_key, frames, sightings, offset)
            except Exception as exc:  # PyAV, onnxruntime, OpenCV: each has its own errors
                raise ClipError(
                    f"could not look for faces in the clip: {type(exc).__name__}: {exc}"
                ) from exc
            whole = offset >= clip.start - EDGE  # the original starts where the clip does
            if whole and all(r.empty for r in plan):  # nobody's face: the original is the clip
                os.replace(original, path)
                self.sink.clip(event_id, path, None, None)
                return
            edit = frame_edit(plan, width)
            write_edited(
                original, path, edit, within, redactor.clip_max_side, redactor.clip_max_kbps
            )
        except Exception as exc:
            # Never the unblurred clip in its place: the police still get the original.
            log.warning("%s: clip for event %s not blurred: %s", self.camera, event_id, exc)
            self.sink.clip(event_id, None, f"clip not blurred: {exc}", original)
            return
        self.sink.clip(event_id, path, None, original)
