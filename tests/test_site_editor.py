"""The site editor: a camera sends a picture of its view; an officer draws zones on it in the
hub; the camera takes them and keeps the last ones when the hub is gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from safewatch.vision.config import SiteConfig
from safewatch.vision.worker import SiteWorker
from tests.live import LiveHub
from tests.world import World

V1 = "/api/v1"
LAWN = {"name": "lawn", "kind": "boundary", "polygon": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}
PATH = {"name": "path", "kind": "perimeter", "polygon": [[0, 0], [1, 0], [1, 0.4]]}


def _jpeg() -> bytes:
    frame = np.zeros((120, 160, 3), np.uint8)
    cv2.rectangle(frame, (10, 60), (150, 115), (40, 160, 40), -1)  # a lawn
    return bytes(cv2.imencode(".jpg", frame)[1])


def _camera(world: World) -> tuple[str, str]:
    secret = world.device("camera", "CAM-ED-1")
    devices = world.get("officer_a", f"{V1}/devices?kind=camera").json()["items"]
    return next(d["id"] for d in devices if d["serial"] == "CAM-ED-1"), secret


def _as_camera(world: World, secret: str, method: str, path: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
    return world.client.request(method, f"{V1}{path}", headers=headers, **kw)


def _worker(
    live_hub: LiveHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    secret: str,
    camera: dict[str, Any] | None = None,
    hub: dict[str, Any] | None = None,
) -> SiteWorker:
    """A worker for one camera ('front') of home A, talking to the live hub."""
    monkeypatch.setenv("CAM_ED_SECRET", secret)
    front = {"name": "front", "source": "x", "credential_env": "CAM_ED_SECRET", **(camera or {})}
    site = {
        "site": "home-a",
        "cameras": [front],
        "hub": {"url": live_hub.url, **(hub or {})},
        "data_dir": str(tmp_path / "worker"),
    }
    return SiteWorker(SiteConfig.model_validate(site))


def test_an_officer_sees_the_cameras_view_and_the_look_is_audited(world: World) -> None:
    device, secret = _camera(world)
    assert world.get("officer_a", f"{V1}/devices/{device}/view").status_code == 404
    bad = _as_camera(world, secret, "PUT", "/device/view", content=b"GIF89a...")
    assert bad.status_code == 422 and "JPEG" in bad.json()["detail"]
    sent = _as_camera(world, secret, "PUT", "/device/view", content=_jpeg())
    assert sent.status_code == 200, sent.text

    r = world.get("officer_a", f"{V1}/devices/{device}/view")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == _jpeg()
    assert world.get("officer_b", f"{V1}/devices/{device}/view").status_code == 403
    trail = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit").json()["items"]
    assert any(e["entity"] == "camera_view" and e["actor_name"] == "Officer A" for e in trail)


def test_zones_drawn_in_the_hub_reach_the_camera(world: World) -> None:
    device, secret = _camera(world)
    assert _as_camera(world, secret, "GET", "/device/zones").json()["zones"] is None

    r = world.client.put(
        f"{V1}/devices/{device}/zones", json={"zones": [LAWN, PATH]}, headers=world.h("officer_a")
    )
    assert r.status_code == 200, r.text
    got = _as_camera(world, secret, "GET", "/device/zones").json()
    assert [z["name"] for z in got["zones"]] == ["lawn", "path"]
    assert got["zones"][1]["loiter_seconds"] == 20.0  # a perimeter's default
    assert got["zones"][0]["polygon"] == LAWN["polygon"]
    trail = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit").json()["items"]
    assert any("lawn (boundary), path (perimeter)" in e["reason"] for e in trail)


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ([{**LAWN, "polygon": [[0, 0], [1.5, 0], [1, 1]]}], "less than or equal to 1"),
        ([LAWN, LAWN], "zone names must differ"),
        ([{**LAWN, "polygon": [[0, 0], [1, 1]]}], "at least 3"),
        ([{**LAWN, "loiter_seconds": 5}], "loiter_seconds applies to perimeter"),
    ],
)
def test_a_bad_zone_is_refused_with_the_reason(
    world: World, zones: list[dict[str, Any]], message: str
) -> None:
    device, _ = _camera(world)
    r = world.client.put(
        f"{V1}/devices/{device}/zones", json={"zones": zones}, headers=world.h("officer_a")
    )
    assert r.status_code == 422 and message in r.text


def test_only_the_station_holding_the_camera_draws_its_zones(world: World) -> None:
    device, _ = _camera(world)
    body = {"zones": [LAWN]}
    for user, status in (("officer_b", 403), ("caseworker_a", 403), ("security_a", 403)):
        r = world.client.put(f"{V1}/devices/{device}/zones", json=body, headers=world.h(user))
        assert r.status_code == status, (user, r.text)
    assert world.get("caseworker_a", f"{V1}/devices/{device}/zones").status_code == 200


def test_a_running_worker_sends_its_view_takes_the_zones_and_keeps_them_offline(
    world: World, live_hub: LiveHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device, secret = _camera(world)
    worker = _worker(
        live_hub,
        tmp_path,
        monkeypatch,
        secret,
        {"zones_from_hub": True, "zones": [{**LAWN, "name": "from-the-file"}]},
    )
    pipeline = worker.cameras[0].pipeline
    try:
        pipeline.last_frame = cv2.imdecode(np.frombuffer(_jpeg(), np.uint8), cv2.IMREAD_COLOR)
        worker.send_view(worker.cameras[0])
        worker.refresh_zones()  # nothing drawn yet: the site file's zones stand
        assert [z.name for z in pipeline.camera.zones] == ["from-the-file"]
        view = world.get("officer_a", f"{V1}/devices/{device}/view")
        assert view.status_code == 200 and view.content[:3] == b"\xff\xd8\xff"

        world.client.put(
            f"{V1}/devices/{device}/zones",
            json={"zones": [LAWN, PATH]},
            headers=world.h("officer_a"),
        )
        worker.refresh_zones()
        assert [z.name for z in pipeline.camera.zones] == ["lawn", "path"]

        live_hub.stop()  # the hub is gone: the zones in use stay
        worker.refresh_zones()
        assert [z.name for z in pipeline.camera.zones] == ["lawn", "path"]
    finally:
        worker.close()


def _officers_report(world: World) -> str:
    """An incident without a camera event (as an SOS): its camera is the home's camera."""
    body = {"case_id": str(world.cases["a"]), "summary": "a neighbour saw him at the gate"}
    r = world.post("officer_a", f"{V1}/incidents", body)
    assert r.status_code == 201, r.text
    incident: str = r.json()["id"]
    return incident


