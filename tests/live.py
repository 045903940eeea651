"""Helpers for tests that need a running hub or real media: a JPEG, a tiny MP4, an event."""

from __future__ import annotations

import io
import socket
import threading
import time
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import uvicorn
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from safewatch.api.app import create_app
from safewatch.bus.messages import CameraEvent
from safewatch.core.config import Settings


def jpeg(size: tuple[int, int] = (64, 48), seed: str = "") -> bytes:
    buf = io.BytesIO()
    shade = sum(map(ord, seed)) % 200
    Image.new("RGB", size, (10 + shade, 120, 30)).save(buf, "JPEG")
    return buf.getvalue()


def tiny_mp4(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="bgr24")
            f.pts, f.time_base = i, Fraction(1, 10)
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    return path


def event(camera: str = "front", type_: str = "intrusion", t: float = 1.0) -> CameraEvent:
    return CameraEvent(
        site="home-a",
        camera=camera,
        type=type_,
        severity="high",  # type: ignore[arg-type]
        at=datetime.now(UTC),
        video_t=t,
        track=3,
        zone="yard",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveHub:
    """The real app in uvicorn on a local port, which a test can stop and start again."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings, self.factory = settings, factory
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        app = create_app(self.settings, self.factory)
        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the hub did not start"
            time.sleep(0.02)

    def app_bus_subscribers(self) -> int:
        """Open real-time streams on this hub."""
        count: int = self.app.state.alerting.bus.subscribers
        return count

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(10)
