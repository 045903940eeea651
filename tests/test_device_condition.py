"""One rule for a device's condition on every screen (issue 18, point 10): a camera with an open
``camera_offline`` incident is offline in the device list, on the dashboard and beside an
incident, whatever its worker's heartbeat says, until the incident is closed; a watch never
heard from is "never seen" in the protected person's own case, so her app does not tell her
to rely on it."""

from __future__ import annotations

from typing import Any

from tests.test_camera_silence import camera_says_offline
from tests.world import World

V1 = "/api/v1"


def _beat(world: World, secret: str, **body: Any) -> None:
    r = world.client.post(
        f"{V1}/device/heartbeat", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 200, r.text


def _offline_event(world: World, secret: str) -> str:
    camera_says_offline(world, secret)
    [incident] = world.get("officer_a", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "camera_offline"
    found: str = incident["id"]
    return found


def _conditions(world: World, user: str = "officer_a") -> dict[str, tuple[str, str | None]]:
    r = world.get(user, f"{V1}/devices")
    assert r.status_code == 200, r.text
    return {d["serial"]: (d["condition"], d["offline_incident"]) for d in r.json()["items"]}


def _dashboard(world: World) -> dict[str, str]:
    r = world.get("officer_a", f"{V1}/stats/cameras")
    assert r.status_code == 200, r.text
    return {c["serial"]: c["state"] for c in r.json()}


def test_an_open_camera_offline_incident_shows_the_camera_offline_everywhere(
    world: World,
) -> None:
    door = world.device("camera", "CAM-DOOR")
    yard = world.device("camera", "CAM-YARD")
    _beat(world, door, state="ok")
    _beat(world, yard, state="ok")
    assert _conditions(world)["CAM-DOOR"] == ("ok", None)

    incident = _offline_event(world, door)  # the worker lost the picture, still heartbeats
    _beat(world, door, state="ok")
    reference = world.get("officer_a", f"{V1}/incidents/{incident}").json()["summary"]
    shown = _conditions(world)
    assert shown["CAM-DOOR"] == ("offline", reference["reference"])
    assert shown["CAM-YARD"] == ("ok", None)
    assert _dashboard(world) == {"CAM-DOOR": "offline", "CAM-YARD": "ok"}
    beside = world.get("security_a", f"{V1}/incidents/{incident}").json()["cameras"]
    assert {c["serial"]: c["condition"] for c in beside}["CAM-DOOR"] == "offline"

    body = {"outcome": "resolved", "reason": "picture back after the router restart"}
    r = world.post("security_a", f"{V1}/incidents/{incident}/resolve", body)
    assert r.status_code == 200, r.text
    assert _conditions(world)["CAM-DOOR"] == ("ok", None)
    assert _dashboard(world)["CAM-DOOR"] == "ok"


def test_the_protected_persons_case_says_a_watch_never_heard_from(world: World) -> None:
    watch = world.device("smartwatch", "W-NEW")
    world.device("camera", "CAM-HOME")
    mine = world.get("victim_a", f"{V1}/me/case").json()["devices"]
    assert {d["serial"]: d["condition"] for d in mine} == {
        "CAM-HOME": "never seen",
        "W-NEW": "never seen",
    }
    _beat(world, watch, battery_percent=80)
    mine = world.get("victim_a", f"{V1}/me/case").json()["devices"]
    assert {d["serial"]: d["condition"] for d in mine}["W-NEW"] == "ok"


def test_the_examples_in_device_health_hold() -> None:
    """Its docstrings show what a console reads (a stream address hidden, the reason kept)."""
    import doctest

    from safewatch.incidents import device_health

    assert doctest.testmod(device_health).failed == 0
