"""Delivery states that tell the truth (issue 17, point 4): ``accepted`` when a push service
(web push, the 112 webhook, the SMS gateway's folder) took a message, ``delivered`` when a
connected screen's queue took it, ``seen`` when the person opened it. An in-app alert that a
full queue could not take is not delivered: it is retried like any failure."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from safewatch.bus.base import EventBus, Notice, Subscription
from safewatch.bus.memory import QUEUE_LIMIT
from tests.live import event, jpeg, wait_until
from tests.world import World

V1 = "/api/v1"
V = "victim"


class Screens:
    """Screens on an event loop of their own, as the hub's streams are (the publishers —
    the intake's sender, the alert loop — are other threads)."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.subs: list[Subscription] = []

    def open(self, address: str, full: bool = False) -> Subscription:
        async def subscribe() -> Subscription:
            sub = self.bus.subscribe(frozenset({address}))
            while full and not sub.queue.full():
                sub.queue.put_nowait(Notice(frozenset({address}), {"kind": "update"}))
            return sub

        sub = asyncio.run_coroutine_threadsafe(subscribe(), self.loop).result(10)
        self.subs.append(sub)
        return sub

    def close(self) -> None:
        for sub in self.subs:
            self.loop.call_soon_threadsafe(sub.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def screens(world: World) -> Iterator[Screens]:
    s = Screens(world.client.app.state.alerting.bus)  # type: ignore[attr-defined]
    yield s
    s.close()


def _settle(world: World) -> None:
    dispatcher = world.client.app.state.alerting.dispatcher  # type: ignore[attr-defined]
    while dispatcher.run_once():
        pass


def _intrusion(world: World, camera: str) -> dict[str, Any]:
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": event(type_="intrusion").model_dump_json()},
        files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
        headers={"Authorization": f"Bearer {camera}"},
    )
    assert r.status_code == 201, r.text
    [incident] = world.get("admin", f"{V1}/incidents").json()["items"]
    url = f"{V1}/incidents/{incident['id']}"

    def receipted() -> bool:  # the writer's sender publishes after the commit, on its thread
        _settle(world)
        status: str = _victim_in_app(world.get("admin", url).json())["status"]
        return status != "sending"

    wait_until(receipted, 10)
    detail: dict[str, Any] = world.get("admin", url).json()
    return detail


def _victim_in_app(detail: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in detail["deliveries"] if d["channel"] == "in_app" and d["recipient"] == V)


def test_a_screen_whose_queue_is_full_does_not_count(world: World, screens: Screens) -> None:
    address = f"user:{world.users['victim_a']}"
    screens.open(address, full=True)
    notice = Notice(frozenset({address}), {"kind": "alert"})
    assert screens.bus.publish_many([notice]) == [0]
    screens.open(address)  # a second screen of the same person, keeping up
    assert screens.bus.publish_many([notice, notice]) == [1, 1]
    assert len(screens.subs[0].queue._queue) == QUEUE_LIMIT  # type: ignore[attr-defined]


def test_an_overflowed_in_app_alert_is_retried_not_delivered(
    world: World, camera_secret: str, screens: Screens
) -> None:
    screens.open(f"user:{world.users['victim_a']}", full=True)
    d = _intrusion(world, camera_secret)
    victim = _victim_in_app(d)
    assert victim["status"] == "pending", victim  # to be tried again, then the next channel
    assert "full" in (victim["last_error"] or "")
    assert not any(
        e["kind"] == "delivered" and e["recipient"] == V and e["detail"].startswith("in_app")
        for e in d["timeline"]
    )


def test_accepted_delivered_and_seen(world: World, camera_secret: str, screens: Screens) -> None:
    screens.open(f"user:{world.users['victim_a']}")
    d = _intrusion(world, camera_secret)
    victim = _victim_in_app(d)
    assert victim["status"] == "delivered" and victim["delivered_at"] is not None
    sms = next(x for x in d["deliveries"] if x["channel"] == "sms")
    assert sms["status"] == "accepted"
    lines = {(e["kind"], e["detail"]) for e in d["timeline"] if e["recipient"] == V}
    assert ("delivered", "in_app: delivered to 1 screen") in lines
    assert any(
        k == "accepted" and t.startswith("sms: accepted by the SMS gateway") for k, t in lines
    )

    # The victim's app shows it and says so.
    incident_id = d["summary"]["id"]
    r = world.post("victim_a", f"{V1}/incidents/{incident_id}/seen")
    assert r.status_code == 200, r.text
    d = world.get("admin", f"{V1}/incidents/{incident_id}").json()
    assert _victim_in_app(d)["status"] == "seen"
    assert next(x for x in d["deliveries"] if x["channel"] == "sms")["status"] == "accepted"
    # The security company's screen was not open: its alert is still waiting, not "seen".
    security = next(x for x in d["deliveries"] if x["recipient"] == "security")
    assert security["status"] == "pending"
