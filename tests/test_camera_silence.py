"""The hub knows when a camera is gone (issue 17, points 2 and 3): a camera at a high or very
high case whose heartbeats stop opens one ``camera_offline`` incident within
``camera_silent_seconds``; the worker's own ``camera_offline`` event joins it; heartbeats say
what the camera is doing and what it could not deliver, and the screens show it truthfully."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from safewatch.alerts.dispatcher import AlertDispatcher
from tests.conftest import Clock
from tests.live import event, jpeg
from tests.world import World

V1 = "/api/v1"
S, OFF = "security", "officer"
REASON = "he found the new address; stalking every night"


def _settle(world: World, dispatcher: AlertDispatcher | None = None) -> None:
    d = dispatcher or world.client.app.state.alerting.dispatcher  # type: ignore[attr-defined]
    while d.run_once():
        pass


def _beat(world: World, secret: str, **body: Any) -> None:
    r = world.client.post(
        f"{V1}/device/heartbeat", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 200, r.text


def _incidents(world: World, user: str = "admin") -> list[dict[str, Any]]:
    r = world.get(user, f"{V1}/incidents", params={"open_only": False})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _detail(world: World, incident_id: str, user: str = "admin") -> dict[str, Any]:
    r = world.get(user, f"{V1}/incidents/{incident_id}")
    assert r.status_code == 200, r.text
    detail: dict[str, Any] = r.json()
    return detail


def _kinds(detail: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in detail["timeline"]]


def camera_says_offline(world: World, secret: str, at: datetime | None = None) -> None:
    """The camera's own worker reports a camera offline (an event of that type), at ``at``
    on the hub's clock (the camera's clock agrees with it)."""
    update: dict[str, Any] = {"track": None, "zone": None}
    if at is not None:
        update["at"] = at
    e = event(type_="camera_offline").model_copy(update=update)
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": e.model_dump_json()},
        files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 201, r.text


def _high(world: World, side: str = "a") -> None:
    assert world.assess(f"officer_{side}", side, "high", reason=REASON).status_code == 201


def test_a_silent_camera_opens_one_incident_within_the_limit(world: World, clock: Clock) -> None:
    _high(world)
    camera = world.device("camera", "CAM-A1")
    _beat(world, camera, health_note="ok")
    clock.advance(30)
    _settle(world)  # a sweep half-way: the next one must not wait a whole minute
    clock.advance(29)
    _settle(world)
    assert _incidents(world) == []
    clock.advance(1)  # 60 s after the last heartbeat
    _settle(world)
    [incident] = _incidents(world)
    assert incident["type"] == "camera_offline" and incident["source"] == "camera"
    assert "CAM-A1" in incident["summary"]
    d = _detail(world, incident["id"])
    assert {r["recipient"] for r in d["recipients"]} == {S, OFF}
    security = next(r for r in d["recipients"] if r["recipient"] == S)
    assert security["deadline_at"] is not None  # the level's routing: 60 s, then escalation
    # Still silent; a second replica sweeping too: the same silence, no second incident.
    state = world.client.app.state  # type: ignore[attr-defined]
    other = AlertDispatcher(
        state.session_factory,
        state.alerting.routing,
        {},
        state.alerting.links,
        clock,
        camera_silent_after=state.alerting.dispatcher.camera_silent_after,
    )
    clock.advance(30)
    _settle(world, other)
    _settle(world)
    assert len(_incidents(world)) == 1
    # The camera is heard again: the timeline says so; nothing new is opened.
    _beat(world, camera, health_note="ok", state="ok")
    _settle(world)
    d = _detail(world, incident["id"])
    assert "camera_back" in _kinds(d)
    assert len(_incidents(world)) == 1


def test_only_installed_cameras_of_high_cases_are_watched(world: World, clock: Clock) -> None:
    _high(world, "a")
    never = world.device("camera", "CAM-A-NEW")  # assigned, never heard: not installed yet
    normal = world.device("camera", "CAM-B1", side="b")  # case b is not assessed high
    watch = world.device("smartwatch", "W-A1")  # watches have their own, slower rule
    _beat(world, normal, health_note="ok")
    _beat(world, watch, battery_percent=80)
    del never
    clock.advance(5 * 60)
    _settle(world)
    assert _incidents(world) == []


def test_the_workers_offline_event_and_the_silence_make_one_incident(
    world: World, clock: Clock
) -> None:
    _high(world)
    camera = world.device("camera", "CAM-A1")
    _beat(world, camera, health_note="ok")
    clock.advance(10)
    camera_says_offline(world, camera, clock())  # the worker's watchdog: the video stopped
    clock.advance(60)  # …and then the worker went silent too
    _settle(world)
    [incident] = _incidents(world)
    assert "joined" in _kinds(_detail(world, incident["id"]))

    # The other order: the hub notices the silence first; the worker's event about the same
    # outage arrives minutes later, when its link is back.
    second = world.device("camera", "CAM-A2")
    _beat(world, second, health_note="ok")
    clock.advance(61)
    _settle(world)
    opened = [i for i in _incidents(world) if i["id"] != incident["id"]]
    assert len(opened) == 1
    clock.advance(5 * 60)
    camera_says_offline(world, second, clock())
    assert len(_incidents(world)) == 2
    assert _kinds(_detail(world, opened[0]["id"])).count("joined") == 1


def _undelivered(n: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "kind": "event",
            "reason": "422: the snapshot is larger than 4,194,304 bytes",
            "since": datetime.now(UTC).isoformat(),
        }
        for _ in range(n)
    ]


def test_heartbeats_carry_the_cameras_state_and_what_it_could_not_deliver(
    world: World, clock: Clock
) -> None:
    _high(world)
    camera = world.device("camera", "CAM-A1")
    # An old worker (or a watch) sends what it always sent.
    _beat(world, camera, health_note="ok; outbox 0 pending")
    _beat(world, camera, state="degraded", health_note="degraded: " + "x" * 400)  # cut, kept
    _beat(
        world,
        camera,
        state="degraded",
        health_note="degraded: cannot open rtsp://admin:hunter2@192.168.0.20:554/stream1",
        undelivered=_undelivered(3),
        undelivered_count=3,
    )
    too_many = world.client.post(
        f"{V1}/device/heartbeat",
        json={"undelivered": _undelivered(51), "undelivered_count": 51},
        headers={"Authorization": f"Bearer {camera}"},
    )
    assert too_many.status_code == 422

    [device] = world.get("officer_a", f"{V1}/devices?case_id={world.cases['a']}").json()["items"]
    assert device["camera_state"] == "degraded" and device["condition"] == "degraded"
    assert device["undelivered_count"] == 3 and len(device["undelivered"]) == 3
    assert "hunter2" not in device["health_note"] and "192.168.0.20" not in device["health_note"]
    assert device["problem"].startswith("CAM-A1: 3 events could not be delivered: 422: the snap")

    # The dashboard and the security company's console show it too.
    [cam] = world.get("security_a", f"{V1}/stats/cameras").json()
    assert cam["state"] == "degraded" and cam["undelivered_count"] == 3
    assert "hunter2" not in str(cam)
    camera_says_offline(world, camera)
    [incident] = _incidents(world, "security_a")
    [shown] = _detail(world, incident["id"], "security_a")["cameras"]
    # Its outage is open: offline beside the incident, as everywhere (issue 18, point 10).
    assert shown["serial"] == "CAM-A1" and shown["condition"] == "offline"
    assert shown["offline_incident"] == incident["reference"]
    assert "3 events could not be delivered" in shown["problem"]
    assert "hunter2" not in str(shown)
    # Another company sees none of it.
    assert world.get("security_b", f"{V1}/stats/cameras").json() == []

    # Silent now: shown as offline, never as ok or as its last word.
    clock.advance(120)
    [cam] = world.get("security_a", f"{V1}/stats/cameras").json()
    assert cam["state"] == "offline"
    [device] = world.get("officer_a", f"{V1}/devices?case_id={world.cases['a']}").json()["items"]
    assert device["condition"] == "offline"
