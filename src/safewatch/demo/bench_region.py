"""``safewatch bench camera --cameras N``: one node's worker with N home cameras streaming over
the real RTSP server, as a region runs it (issue 21).

The streams are made from real video: a busy camera is vtest.avi's scenes (people in view
throughout, small and far), or another video's (``--busy-video``: people walking up to the
camera, faces large, as at a home's door; a short clip is played forth and back), a quiet one
vtest.avi's lawn with nobody on it and sensor noise. Each camera sends a
home camera's two streams: the main stream, 1920×1080 at 15 fps, H.264 at ~2 Mbps with a
keyframe every 2 s, and a sub stream, 640×360 at 15 fps, ~512 kbps. A share of the cameras is
busy, the rest quiet. The worker (``SiteWorker``, the one `camera run` runs, blurring on by
default) reads them through GStreamer's RTSP server with a digest login: the sub stream
analysed, the main stream recorded (``one_stream``: the main stream alone, analysed).

Three phases of ``seconds`` each, in one process: the node merely decoding the N main streams;
the worker with every camera quiet; the worker with the busy share. From these: CPU per quiet
and per busy camera, whether each camera kept real time, trigger frame → outbox, blurred clip
ready after its post-roll, and the RSS.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import psutil

from safewatch.demo.bench_count import pct
from safewatch.demo.rtsp import RtspServer
from safewatch.vision.config import SiteConfig
from safewatch.vision.memory import limit_malloc_arenas
from safewatch.vision.worker import SiteWorker

FPS, MAIN, SUB = 15, (1920, 1080), (640, 360)
BIT_RATE, SUB_BIT_RATE = 2_000_000, 512_000
STREAM_SECONDS = 60  # the server plays each stream this long, then the worker reopens it
WHOLE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


@dataclass(frozen=True)
class Streams:
    busy: Path
    quiet: Path
    busy_sub: Path
    quiet_sub: Path


def _encode(frames: list[np.ndarray], dst: Path, size: tuple[int, int], bit_rate: int) -> None:
    part = dst.with_name(f".{dst.name}.part")
    with av.open(str(part), "w", format="mp4") as out:
        s = out.add_stream("libx264", rate=FPS)
        s.width, s.height = size
        s.pix_fmt, s.bit_rate = "yuv420p", bit_rate
        s.options = {"preset": "veryfast", "g": str(2 * FPS), "bf": "0"}
        for n, bgr in enumerate(frames):
            scaled = np.ascontiguousarray(cv2.resize(bgr, size), dtype=np.uint8)
            f = av.VideoFrame.from_ndarray(scaled, format="bgr24")
            f = f.reformat(format="yuv420p")
            f.pts, f.time_base = n, Fraction(1, FPS)
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    part.replace(dst)


def _frames(source: Path) -> tuple[list[np.ndarray], float]:
    """The video's frames, as many as a stream plays (a long 1080p video is gigabytes)."""
    with av.open(str(source)) as c:
        rate = float(c.streams.video[0].average_rate or 10)
        wanted = int(STREAM_SECONDS * rate) + 1
        frames = []
        for frame in c.decode(video=0):
            frames.append(frame.to_ndarray(format="bgr24"))
            if len(frames) >= wanted:
                break
        return frames, rate


def _played(frames: list[np.ndarray], rate: float) -> list[np.ndarray]:
    """STREAM_SECONDS at FPS; a shorter video forth and back, so people stay in view."""
    period = max(1, 2 * (len(frames) - 1))
    picked = []
    for n in range(FPS * STREAM_SECONDS):
        k = int(n * rate / FPS) % period
        picked.append(frames[k if k < len(frames) else period - k])
    return picked


