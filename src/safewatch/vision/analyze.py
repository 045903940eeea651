"""``safewatch analyze``: the camera pipeline over a recorded file, as fast as the CPU allows."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from safewatch.bus.messages import CameraEvent
from safewatch.core.progress import Step
from safewatch.vision.config import CameraConfig, SiteConfig
from safewatch.vision.detectors.base import make_detector
from safewatch.vision.pipeline import CameraPipeline, FrameStats
from safewatch.vision.ports import FaceStage
from safewatch.vision.record import RecordStream, record
from safewatch.vision.shown import ShownStats
from safewatch.vision.source import (
    PlayStats,
    SourceError,
    frames_expected,
    is_network,
    open_video,
    play,
)

log = logging.getLogger(__name__)


@dataclass
class CollectingSink:
    """Keeps events in order and reports each once its clip (if any) is settled."""

    snapshots_dir: Path | None = None
    events: list[CameraEvent] = field(default_factory=list)
    clips: dict[uuid.UUID, str | None] = field(default_factory=dict)
    clip_errors: dict[uuid.UUID, str] = field(default_factory=dict)
    originals: dict[uuid.UUID, str] = field(default_factory=dict)  # unblurred clips

    def event(self, event: CameraEvent, snapshot: bytes, original: bytes | None) -> None:
        self.events.append(event)
        if self.snapshots_dir is not None and snapshot:
            self.snapshots_dir.mkdir(parents=True, exist_ok=True)
            (self.snapshots_dir / f"{event.id}.jpg").write_bytes(snapshot)
            if original is not None:
                (self.snapshots_dir / f"{event.id}.original.jpg").write_bytes(original)

    def clip(
        self, event_id: uuid.UUID, path: Path | None, error: str | None, original: Path | None
    ) -> None:
        self.clips[event_id] = str(path) if path else None
        if original is not None:
            self.originals[event_id] = str(original)
        if error:
            self.clip_errors[event_id] = error

    def line(self, event: CameraEvent) -> dict[str, Any]:
        return {
            "type": event.type,
            "t": event.video_t,
            "track": event.track,
            "zone": event.zone,
            "identity": event.identity,
            "score": event.score,
            "clip": self.clips.get(event.id),
            "original_clip": self.originals.get(event.id),
            "severity": event.severity,
            "detail": event.detail,
            "id": str(event.id),
        }


@dataclass
class AnalysisResult:
    sink: CollectingSink
    play: PlayStats
    frames: FrameStats
    shown: ShownStats | None = None  # the shared blurred encode (None: blurring off)

    def lines(self) -> list[dict[str, Any]]:
        return [self.sink.line(e) for e in self.sink.events]


def file_camera(site: SiteConfig, video: str | Path, camera: str | None) -> CameraConfig:
    chosen = site.cameras[0]
    if camera is not None:
        found = [c for c in site.cameras if c.name == camera]
        if not found:
            raise ValueError(f"the site has no camera named '{camera}'")
        chosen = found[0]
    return chosen.model_copy(update={"source": str(video), "inputs": []})


class Recording:
    """A record stream read beside the analysis, on a thread of its own, until ``close``."""

    def __init__(self, source: str, camera: CameraConfig) -> None:
        self.into = RecordStream(camera.pre_roll_seconds + camera.post_roll_seconds + 4)
        self.container = open_video(source, transport=camera.rtsp_transport)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(source,), name="record stream")
        self.thread.start()

    def _read(self, source: str) -> None:
        network = is_network(source)
        try:
            record(self.container, self.into, self.stop, not network, network)
        except SourceError as exc:  # a stream that cannot be recorded: clips from the other
            log.warning("%s", exc)
        finally:
            self.into.retire(self.container)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.into.close()  # and its container


def analyze(
    video: str | Path,
    site: SiteConfig,
    clip_dir: Path | None = None,
    camera: str | None = None,
    face_stage: FaceStage | None = None,
    snapshots_dir: Path | None = None,
    meter: Callable[[int], AbstractContextManager[Step]] | None = None,
    record_source: str | None = None,
) -> AnalysisResult:
    """``meter``, given the frames the file holds, gives a step to call once per frame.
    ``record_source``: the camera's main stream, for its clips and snapshots (the video is
    then its sub stream); two files are both read at their own pace."""
    config = file_camera(site, video, camera)
    sink = CollectingSink(snapshots_dir)
    start = datetime.now(UTC)
    pipeline = CameraPipeline(
        site=site,
        camera=config,
        detector=make_detector(config.detector),
        sink=sink,
        clip_dir=clip_dir,
        face_stage=face_stage,
        clock=lambda t: start + timedelta(seconds=t),
    )
    live = is_network(str(video))  # a camera: its frames carry their capture times
    recording = None if record_source is None else Recording(record_source, config)
    pipeline.record = None if recording is None else recording.into
    paced = recording is not None and not live  # a file beside its record stream
    try:
        container = open_video(str(video), transport=config.rtsp_transport)
        try:
            if meter is None:
                stats = play(container, pipeline, live=live, realtime=paced)
            else:
                with meter(frames_expected(container)) as step:
                    stats = play(container, pipeline, on_frame=step, live=live, realtime=paced)
        finally:
            container.close()
    finally:
        if recording is not None:
            recording.close()
    pipeline.clip_jobs.wait()  # the clips still being blurred: the result lists every clip
    shown = pipeline.clip_jobs.shown
    return AnalysisResult(sink, stats, pipeline.stats, None if shown is None else shown.stats)


def json_line(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False)
