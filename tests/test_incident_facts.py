"""Incidents and timeline lines carry typed facts that the screens word in the page's language:
what kind, which zone and camera, from which phone or watch, how long silent, and why a
delivery failed — the English summary and detail stay beside them for logs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from safewatch.alerts import wording
from safewatch.core.config import Settings
from safewatch.incidents.facts import EntryFacts, EntryReason, IncidentFacts, IncidentKind
from safewatch.schemas.alerts import AlertPacket
from tests.conftest import Clock
from tests.test_incidents import _detail, _device, _incidents, _send, _settle
from tests.world import World

V1 = "/api/v1"


def _facts(incident: dict[str, Any]) -> IncidentFacts:
    return IncidentFacts.model_validate(incident["facts"])


def _entries(detail: dict[str, Any], kind: str) -> list[EntryFacts | None]:
    return [
        EntryFacts.model_validate(e["facts"]) if e["facts"] else None
        for e in detail["timeline"]
        if e["kind"] == kind
    ]


def test_a_camera_event_names_its_zone_and_camera_as_facts(world: World) -> None:
    assert world.assess("officer_a", "a", "normal").status_code == 201
    camera = _device(world, "camera", "CAM-F1")
    _send(world.client, camera, type_="intrusion", track=4)
    [incident] = _incidents(world)
    facts = _facts(incident)
    assert (facts.kind, facts.zone, facts.camera) == (IncidentKind.intrusion, "yard", "front")
    assert facts.source == "camera" and facts.serial is None
    assert incident["summary"] == "intrusion in yard (front)"  # the log's English stays
    _settle(world)
    d = _detail(world, incident["id"])
    assert _facts(d["packet"]["incident"]) == facts  # the stream's packets carry them too
    [created] = _entries(d, "created")
    assert created is not None and created.reason is EntryReason.signal
    assert created.signal == facts
    told = _entries(d, "notified")
    assert told and all(
        f is not None and (f.reason, f.kind) == (EntryReason.incident_type, IncidentKind.intrusion)
        for f in told
    )
    # Nobody has notifications on, no screen is open: the reasons are codes, not English.
    failed = {(f.channel, f.reason) for f in _entries(d, "delivery_failed") if f is not None}
    assert ("web_push", EntryReason.no_push_phone) in failed
    accepted = [f for f in _entries(d, "accepted") if f is not None]
    assert [(f.channel, f.reason) for f in accepted] == [("sms", EntryReason.sms_accepted)]
    assert all(f is not None for f in _entries(d, "delivery_failed") + _entries(d, "accepted"))


def test_a_more_severe_repeat_upgrades_the_facts_with_the_summary(world: World) -> None:
    assert world.assess("officer_a", "a", "normal").status_code == 201
    camera = _device(world, "camera", "CAM-F2")
    _send(world.client, camera, type_="intrusion", track=9)
    _send(world.client, camera, type_="offender_recognized", track=9, identity="offender-a")
    [incident] = _incidents(world)
    facts = _facts(incident)
    assert facts.kind is IncidentKind.offender_recognized and facts.identity == "offender-a"
    [upgraded] = _entries(_detail(world, incident["id"]), "upgraded")
    assert upgraded is not None
    assert (upgraded.before, upgraded.kind) == (
        IncidentKind.intrusion,
        IncidentKind.offender_recognized,
    )


@pytest.mark.parametrize("located", [True, False])
def test_an_sos_from_the_phone_says_where_as_numbers(world: World, located: bool) -> None:
    where = {"latitude": 33.51234, "longitude": 126.52987} if located else {}
    r = world.post("victim_a", f"{V1}/me/sos", json=where)
    assert r.status_code == 201, r.text
    [incident] = _incidents(world)
    facts = _facts(incident)
    assert (facts.kind, facts.source) == (IncidentKind.sos, "phone")
    assert (facts.latitude, facts.longitude) == ((33.51234, 126.52987) if located else (None, None))
    _settle(world)
    police = _entries(_detail(world, incident["id"]), "police_requested")
    assert police and police[0] is not None and police[0].kind is IncidentKind.sos


def test_a_silent_watch_says_its_serial_minutes_and_battery(world: World, clock: Clock) -> None:
    assert (
        world.assess("officer_a", "a", "very_high", reason="threatened to kill her").status_code
        == 201
    )
    watch = _device(world, "smartwatch", "W-FACTS")
    beat = world.client.post(
        f"{V1}/device/heartbeat",
        json={"battery_percent": 9},
        headers={"Authorization": f"Bearer {watch}"},
    )
    assert beat.status_code == 200, beat.text
    clock.advance(31 * 60)
    _settle(world)
    [incident] = _incidents(world)
    facts = _facts(incident)
    assert (facts.kind, facts.serial, facts.minutes, facts.battery) == (
        IncidentKind.watch_silent,
        "W-FACTS",
        31,
        9,
    )


def test_an_officers_notice_keeps_the_officers_words(world: World) -> None:
    words = "가해자 목격 신고"
    body = {"case_id": str(world.cases["a"]), "summary": words}
    r = world.post("officer_a", f"{V1}/incidents", json=body)
    assert r.status_code == 201, r.text
    facts = _facts(r.json())
    assert (facts.kind, facts.source, facts.text) == (IncidentKind.manual, "officer", words)


def test_facts_are_typed_and_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError):
        IncidentFacts.model_validate({"kind": "intrusion", "source": "camera", "colour": "red"})
    with pytest.raises(ValueError):
        EntryFacts.model_validate({"reason": "something new"})


def test_texts_and_lock_screens_leave_in_the_regions_language(
    world: World, settings: Settings
) -> None:
    """The protected person's text message is worded from the facts in Korean, as her app is."""
    assert world.assess("officer_a", "a", "normal").status_code == 201
    camera = _device(world, "camera", "CAM-F3")
    _send(world.client, camera, type_="intrusion", track=5)
    [incident] = _incidents(world)
    _settle(world)
    [outbox] = list((settings.data_dir / "sms-outbox").glob("*.jsonl"))
    [message] = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert message["text"] == (
        f"[세이프워치] yard에서 경계 구역 침입 ({incident['reference']}). "
        "앱에서 확인하세요. 위급하면 112."
    )
    shown = world.get("officer_a", f"/api/v1/incidents/{incident['id']}").json()["packet"]
    sent = AlertPacket.model_validate(shown)
    critical = sent.incident.model_copy(update={"severity": "critical"})
    packet = sent.model_copy(update={"incident": critical})
    assert wording.lock_screen(packet, "ko") == ("세이프워치", "긴급: 지금 앱을 열어 주세요")
    assert wording.lock_screen(packet, "en") == ("Safewatch", "Urgent: open the app now")