def make_streams(source: Path, out: Path, busy_source: Path | None = None) -> Streams:
    """The busy and the quiet main and sub streams, made once and kept in ``out`` (named
    after the videos they are made from)."""
    out.mkdir(parents=True, exist_ok=True)
    busy_name = (busy_source or source).stem
    streams = Streams(
        out / f"busy_{busy_name}_1080p15.mp4",
        out / f"quiet_{source.stem}_1080p15.mp4",
        out / f"busy_{busy_name}_360p15.mp4",
        out / f"quiet_{source.stem}_360p15.mp4",
    )
    if not (streams.busy.exists() and streams.busy_sub.exists()):
        frames, rate = _frames(busy_source or source)
        wanted = _played(frames, rate)
        _encode(wanted, streams.busy, MAIN, BIT_RATE)
        _encode(wanted, streams.busy_sub, SUB, SUB_BIT_RATE)
    if not (streams.quiet.exists() and streams.quiet_sub.exists()):
        frames, _ = _frames(source)
        lawn = cv2.resize(frames[0][330:, :], MAIN)  # nobody stands on vtest.avi's lawn at first
        rng = np.random.default_rng(0)
        noisy = [
            np.clip(lawn.astype(np.int16) + rng.integers(-2, 3, lawn.shape), 0, 255).astype(
                np.uint8
            )
            for _ in range(FPS * STREAM_SECONDS)
        ]
        _encode(noisy, streams.quiet, MAIN, BIT_RATE)
        _encode(noisy, streams.quiet_sub, SUB, SUB_BIT_RATE)
    return streams


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class CpuMeter:
    """CPU seconds per second since it was made: this process's, the RTSP server's (on the
    node only in the bench: real cameras serve their own streams), and the whole node's
    share of its cores in use (the worker can be short of CPU while its own use is low)."""

    def __init__(self, server: RtspServer) -> None:
        assert server.process is not None
        self.server = psutil.Process(server.process.pid)
        self.wall, self.own = time.monotonic(), time.process_time()
        self.served, self.node = self._served(), _node_busy()

    def _served(self) -> float:
        times = self.server.cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)

    def read(self) -> dict[str, float]:
        wall = time.monotonic() - self.wall
        busy = _node_busy() - self.node
        return {
            "cpu_per_second": round((time.process_time() - self.own) / wall, 3),
            "server_cpu_per_second": round((self._served() - self.served) / wall, 3),
            "node_cores_busy": round(busy / wall / (psutil.cpu_count() or 1), 2),
        }