def test_a_guard_watches_the_incidents_camera_live_and_the_camera_is_told(
    world: World, live_hub: LiveHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    import httpx

    _, secret = _camera(world)
    incident = _officers_report(world)
    url = f"{live_hub.url}{V1}/incidents/{incident}/live.jpg"
    headers = world.h("security_a")
    first = httpx.get(url, headers=headers, timeout=10)  # no picture yet: the camera is asked
    assert first.status_code == 404 and "asked to now" in first.json()["detail"]
    view = _as_camera(world, secret, "PUT", "/device/view", content=_jpeg())
    assert view.status_code == 200 and view.json() == {"live": True}
    for _ in range(3):  # a screen asking every second
        r = httpx.get(url, headers=headers, timeout=10)
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert r.content == _jpeg()
    # While it is watched the camera hears so.
    again = _as_camera(world, secret, "PUT", "/device/view", content=_jpeg())
    assert again.json() == {"live": True}
    # A worker hearing it sends every second from then on.
    worker = _worker(live_hub, tmp_path, monkeypatch, secret)
    try:
        camera = worker.cameras[0]
        camera.pipeline.last_frame = np.zeros((90, 160, 3), np.uint8)
        assert camera.live_until < time.monotonic()
        worker.send_view(camera)
        assert camera.live_until > time.monotonic()
    finally:
        worker.close()

    other = httpx.get(url, headers=world.h("security_b"), timeout=10)
    assert other.status_code == 403
    trail = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit").json()["items"]
    watched = [e for e in trail if e["reason"].startswith("live view during incident")]
    assert [e["actor_name"] for e in watched] == ["Security A"]  # not once per picture
    # A second person watching at the same time is audited as well.
    assert httpx.get(url, headers=world.h("officer_a"), timeout=10).status_code == 200
    trail = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit").json()["items"]
    watched = [e for e in trail if e["reason"].startswith("live view during incident")]
    assert sorted(e["actor_name"] for e in watched) == ["Officer A", "Security A"]


def test_a_started_worker_sends_its_view_on_its_own(
    world: World, live_hub: LiveHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    device, secret = _camera(world)
    worker = _worker(live_hub, tmp_path, monkeypatch, secret, hub={"view_seconds": 1})
    worker.cameras[0].pipeline.last_frame = cv2.imdecode(
        np.frombuffer(_jpeg(), np.uint8), cv2.IMREAD_COLOR
    )
    worker.start()
    try:
        deadline = time.monotonic() + 10
        status = 0
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.3)
            status = world.get("officer_a", f"{V1}/devices/{device}/view").status_code
        assert status == 200
    finally:
        worker.close()
