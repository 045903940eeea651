"""Dashboard figures: median response times per week and per site, camera health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import Clock
from tests.world import World

V1 = "/api/v1"


def _sos(world: World, watch: str) -> str:
    r = world.client.post(f"{V1}/device/sos", json={}, headers={"Authorization": f"Bearer {watch}"})
    assert r.status_code == 201, r.text
    incident_id: str = r.json()["id"]
    return incident_id


def _act(world: World, incident_id: str, path: str, body: dict[str, Any] | None = None) -> None:
    r = world.post("security_a", f"{V1}/incidents/{incident_id}/{path}", body or {})
    assert r.status_code == 200, r.text


def test_response_times_are_medians_from_the_alert(world: World, clock: Clock) -> None:
    watch = world.device("smartwatch", "W-1")
    timings = [(20, 60, 300), (40, 120, 600), (60, 180, 900)]  # ack, dispatch, on scene (s)
    for ack, dispatch, scene in timings:
        start = clock.now
        incident = _sos(world, watch)
        clock.now = start + timedelta(seconds=ack)
        _act(world, incident, "claim")
        clock.now = start + timedelta(seconds=dispatch)
        _act(world, incident, "dispatch", {"unit": "team 1"})
        clock.now = start + timedelta(seconds=scene)
        _act(world, incident, "arrive")
        _act(world, incident, "resolve", {"outcome": "resolved", "reason": "safe"})
        clock.advance(3600)
    r = world.get("officer_a", f"{V1}/stats/response-times")
    assert r.status_code == 200, r.text
    figures = r.json()
    assert figures["open_incidents"] == 0
    [site] = figures["by_site"]
    assert site["group"] == "TT-2026-0001" and site["incidents"] == 3
    assert (site["to_acknowledged_s"], site["to_dispatched_s"], site["to_on_scene_s"]) == (
        40.0,
        120.0,
        600.0,
    )
    assert sum(w["incidents"] for w in figures["by_week"]) == 3
    # Another station's officer sees none of it.
    assert world.get("officer_b", f"{V1}/stats/response-times").json()["by_site"] == []


def test_camera_health_states(world: World, clock: Clock) -> None:
    silent = world.device("camera", "CAM-SILENT")
    alive = world.device("camera", "CAM-ALIVE")
    r = world.client.post(
        f"{V1}/device/heartbeat",
        json={"health_note": "ok; outbox 0 pending"},
        headers={"Authorization": f"Bearer {alive}"},
    )
    assert r.status_code == 200, r.text
    del silent
    states = {c["serial"]: c["state"] for c in world.get("officer_a", f"{V1}/stats/cameras").json()}
    assert states == {"CAM-ALIVE": "ok", "CAM-SILENT": "never seen"}
    clock.advance(20 * 60)
    states = {c["serial"]: c["state"] for c in world.get("officer_a", f"{V1}/stats/cameras").json()}
    assert states["CAM-ALIVE"] == "offline"