def _node_busy() -> float:
    """CPU seconds the node's cores have worked: guest time is already in user time, and
    time stolen by the hypervisor was not the node's work."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0))


def decode_only(server: RtspServer, urls: list[str], seconds: float) -> dict[str, float]:
    """CPU seconds per second this process spends merely decoding the streams."""
    stop = threading.Event()

    def decode(url: str) -> None:
        with av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10, 10)) as c:
            stream = c.streams.video[0]
            stream.thread_type = "NONE"
            for packet in c.demux(stream):
                if stop.is_set():
                    return
                try:
                    packet.decode()
                except av.FFmpegError:
                    continue

    threads = [threading.Thread(target=decode, args=(u,), daemon=True) for u in urls]
    for t in threads:
        t.start()
    time.sleep(3)  # every stream open and flowing
    meter = CpuMeter(server)
    time.sleep(seconds)
    cpu = meter.read()
    stop.set()
    for t in threads:
        t.join(10)
    return cpu


PASSWORD_ENV = "SAFEWATCH_BENCH_CAMERA_PASSWORD"  # named in the site file, as a site names it


def _streams(server: RtspServer, mount: str, one_stream: bool) -> dict[str, Any]:
    os.environ[PASSWORD_ENV] = server.password
    secret = "${" + PASSWORD_ENV + "}"
    if one_stream:
        return {"source": server.url(mount, password=secret)}
    return {
        "inputs": [
            {"path": server.url(f"{mount}-sub", password=secret), "roles": ["detect"]},
            {"path": server.url(mount, password=secret), "roles": ["record"]},
        ]
    }


@dataclass(frozen=True)
class NodeShape:
    """How each camera is run. ``offender``: a folder of one person's photos, enrolled as
    the offender every camera looks for (a protected home's camera recognises faces)."""

    blur: bool = True
    one_stream: bool = False
    offender: Path | None = None
    busy_video: Path | None = None  # the busy cameras' scene (default: the bench's video)


def _site(server: RtspServer, mounts: list[str], data_dir: Path, shape: NodeShape) -> SiteConfig:
    faces = None
    if shape.offender is not None:  # the site's watch list: one sub-folder per person
        watchlist = data_dir / "watchlist"
        watchlist.mkdir()
        (watchlist / shape.offender.name).symlink_to(shape.offender.resolve())
        faces = {"watchlist": str(watchlist)}
    return SiteConfig.model_validate(
        {
            "site": "bench",
            "data_dir": str(data_dir),
            "faces": faces,
            "cameras": [
                {
                    "name": mount,
                    **_streams(server, mount, shape.one_stream),
                    "privacy": {"blur_faces": shape.blur},
                    "zones": [
                        {"name": "yard", "kind": "boundary", "polygon": WHOLE},
                        {
                            "name": "street",
                            "kind": "perimeter",
                            "polygon": WHOLE,
                            "loiter_seconds": 2,
                        },
                    ],
                }
                for mount in mounts
            ],
        }
    )


def run_worker(
    server: RtspServer, mounts: list[str], seconds: float, shape: NodeShape
) -> dict[str, Any]:
    """The worker on the cameras for ``seconds`` once every camera sees; what it cost."""
    with tempfile.TemporaryDirectory() as tmp:
        worker = SiteWorker(_site(server, mounts, Path(tmp), shape))
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while any(c.pipeline.stats.decoded == 0 for c in worker.cameras):
                if time.monotonic() > deadline:
                    raise RuntimeError("not every camera's stream opened within 60 s")
                time.sleep(0.2)
            decoded0 = [c.pipeline.stats.decoded for c in worker.cameras]
            for c in worker.cameras:
                c.pipeline.stats.behind.clear()  # measured from here
            meter, wall0, t0 = CpuMeter(server), time.monotonic(), time.time()
            time.sleep(seconds)
            cpu = meter.read()
            wall = time.monotonic() - wall0
            rates = [
                (c.pipeline.stats.decoded - d) / wall
                for c, d in zip(worker.cameras, decoded0, strict=True)
            ]
            rss = rss_mb()
            behind = [b for c in worker.cameras for b in c.pipeline.stats.behind]
            time.sleep(15)  # the clips of the last events: post-roll, then the blur
        finally:
            worker.close()
        latencies, clip_ready, wanted = _outbox_times(Path(tmp) / "outbox.db", t0, t0 + seconds)
    shown = [c.pipeline.clip_jobs.shown.stats for c in worker.cameras if c.pipeline.clip_jobs.shown]
    ms = [v * 1000 for v in latencies]
    return {
        **cpu,
        "frames_per_second_min": round(min(rates), 1),
        # every camera analysed as it is filmed: its frames at most a second behind
        "behind_s_p99": pct(behind, 0.99),
        "real_time": min(rates) >= FPS * 0.95 and (pct(behind, 0.99) or 0.0) <= 1.0,
        "rss_mb": round(rss, 1),
        "events": len(latencies),
        "trigger_to_outbox_ms_p50": pct(ms, 0.5),
        "trigger_to_outbox_ms_p99": pct(ms, 0.99),
        "clips": len(clip_ready),
        "clips_expected": wanted,  # more than "clips": some were still waiting at the end
        # the shared blurred encode: frames encoded once, clips cut from it, clips blurred alone
        "shown_frames_encoded": sum(s.frames for s in shown),
        "shown_clips_cut": sum(s.cut for s in shown),
        "shown_clips_fell_back": sum(s.fell_back for s in shown),
        "clip_ready_after_post_roll_s_p50": pct(clip_ready, 0.5),
        "clip_ready_after_post_roll_s_max": pct(clip_ready, 1.0),
    }


def _outbox_times(db: Path, start: float, end: float) -> tuple[list[float], list[float], int]:
    """Trigger frame → event row, and post-roll end → blurred clip row, for the events whose
    trigger frame fell in the measured window; and how many of them wanted a clip."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, event_id, payload, created FROM item").fetchall()
    events: dict[str, tuple[float, float]] = {}  # event id → (trigger, post-roll end)
    latencies = []
    for kind, event_id, payload, created in rows:
        if kind == "event":
            event = json.loads(payload)
            at = _epoch(event["at"])
            if start <= at <= end:
                latencies.append(created - at)
                if event.get("clip_end_t") is not None:
                    events[event_id] = (at, at + event["clip_end_t"] - event["video_t"])
    ready = [
        created - events[event_id][1]
        for kind, event_id, _, created in rows
        if kind == "clip" and event_id in events
    ]
    return latencies, ready, len(events)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def bench_region(
    video: Path,
    cameras: int,
    busy_share: float = 0.2,
    seconds: float = 60.0,
    shape: NodeShape = NodeShape(),
    out: Path = Path("var/bench"),
) -> dict[str, Any]:
    limit_malloc_arenas()  # as the worker does, before the decode-only phase's threads
    one_stream = shape.one_stream
    streams = make_streams(video, out, shape.busy_video)
    busy = max(1, round(cameras * busy_share)) if busy_share > 0 else 0
    mounts = [f"cam{k:03d}" for k in range(cameras)]

    def served(busy_ones: int) -> dict[str, tuple[str, Path]]:
        main = {
            m: ("h264", streams.busy if k < busy_ones else streams.quiet)
            for k, m in enumerate(mounts)
        }
        sub = {
            f"{m}-sub": ("h264", streams.busy_sub if k < busy_ones else streams.quiet_sub)
            for k, m in enumerate(mounts)
        }
        return main if one_stream else {**main, **sub}

    result: dict[str, Any] = {
        "cameras": cameras,
        "busy": busy,
        "stream": f"{MAIN[0]}x{MAIN[1]} {FPS} fps H.264 ~{BIT_RATE // 1_000_000} Mbps, GOP 2 s",
        "analysed": "main stream" if one_stream else f"sub stream {SUB[0]}x{SUB[1]} {FPS} fps",
        "blur_faces": shape.blur,
        "offender_enrolled": shape.offender is not None,
        "busy_scene": (shape.busy_video or video).name,
        "seconds": seconds,
        "rss_mb_before_cameras": round(rss_mb(), 1),
    }
    with RtspServer(served(busy)) as server:  # type: ignore[arg-type]
        decoding = decode_only(server, [server.url(m) for m in mounts], seconds)
        result["decode_only_cpu_per_second"] = decoding.pop("cpu_per_second")
        result["decode_only"] = decoding
    with RtspServer(served(0)) as server:  # type: ignore[arg-type]
        result["all_quiet"] = run_worker(server, mounts, seconds, shape)
    with RtspServer(served(busy)) as server:  # type: ignore[arg-type]
        result["mixed"] = run_worker(server, mounts, seconds, shape)
    quiet_each = result["all_quiet"]["cpu_per_second"] / cameras
    result["cpu_per_quiet_camera"] = round(quiet_each, 4)
    if busy:
        busy_cpu = result["mixed"]["cpu_per_second"] - quiet_each * (cameras - busy)
        result["cpu_per_busy_camera"] = round(busy_cpu / busy, 4)
    result["analysis_to_decode_only"] = round(
        result["mixed"]["cpu_per_second"] / max(result["decode_only_cpu_per_second"], 1e-9), 2
    )
    return result
