"""``safewatch bench camera``: what analysing a video costs, beside what decoding it alone costs."""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av

from safewatch.bus.messages import CameraEvent
from safewatch.vision.analyze import file_camera
from safewatch.vision.camera_reader import OutboxSink
from safewatch.vision.clip_source import PendingClip
from safewatch.vision.config import CameraConfig, SiteConfig, ZoneConfig
from safewatch.vision.detectors.base import make_detector
from safewatch.vision.outbox import Outbox
from safewatch.vision.pipeline import CameraPipeline
from safewatch.vision.source import open_video, play


def decode_only(video: Path) -> dict[str, float]:
    """Decode every frame, convert none: the floor any analysis sits on."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    frames, duration = 0, 0.0
    with open_video(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"
        for packet in container.demux(stream):
            try:
                for frame in packet.decode():
                    frames += 1
                    duration = max(duration, float(frame.time or 0))
            except av.FFmpegError:
                continue
    return {
        "frames": frames,
        "video_seconds": duration,
        "cpu_seconds": time.process_time() - cpu0,
        "wall_seconds": time.perf_counter() - wall0,
    }


class TimingSink(OutboxSink):
    """The worker's real outbox, timing trigger frame → event stored."""

    def __init__(self, outbox: Outbox, camera: str) -> None:
        super().__init__(outbox, camera)
        self.frame_started = 0.0
        self.latencies: list[float] = []
        self.cut_at: dict[uuid.UUID, float] = {}
        self.clip_ms: list[float] = []  # post-roll ended → clip (blurred, with its original) ready

    def event(self, event: CameraEvent, snapshot: bytes, original: bytes | None) -> None:
        super().event(event, snapshot, original)
        self.latencies.append(time.perf_counter() - self.frame_started)

    def clip(
        self, event_id: uuid.UUID, path: Path | None, error: str | None, original: Path | None
    ) -> None:
        super().clip(event_id, path, error, original)
        self.clip_ms.append((time.perf_counter() - self.cut_at.pop(event_id)) * 1000)


class TimedPipeline(CameraPipeline):
    def on_frame(self, frame: av.VideoFrame, captured: datetime | None = None) -> list[CameraEvent]:
        assert isinstance(self.sink, TimingSink)
        self.sink.frame_started = time.perf_counter()
        return super().on_frame(frame, captured)

    def _cut(self, clip: PendingClip, until: float = float("inf")) -> None:
        assert isinstance(self.sink, TimingSink)
        self.sink.cut_at[clip.event_id] = time.perf_counter()
        super()._cut(clip, until)


def bench_camera(video: Path, site: SiteConfig | None = None, blur: bool = True) -> dict[str, Any]:
    decode = decode_only(video)
    if site is None:  # the whole view is a boundary and a 2-second perimeter: many triggers
        whole = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
        camera = CameraConfig(
            name="bench",
            source=str(video),
            zones=[
                ZoneConfig(name="yard", kind="boundary", polygon=whole),
                ZoneConfig(name="street", kind="perimeter", polygon=whole, loiter_seconds=2),
            ],
        )
        site = SiteConfig(site="bench", cameras=[camera])
    camera = file_camera(site, video, None)
    privacy = camera.privacy.model_copy(update={"blur_faces": blur})
    camera = camera.model_copy(update={"privacy": privacy})
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.db")
        sink = TimingSink(outbox, camera.name)
        start = datetime.now(UTC)
        pipeline = TimedPipeline(
            site=site,
            camera=camera,
            detector=make_detector(camera.detector),
            sink=sink,
            clip_dir=Path(tmp) / "clips",
            clock=lambda t: start + timedelta(seconds=t),
        )
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with open_video(str(video)) as container:
            stats = play(container, pipeline)
        pipeline.clip_jobs.wait()  # their cost is the camera's too
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        outbox.close()
    seconds = stats.duration or decode["video_seconds"] or 1.0
    lat = sorted(sink.latencies)
    return {
        "video": str(video),
        "video_seconds": round(seconds, 2),
        "frames_decoded": stats.frames,
        "frames_analysed": pipeline.stats.analysed,
        "frames_detected": pipeline.stats.detected,
        "analysed_fps": round(pipeline.stats.analysed / wall, 1),
        "realtime_factor": round(seconds / wall, 2),
        "cpu_seconds_per_video_second": round(cpu / seconds, 4),
        "decode_only_cpu_seconds_per_video_second": round(decode["cpu_seconds"] / seconds, 4),
        "ratio_to_decode_only": round(cpu / max(decode["cpu_seconds"], 1e-9), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "events": len(lat),
        "trigger_to_outbox_ms_p50": round(statistics.median(lat) * 1000, 1) if lat else None,
        "trigger_to_outbox_ms_p99": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1)
        if lat
        else None,
        "clip_ready_ms_p50": round(statistics.median(sink.clip_ms), 1) if sink.clip_ms else None,
        "clip_ready_ms_max": round(max(sink.clip_ms), 1) if sink.clip_ms else None,
        "clips": len(sink.clip_ms),
        "blur_faces": blur,
        "run_id": str(uuid.uuid4()),
    }
