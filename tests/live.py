"""Helpers for tests that need a running hub or real media: a JPEG, a tiny MP4, an event."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from safewatch.api.app import create_app
from safewatch.bus.messages import CameraEvent
from safewatch.core.config import Settings
from safewatch.core.serving import proxy_options
from safewatch.demo.server import BackgroundHub
from safewatch.incidents.facts import IncidentFacts, IncidentKind
from safewatch.schemas.alerts import AlertPacket, PacketCase, PacketIncident, PacketLocation


def jpeg(size: tuple[int, int] = (64, 48), seed: str = "") -> bytes:
    buf = io.BytesIO()
    shade = sum(map(ord, seed)) % 200
    Image.new("RGB", size, (10 + shade, 120, 30)).save(buf, "JPEG")
    return buf.getvalue()


def tiny_mp4(path: Path, shade: int = 0) -> Path:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            f = av.VideoFrame.from_ndarray(
                np.full((48, 64, 3), i * 20 + shade, np.uint8), format="bgr24"
            )
            f.pts, f.time_base = i, Fraction(1, 10)
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    return path


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def send_with_media(
    client: TestClient,
    camera_secret: str,
    e: CameraEvent,
    snapshot: bytes,
    clip: bytes,
    originals: tuple[bytes, bytes] | None = None,
) -> None:
    """An event with its snapshot, then its clip, as a camera worker sends them; with
    ``originals``, the unblurred snapshot and clip after them."""
    headers = {"Authorization": f"Bearer {camera_secret}"}
    r = client.post(
        "/api/v1/device/events",
        headers=headers,
        data={"event": e.model_dump_json()},
        files={"snapshot": ("s.jpg", snapshot, "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    r = client.put(
        f"/api/v1/device/events/{e.id}/clip",
        content=clip,
        headers={**headers, "Content-Type": "video/mp4"},
    )
    assert r.status_code == 200, r.text
    for media, data in zip(("snapshot", "clip"), originals, strict=True) if originals else ():
        r = client.put(
            f"/api/v1/device/events/{e.id}/original/{media}", content=data, headers=headers
        )
        assert r.status_code == 200, r.text


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


class LiveHub(BackgroundHub):
    """The real app on a local port, which a test can stop and start again."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        super().__init__(lambda: create_app(settings, factory), proxy=proxy_options(settings))


def alert_packet(
    severity: str = "critical", summary: str = "", facts: IncidentFacts | None = None
) -> AlertPacket:
    """A packet as the hub sends one (the channels' tests need no incident behind it)."""

    now = datetime.now(UTC)
    return AlertPacket(
        incident=PacketIncident(
            id=uuid.uuid4(), reference="INC-2026-0007", type=IncidentKind.offender_recognized,
            severity=severity, summary=summary, facts=facts, status="open",
            police_status="requested", police_reach="waiting", police_request=None,
            outcome=None, opened_at=now, last_signal_at=now, guard_unit=None, claimed=False,
        ),
        case=PacketCase(reference="JJ-2026-0001", risk_level=None),
        location=PacketLocation(latitude=None, longitude=None, battery_percent=None),
        snapshot_url=None, clip_url=None, clip_pending=False,
    )  # fmt: skip
