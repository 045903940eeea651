"""The live worker: a camera read in real time, delivered to a running hub; a dead camera
reported as offline; a full disk that still lets the event out."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.bus.messages import CameraHealth
from safewatch.models import CameraEventRecord, Device
from safewatch.vision.camera_reader import OutboxSink
from safewatch.vision.config import SiteConfig
from safewatch.vision.delivery import HubClient, Sender
from safewatch.vision.outbox import Outbox
from safewatch.vision.worker import SiteWorker
from tests.live import LiveHub, event, jpeg
from tests.world import World

WHOLE = [[0, 0], [1, 0], [1, 1], [0, 1]]


def _site(tmp_path: Path, source: str, hub: str | None, **camera: object) -> SiteConfig:
    return SiteConfig.model_validate(
        {
            "site": "home-a",
            "data_dir": str(tmp_path / "worker"),
            "hub": {"url": hub, "heartbeat_seconds": 0.5} if hub else None,
            "cameras": [
                {
                    "name": "front",
                    "source": source,
                    "credential_env": "SW_TEST_CAMERA",
                    "pre_roll_seconds": 2,
                    "post_roll_seconds": 2,
                    "zones": [{"name": "yard", "kind": "boundary", "polygon": WHOLE}],
                    **camera,
                }
            ],
        }
    )


@pytest.fixture
def camera_secret(world: World, monkeypatch: pytest.MonkeyPatch) -> str:
    dev = world.post("officer_a", "/api/v1/devices", {"kind": "camera", "serial": "CAM-W"}).json()
    world.post(
        "officer_a", f"/api/v1/devices/{dev['id']}/assign", {"case_id": str(world.cases["a"])}
    )
    secret: str = world.post("officer_a", f"/api/v1/devices/{dev['id']}/credential").json()[
        "secret"
    ]
    monkeypatch.setenv("SW_TEST_CAMERA", secret)
    return secret


def _wait(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_live_camera_events_reach_the_hub_with_clips_and_heartbeats(
    world: World, camera_secret: str, live_hub: LiveHub, vtest_short: Path, tmp_path: Path
) -> None:
    worker = SiteWorker(_site(tmp_path, str(vtest_short), live_hub.url))
    worker.start()

    def stored() -> list[CameraEventRecord]:
        with world.factory() as s:
            return list(s.scalars(select(CameraEventRecord)))

    try:
        _wait(lambda: any(r.clip_name for r in stored()), 30)
        worker.heartbeat()
    finally:
        worker.close()
    records = stored()
    assert records and all(r.type == "intrusion" and r.camera == "front" for r in records)
    with world.factory() as s:
        device = s.scalar(select(Device).where(Device.serial == "CAM-W"))
        assert device is not None and device.last_seen_at is not None
        assert "outbox" in device.health_note


def test_a_camera_that_never_answers_is_reported_offline(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    site = _site(tmp_path, str(tmp_path / "camera-gone.mp4"), live_hub.url, offline_after_seconds=1)
    worker = SiteWorker(site)
    worker.start()

    def offline() -> list[CameraEventRecord]:
        with world.factory() as s:
            return list(
                s.scalars(
                    select(CameraEventRecord).where(CameraEventRecord.type == "camera_offline")
                )
            )

    try:
        _wait(lambda: bool(offline()), 15)
        time.sleep(1.5)  # still gone: reported once, not every second
    finally:
        worker.close()
    (record,) = offline()
    assert "no picture for" in (record.detail or "") and "no such video file" in record.detail


def test_missing_credential_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SW_TEST_CAMERA", raising=False)
    with pytest.raises(ValueError, match=r"SW_TEST_CAMERA .* is not set"):
        SiteWorker(_site(tmp_path, "x.mp4", "http://127.0.0.1:9"))


def test_a_full_disk_still_lets_the_event_out_flagged(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db", max_backoff=0.2)

    class FullDisk:
        def execute(self, *args: object) -> object:
            raise sqlite3.OperationalError("database or disk is full")

    real_db = outbox._db
    outbox._db = FullDisk()  # type: ignore[assignment]
    e = event()
    sink = OutboxSink(outbox, "front")
    sink.event(e, jpeg(), None)  # cannot be written: kept in memory
    sink.clip(e.id, None, "clip not saved: [Errno 28] No space left on device", None)
    outbox._db = real_db
    sender = Sender(outbox, HubClient(live_hub.url, lambda _c: camera_secret))
    assert sender.drain_once()
    with world.factory() as s:
        record = s.get(CameraEventRecord, e.id)
        assert record is not None
        assert any("not_persisted" in f and "disk is full" in f for f in record.flags)
    sender.client.close()
    outbox.close()


def test_a_clip_held_in_memory_that_a_restart_lost_is_reported_missing(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    """An event the full disk held in memory reached the hub; the worker was killed before
    its clip went (the clip was in memory too). The next start cannot know of it: the hub
    learns from the new run's heartbeat that the run which held it is gone."""
    site = _site(tmp_path, "x.mp4", live_hub.url)
    first = SiteWorker(site)

    class FullDisk:
        def execute(self, *args: object) -> object:
            raise sqlite3.OperationalError("database or disk is full")

    real_db = first.outbox._db
    first.outbox._db = FullDisk()  # type: ignore[assignment]
    e = event().model_copy(update={"clip_start_t": 0.0, "clip_end_t": 2.0})
    no_clip = event(type_="camera_offline")  # none was to come: nothing is lost
    for raised in (e, no_clip):
        OutboxSink(first.outbox, "front").event(raised, jpeg(), None)
    first.outbox._db = real_db
    assert first.sender is not None
    while first.sender.drain_once():
        pass
    first.heartbeat()  # the run that holds it: its clip may still come

    def clip_error(of: uuid.UUID = e.id) -> str | None:
        with world.factory() as s:
            record = s.get(CameraEventRecord, of)
            assert record is not None and record.clip_name is None
            return record.clip_error

    assert clip_error() is None
    first.close()  # killed, for the event: its memory is gone
    second = SiteWorker(site)
    try:
        second.heartbeat()
        assert "restarted before" in (clip_error() or "")
        assert clip_error(no_clip.id) is None
    finally:
        second.close()


