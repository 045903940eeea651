"""A police request that reaches nobody is an alarm (issue 18, point 6): when no 112 screen
and no 112 system takes it, it is texted to the duty phone (or, with none set, the
administrators are told), and every screen says how far the request got until someone at
112 accepts it (``incident.police_reach`` in the packet)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from safewatch.api.app import create_app
from safewatch.core.config import Settings
from safewatch.incidents.lifecycle import (
    DeliveryStatus,
    PoliceReach,
    PoliceStatus,
    needs_fallback,
    police_reach,
)
from safewatch.incidents.policy import Routing, RoutingPolicy
from safewatch.models import Agency, Case
from safewatch.services import police
from tests.conftest import Clock
from tests.live import event, jpeg
from tests.test_delivery_states import Screens
from tests.world import World

V1 = "/api/v1"
SOS = {"latitude": 33.4996, "longitude": 126.5312}


def _settle(world: World, clock: Clock, seconds: int = 8) -> None:
    """Run the alert loop through a few seconds of retries (the in-app alert to 112 is
    tried three times: at once, after 1 s, after 2 s more)."""
    dispatcher = world.client.app.state.alerting.dispatcher  # type: ignore[attr-defined]
    for _ in range(seconds):
        while dispatcher.run_once():
            pass
        clock.advance(1)
    while dispatcher.run_once():
        pass


def _detail(world: World, incident_id: str, user: str = "security_a") -> dict[str, Any]:
    r = world.get(user, f"{V1}/incidents/{incident_id}")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _sms(settings: Settings) -> list[dict[str, str]]:
    folder = settings.data_dir / "sms-outbox"
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def _sos(world: World) -> str:
    r = world.post("victim_a", f"{V1}/me/sos", SOS)
    assert r.status_code == 201, r.text
    incident_id: str = r.json()["incident"]["id"]
    return incident_id


def test_a_police_request_no_112_screen_took_is_texted_to_the_duty_phone(
    world: World, clock: Clock, settings: Settings
) -> None:
    incident_id = _sos(world)
    _settle(world, clock)
    d = _detail(world, incident_id)
    police_in_app = next(
        x for x in d["deliveries"] if x["recipient"] == "police" and x["channel"] == "in_app"
    )
    assert police_in_app["status"] == "failed"  # no 112 screen open, no 112 webhook set
    # Not silent: the request went on to the next channel, the station's duty phone.
    texts = [m for m in _sms(settings) if m["to"] == "064-000-0000"]
    assert len(texts) == 1, _sms(settings)
    assert d["summary"]["reference"] in texts[0]["text"]
    assert "Person A" in texts[0]["text"] and "A street 1, Jeju" in texts[0]["text"]
    unreached = [e for e in d["timeline"] if e["kind"] == "police_unreached"]
    assert len(unreached) == 1 and "064-000-0000" in unreached[0]["detail"]
    # Every screen hears of it and shows that the police have not taken it.
    assert d["packet"]["incident"]["police_reach"] == "duty_phone_texted"
    victim = _detail(world, incident_id, "victim_a")["packet"]["incident"]
    assert victim["police_reach"] == "duty_phone_texted"
    updates = {
        x["recipient"]
        for x in d["deliveries"]
        if x["message"] == "update" and x["channel"] == "in_app"
    }
    assert {"victim", "security"} <= updates
    # Someone at 112 accepts: now the police are reached, and nothing more is texted.
    r = world.post("dispatcher", f"{V1}/incidents/{incident_id}/police/accept", {"note": ""})
    assert r.status_code == 200, r.text
    assert r.json()["packet"]["incident"]["police_reach"] == "accepted"
    _settle(world, clock, 200)
    assert len([m for m in _sms(settings) if m["to"] == "064-000-0000"]) == 1


def test_with_no_duty_phone_the_administrators_are_told(
    world: World, clock: Clock, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        s.execute(update(Agency).values(phone=None))
    screens = Screens(world.client.app.state.alerting.bus)  # type: ignore[attr-defined]
    try:
        admin = screens.open("role:admin")
        incident_id = _sos(world)
        _settle(world, clock)
        notices = [admin.queue.get_nowait().payload for _ in range(admin.queue.qsize())]
    finally:
        screens.close()
    d = _detail(world, incident_id)
    assert d["packet"]["incident"]["police_reach"] == "not_reached"
    [entry] = [e for e in d["timeline"] if e["kind"] == "police_unreached"]
    assert "no duty phone" in entry["detail"]
    assert [n for n in notices if n.get("what") == "police_unreached"] == [
        {
            "kind": "security",
            "what": "police_unreached",
            "reference": d["summary"]["reference"],
            "incident_id": incident_id,
        }
    ]
    assert not [m for m in _sms(settings) if m["to"] != "010-1111-0001"]


def test_a_setting_names_the_duty_phone(
    world: World,
    clock: Clock,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    configured = settings.model_copy(update={"police_duty_phone": "064-112-0000"})
    app = create_app(configured, session_factory, clock)
    with TestClient(app) as client:
        app.state.alerting.dispatcher.close()
        r = client.post(f"{V1}/me/sos", json=SOS, headers=world.h("victim_a"))
        assert r.status_code == 201, r.text
        for _ in range(8):
            while app.state.alerting.dispatcher.run_once():
                pass
            clock.advance(1)
    assert [m["to"] for m in _sms(settings) if m["to"] != "010-1111-0001"] == ["064-112-0000"]


def test_a_112_screen_that_shows_it_reaches_the_police_and_a_missed_deadline_still_texts(
    world: World, clock: Clock, settings: Settings
) -> None:
    screens = Screens(world.client.app.state.alerting.bus)  # type: ignore[attr-defined]
    try:
        screens.open("role:dispatcher")
        incident_id = _sos(world)
        _settle(world, clock, 2)
        d = _detail(world, incident_id)
        assert d["packet"]["incident"]["police_reach"] == "reached"
        assert not [m for m in _sms(settings) if m["to"] == "064-000-0000"]
        # Security takes the SOS (it is no longer "open"), but nobody at 112 answers.
        assert world.post("security_a", f"{V1}/incidents/{incident_id}/claim").status_code == 200
        _settle(world, clock, 125)
    finally:
        screens.close()
    d = _detail(world, incident_id)
    assert [m["to"] for m in _sms(settings) if m["to"] == "064-000-0000"] == ["064-000-0000"]
    assert d["packet"]["incident"]["police_reach"] == "reached"  # shown, still not accepted
    assert any(e["kind"] == "police_unreached" for e in d["timeline"])


def test_a_112_screen_opened_later_shows_the_request_and_the_others_hear_of_it(
    world: World, clock: Clock
) -> None:
    incident_id = _sos(world)
    _settle(world, clock)

    def security_updates() -> int:
        d = _detail(world, incident_id)
        return sum(
            x["message"] == "update" and x["recipient"] == "security" for x in d["deliveries"]
        )

    before = security_updates()
    assert _detail(world, incident_id)["packet"]["incident"]["police_reach"] == "duty_phone_texted"
    r = world.client.get(f"{V1}/stream?follow=false", headers=world.h("dispatcher"))
    assert r.status_code == 200 and incident_id in r.text  # the 112 console's backlog
    assert _detail(world, incident_id)["packet"]["incident"]["police_reach"] == "reached"
    assert security_updates() == before + 1  # the security console shows it without a reload


def test_a_camera_offline_nobody_answers_goes_to_the_officer_not_to_112(
    world: World, clock: Clock
) -> None:
    assert world.assess("officer_a", "a", "high", reason="seen near the home").status_code == 201
    camera = world.device("camera", "CAM-OFF")
    headers = {"Authorization": f"Bearer {camera}"}
    e = event(type_="camera_offline")
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": e.model_dump_json()},
        files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    _settle(world, clock, 130)
    items = world.get("officer_a", f"{V1}/incidents").json()["items"]
    assert items and {i["type"] for i in items} == {"camera_offline"}
    for incident in items:  # the worker's report, and the hub's sweep of the silence
        d = _detail(world, incident["id"], "officer_a")
        assert d["summary"]["police_status"] == "none"
        escalated = [e["recipient"] for e in d["timeline"] if e["kind"] == "escalated"]
        assert escalated == ["officer"], d["timeline"]
    assert world.get("dispatcher", f"{V1}/incidents").json()["items"] == []


# --- The rule itself ----------------------------------------------------------------------------

F, D, P_ = DeliveryStatus.failed, DeliveryStatus.delivered, DeliveryStatus.pending


def test_police_reach_says_how_far_the_request_got() -> None:
    requested = PoliceStatus.requested
    assert police_reach(PoliceStatus.none, []) is PoliceReach.not_requested
    assert police_reach(requested, [("in_app", P_)]) is PoliceReach.waiting
    assert police_reach(requested, [("in_app", F), ("webhook", P_)]) is PoliceReach.not_reached
    assert police_reach(requested, [("in_app", F), ("sms", P_)]) is PoliceReach.not_reached
    texted = [("in_app", F), ("sms", DeliveryStatus.accepted)]
    assert police_reach(requested, texted) is PoliceReach.duty_phone_texted
    late = [("in_app", F), ("webhook", DeliveryStatus.accepted), ("sms", DeliveryStatus.accepted)]
    assert police_reach(requested, late) is PoliceReach.reached
    assert police_reach(requested, [("in_app", DeliveryStatus.seen)]) is PoliceReach.reached
    for later in (PoliceStatus.accepted, PoliceStatus.dispatched, PoliceStatus.closed):
        assert police_reach(later, [("in_app", F)]) is PoliceReach.accepted


def test_the_duty_phone_is_texted_once_and_only_for_a_request_still_waiting() -> None:
    requested = PoliceStatus.requested
    assert needs_fallback(requested, [("in_app", F), ("webhook", P_)], False)
    assert not needs_fallback(requested, [("in_app", P_)], False)  # still trying
    assert not needs_fallback(requested, [("in_app", F), ("webhook", D)], False)  # 112 has it
    assert needs_fallback(requested, [("in_app", D)], True)  # shown, but nobody answered
    assert not needs_fallback(requested, [("in_app", F), ("sms", F)], True)  # texted already
    assert not needs_fallback(PoliceStatus.accepted, [("in_app", F)], True)


def test_every_demo_case_has_a_duty_phone_to_fall_back_on(
    session_factory: sessionmaker[Session],
) -> None:
    from safewatch.demo.seed import seed

    routing = Routing(RoutingPolicy(), frozenset({"in_app", "sms"}))
    with session_factory() as s, s.begin():
        seed(s)
        cases = s.scalars(select(Case.id)).all()
        assert cases and all(police.duty_phone(s, routing, c) for c in cases)
