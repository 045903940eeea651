"""One camera of a live worker: a supervised reader (open, play, reconnect with backoff),
a watchdog that reports a camera that stops, and the sink that puts its events in the outbox.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
from av.container import InputContainer

from safewatch.bus.messages import CameraEvent, CameraHealth
from safewatch.vision import stream_url
from safewatch.vision.config import CameraConfig, SiteConfig
from safewatch.vision.detectors.base import make_detector
from safewatch.vision.outbox import Outbox
from safewatch.vision.pipeline import CameraPipeline
from safewatch.vision.ports import FaceStage
from safewatch.vision.record import RecordStream, record
from safewatch.vision.source import PlayStats, SourceError, is_network, open_video, play
from safewatch.vision.supervisor import PartState, Supervised

log = logging.getLogger(__name__)
MAX_RECONNECT_WAIT = 30.0


class OutboxSink:
    def __init__(self, outbox: Outbox, camera: str) -> None:
        self.outbox, self.camera = outbox, camera
        self.last_event = -1e9  # monotonic time of the camera's latest event

    def event(self, event: CameraEvent, snapshot: bytes, original: bytes | None) -> None:
        self.outbox.put_event(event, snapshot, original)
        self.last_event = time.monotonic()
        log.info(
            "%s %s at %.1f s (track %s, zone %s): event %s",
            event.camera,
            event.type,
            event.video_t,
            event.track,
            event.zone,
            event.id,
        )

    def clip(
        self, event_id: uuid.UUID, path: Path | None, error: str | None, original: Path | None
    ) -> None:
        self.outbox.put_clip(event_id, self.camera, path, error, original)


def close(container: InputContainer) -> None:
    container.close()


def _address(camera: CameraConfig, source: str) -> str:
    """The stream's address with its password from the environment; refused at start, not
    found out at the first reconnection."""
    if stream_url.written_in(source):  # still runs: a blind camera is worse
        log.warning(
            "camera %s: its password is written in the site file; name it as ${NAME} and "
            "set that environment variable (README, 'A site file')",
            camera.name,
        )
    try:
        return stream_url.resolve(source)
    except stream_url.MissingSecret as exc:
        raise ValueError(f"camera '{camera.name}': {exc} (its source names it)") from None


class CameraWorker:
    """One camera: a supervised reader (open, play, reconnect) and a watchdog."""

    def __init__(
        self,
        site: SiteConfig,
        camera: CameraConfig,
        outbox: Outbox,
        clip_dir: Path,
        face_stage: FaceStage | None = None,
    ) -> None:
        self.camera = camera
        self.source = _address(camera, camera.detect_source)
        self.record_source = None
        if camera.record_source is not None:
            self.record_source = _address(camera, camera.record_source)
        self.sink = OutboxSink(outbox, camera.name)
        self.live_until = 0.0  # monotonic: someone in the hub watches this camera until then
        self.next_view = 0.0
        self.record = None
        if self.record_source is not None:
            self.record = RecordStream(camera.pre_roll_seconds + camera.post_roll_seconds + 4)
        self.pipeline = CameraPipeline(
            site=site,
            camera=camera,
            detector=make_detector(camera.detector),
            sink=self.sink,
            clip_dir=clip_dir,
            face_stage=face_stage,
            record=self.record,
        )
        self.stop = threading.Event()
        self.last_frame = time.monotonic()  # the last frame the pipeline handled
        # Silence counts once the stream was first opened, or failed to: opening a camera's
        # stream takes seconds (FFmpeg probes it), and is bounded by the open timeout.
        self.first_open = threading.Event()
        self._opens = 0  # streams opened so far: one that opens ends its sibling's backoff
        self.analysing_since: float | None = None  # a frame is in the pipeline since then
        self.offline_reported = False
        self.reader = Supervised(f"camera {camera.name}", self._read, self.stop)
        self.watchdog = Supervised(f"camera {camera.name} watchdog", self._watch, self.stop)
        self.recorder = None
        if self.record is not None:
            name = f"camera {camera.name} record stream"
            self.recorder = Supervised(name, self._record, self.stop)

    def start(self) -> None:
        self.reader.start()
        self.watchdog.start()
        if self.recorder is not None:
            self.recorder.start()

    def close(self, timeout: float = 5) -> None:
        """Stops reading (the clips in their post-roll are cut), then lets the clip job
        under way finish, before the worker closes the outbox it writes to."""
        self.stop.set()
        self.reader.join(timeout)
        self.watchdog.join(timeout)
        if self.recorder is not None:
            self.recorder.join(timeout)
        self.pipeline.clip_jobs.close()
        # Its container may close only once nothing reads it: a reader still stuck in a
        # stalled read keeps it (the process is ending; closing it under the read crashes).
        if self.record is not None and self.recorder is not None and not self.recorder.alive:
            self.record.close()

    def state(self) -> PartState:
        """The reader's state; "ok" only while frames are analysed: a watchdog that is not
        running, or an analysis stuck (a model that hangs), makes it degraded."""
        reader, watchdog = self.reader.current(), self.watchdog.current()
        if not reader.healthy:
            return reader
        if not watchdog.healthy:
            return PartState(CameraHealth.degraded, f"watchdog {watchdog}")
        if (silent := self._silent()) >= self.camera.offline_after_seconds:
            return PartState(CameraHealth.degraded, self._silence(silent))
        if (recording := self._recording()) is not None:
            return recording
        return reader

    def _recording(self) -> PartState | None:
        """What is wrong with the record stream (clips then come from the detect stream)."""
        if self.recorder is None or self.record is None:
            return None
        state = self.recorder.current()
        if not state.healthy:
            return PartState(CameraHealth.degraded, f"record stream {state}")
        silent = time.monotonic() - self.record.last_packet
        if self.record.connection and silent >= self.camera.offline_after_seconds:
            note = f"record stream: no packet for {silent:.0f} s (clips from the detect stream)"
            return PartState(CameraHealth.degraded, note)
        return None

    def _silence(self, seconds: float) -> str:
        if (since := self.analysing_since) is not None:
            stuck = time.monotonic() - since
            return f"one frame in analysis for {stuck:.0f} s (the analysis is stuck)"
        return f"no picture for {seconds:.0f} s"

    @property
    def status(self) -> str:
        return str(self.state())

    def _frame_came(self) -> None:
        self.analysing_since = time.monotonic()

    def _saw_frame(self) -> None:
        """A frame was analysed: the camera sees."""
        self.last_frame, self.analysing_since = time.monotonic(), None
        if self.offline_reported:
            log.info("%s is back", self.camera.name)
        self.offline_reported = False
        if self.reader.state.health is not CameraHealth.ok:
            self.reader.report(CameraHealth.ok)

    def _read(self, stop: threading.Event) -> None:
        """The detect stream: decoded and analysed (``source.play``)."""

        def analyse(container: InputContainer) -> PlayStats:
            return play(
                container,
                self.pipeline,
                realtime=not is_network(self.source),
                live=is_network(self.source),
                stop=stop,
                on_frame=self._frame_came,
                after_frame=self._saw_frame,
            )

        self._keep_reading(stop, self.reader, self.source, analyse, close, self._opened)

    def _record(self, stop: threading.Event) -> None:
        """The record stream: demuxed into the record ring, never decoded (``record``)."""
        assert self.record is not None and self.record_source is not None
        into, network = self.record, is_network(self.record_source)

        def keep(container: InputContainer) -> PlayStats:
            assert self.recorder is not None
            self.recorder.report(CameraHealth.ok)
            return record(container, into, stop, paced=not network, live=network)

        self._keep_reading(stop, self.recorder, self.record_source, keep, into.retire, None)

    def _keep_reading(
        self,
        stop: threading.Event,
        part: Supervised | None,
        source: str,
        read: Callable[[InputContainer], PlayStats],
        dispose: Callable[[InputContainer], None],
        tried: Callable[[], None] | None,
    ) -> None:
        """Open, read, reopen with backoff. A stream that cannot be opened or breaks is
        tried again here; anything else (the detector, the face stage, a clip) ends this
        run and the supervisor starts it again. ``tried``: after each attempt to open."""
        assert part is not None
        name, wait = self.camera.name, 1.0
        while not stop.is_set():
            try:
                container = open_video(source, transport=self.camera.rtsp_transport)
            except SourceError as exc:
                if tried is not None:
                    tried()
                part.report(CameraHealth.degraded, f"cannot open the stream: {exc}")
                log.warning("%s: %s (retry in %.0f s)", name, exc, wait)
                self._back_off(stop, wait)
                wait = min(wait * 2, MAX_RECONNECT_WAIT)
                continue
            wait, self._opens = 1.0, self._opens + 1
            if tried is not None:
                tried()
            try:
                reason = read(container).ended_by or "the stream ended"
            except SourceError as exc:  # a stream that cannot serve its role
                reason = str(exc)
                wait = MAX_RECONNECT_WAIT
            except (av.FFmpegError, OSError) as exc:
                reason = f"the stream broke: {stream_url.scrub(str(exc), source)}"
                log.warning("%s: %s", name, reason)
            finally:
                dispose(container)
            if not stop.is_set():
                part.report(CameraHealth.degraded, f"reconnecting ({reason})")
            self._back_off(stop, wait)

    def _back_off(self, stop: threading.Event, seconds: float) -> None:
        """Waits ``seconds``, cut short when the camera's other stream opens: a camera back
        from a reboot serves both, and a clip needs both from the start."""
        seen, until = self._opens, time.monotonic() + seconds
        while time.monotonic() < until and self._opens == seen and not stop.wait(0.1):
            pass

    def _silent(self) -> float:
        return time.monotonic() - self.last_frame if self.first_open.is_set() else 0.0

    def _opened(self) -> None:
        if not self.first_open.is_set():
            self.last_frame = time.monotonic()
            self.first_open.set()

    def _watch(self, stop: threading.Event) -> None:
        self.watchdog.report(CameraHealth.ok)
        while not stop.wait(1.0):
            silent = self._silent()
            if silent >= self.camera.offline_after_seconds and not self.offline_reported:
                self.offline_reported = True
                reason = f"{self._silence(silent)} ({self.reader.current()})"
                since = datetime.now(UTC) - timedelta(seconds=silent)  # when the picture stopped
                self.pipeline.offline(reason, since)