def test_clip_write_failure_is_reported_not_fatal(tmp_path: Path, vtest_short: Path) -> None:
    from safewatch.vision.analyze import analyze

    blocked = tmp_path / "clips"
    blocked.write_text("a file where the clip folder should be")
    result = analyze(vtest_short, _site(tmp_path, "x", None), clip_dir=blocked)
    assert result.sink.events, "events still come out"
    assert all(result.sink.clips[e.id] is None for e in result.sink.events)
    errors = list(result.sink.clip_errors.values())
    assert errors and all(e.startswith("clip not saved") for e in errors)
    assert uuid.UUID(str(result.sink.events[0].id))


def test_the_demo_site_sends_the_demo_case_real_events(
    vtest_short: Path,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
    live_hub: LiveHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `make run` starts: the seeded camera of the very-high case plays a recording."""
    from safewatch.demo import camera, seed
    from safewatch.vision.config import load_site

    with session_factory() as s, s.begin():
        seed.seed(s)
    secret = camera.issue_demo_credential(session_factory)
    assert secret is not None
    monkeypatch.setenv(camera.SECRET_ENV, secret)
    site = load_site(camera.write_site(tmp_path / "demo", vtest_short, live_hub.url))
    front = site.cameras[0]
    everywhere = [
        z.model_copy(update={"polygon": [(0, 0), (1, 0), (1, 1), (0, 1)]}) for z in front.zones
    ]
    site = site.model_copy(update={"cameras": [front.model_copy(update={"zones": everywhere})]})
    worker = SiteWorker(site)
    worker.start()

    def stored() -> list[CameraEventRecord]:
        with session_factory() as s:
            return list(s.scalars(select(CameraEventRecord)))

    try:
        _wait(lambda: bool(stored()), 30)
    finally:
        worker.close()
    with session_factory() as s:
        device = s.scalar(select(Device).where(Device.serial == camera.DEMO_CAMERA_SERIAL))
    assert device is not None
    assert {r.case_id for r in stored()} == {device.case_id}


def test_face_recognition_off_is_said_loudly_not_silently(
    world: World, camera_secret: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    raw = _site(tmp_path, str(tmp_path / "none.mp4"), live_hub.url).model_dump()
    raw["faces"] = {"from_hub": True}
    worker = SiteWorker(SiteConfig.model_validate(raw))
    try:
        assert "no face templates" in worker.face_errors["front"]  # nobody enrolled yet
        assert worker.cameras[0].pipeline.face_stage is None  # zones still guard the home
        worker.heartbeat()
    finally:
        worker.close()
    with world.factory() as s:
        device = s.scalar(select(Device).where(Device.serial == "CAM-W"))
    assert device is not None and "face recognition off" in device.health_note


def test_a_camera_is_not_offline_for_the_time_before_its_worker_started(
    tmp_path: Path, vtest_short: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watchdog counted from the worker's construction: a site whose start took longer
    than offline_after_seconds (models loading, other cameras) raised a false
    camera_offline for a camera that had not yet been asked for a picture."""
    monkeypatch.setenv("SW_TEST_CAMERA", "unused")
    worker = SiteWorker(_site(tmp_path, str(vtest_short), None, offline_after_seconds=1))
    time.sleep(1.5)  # the rest of the site starting
    worker.start()
    try:
        assert "no picture" not in str(worker.cameras[0].state())
        _wait(lambda: worker.cameras[0].pipeline.stats.analysed >= 10, 15)
        time.sleep(1.2)
        items = worker.outbox.next_due_events(1000, now=time.time() + 3600)
    finally:
        worker.close()
    assert not [i for i in items if "camera_offline" in (i.payload or "")]


def test_a_camera_analysed_seconds_behind_says_so(tmp_path: Path) -> None:
    """A node past its limit analyses its cameras late (the region bench: 11 s behind at 24
    cameras) and raises their alerts that late; the camera said "ok"."""
    worker = SiteWorker(_site(tmp_path, "x.mp4", None))
    try:
        camera = worker.cameras[0]
        camera.pipeline.stats.behind.extend([0.2] * 20)
        assert "behind" not in worker.camera_state(camera).note
        camera.pipeline.stats.behind.extend([11.0] * 20)
        state = worker.camera_state(camera)
        assert "analysis 11 s behind the camera" in state.note
        assert state.health != CameraHealth.ok
    finally:
        worker.close()
