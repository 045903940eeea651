"""The alert chain at the hub: camera events and SOS become incidents, the policy says who is
told, deliveries are retried and receipted, missed deadlines escalate (on a clock the test
moves), the consoles act, and a restart loses nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from safewatch.api.app import create_app
from safewatch.cases.risk import RiskLevel
from safewatch.core.config import Settings
from safewatch.demo.listener import StreamListener
from safewatch.incidents.lifecycle import Recipient
from safewatch.incidents.policy import RoutingPolicy, load_policy
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD
from tests.conftest import Clock
from tests.live import LiveHub, event, jpeg, tiny_mp4
from tests.world import World

V1 = "/api/v1"
V, S, P, OFF = "victim", "security", "police", "officer"


# --- The policy table ---------------------------------------------------------------------------

POLICY_TABLE = {
    # type: (normal, high, very_high)
    "offender_recognized": ({V, S, P},) * 3,
    "sos": ({V, S, P},) * 3,
    "intrusion": ({V, S},) * 3,
    "stranger": ({V, S},) * 3,
    "loitering": ({V, S},) * 3,
    "camera_tampered": ({S},) * 3,
    "camera_offline": ({OFF}, {S, OFF}, {S, OFF}),
    "watch_silent": ({S},) * 3,
    "manual": ({S},) * 3,
}


@pytest.mark.parametrize("incident_type", list(POLICY_TABLE))
def test_default_policy_routes_each_type_and_level(incident_type: str) -> None:
    policy = RoutingPolicy()
    levels = (RiskLevel.normal, RiskLevel.high, RiskLevel.very_high)
    for level, expected in zip(levels, POLICY_TABLE[incident_type], strict=True):
        got = {r.value for r in policy.recipients(incident_type, level)}
        assert got == expected, (incident_type, level)
    assert policy.escalates_to(Recipient.victim) is Recipient.security
    assert policy.escalates_to(Recipient.police) is Recipient.officer
    assert policy.escalates_to(Recipient.officer) is None


def test_a_bad_policy_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("routes:\n  sos:\n    any: [victim, neighbours]\n")
    with pytest.raises(ValueError, match=r"routes\.sos\.any\.1"):
        load_policy(path)
    path.write_text("join_seconds: 30\nack_seconds: {victim: 10}\n")
    assert load_policy(path).ack_seconds == {Recipient.victim: 10}


# --- Helpers ------------------------------------------------------------------------------------


def _device(world: World, kind: str, serial: str, side: str = "a") -> str:
    return world.device(kind, serial, side)


@pytest.fixture
def camera(world: World) -> str:
    return _device(world, "camera", "CAM-A1")


def _send(client: TestClient | httpx.Client, secret: str, **kw: Any) -> uuid.UUID:
    e = event(**{k: v for k, v in kw.items() if k in ("type_", "t")})
    e = e.model_copy(update={k: v for k, v in kw.items() if k in ("track", "identity", "score")})
    r = client.post(
        f"{V1}/device/events",
        data={"event": e.model_dump_json()},
        files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 201, r.text
    return e.id


def _settle(world: World) -> None:
    """Let the dispatcher do everything that is due now."""
    dispatcher = world.client.app.state.alerting.dispatcher  # type: ignore[attr-defined]
    while dispatcher.run_once():
        pass


def _incidents(world: World, user: str = "admin", **params: Any) -> list[dict[str, Any]]:
    r = world.get(user, f"{V1}/incidents", params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _detail(world: World, incident_id: str, user: str = "admin") -> dict[str, Any]:
    r = world.get(user, f"{V1}/incidents/{incident_id}")
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def _kinds(detail: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in detail["timeline"]]


# --- From a camera event to an incident ---------------------------------------------------------


def test_an_intrusion_tells_the_victim_and_the_security_company(
    world: World, camera: str, settings: Settings
) -> None:
    r = world.assess("officer_a", "a", "normal")
    assert r.status_code == 201, r.text
    event_id = _send(world.client, camera, type_="intrusion", track=7)
    [incident] = _incidents(world)
    assert incident["type"] == "intrusion" and incident["status"] == "open"
    assert incident["reference"].startswith("INC-")
    _settle(world)
    d = _detail(world, incident["id"])
    assert {r["recipient"] for r in d["recipients"]} == {V, S}
    assert all(r["deadline_at"] for r in d["recipients"])
    channels = {(x["recipient"], x["channel"]) for x in d["deliveries"]}
    assert channels == {(V, "in_app"), (V, "web_push"), (V, "sms"), (S, "in_app")}
    # Nobody has the app open: in-app waits for a retry; the SMS file is written at once; no
    # phone has turned notifications on, which the timeline says.
    push = next(x for x in d["deliveries"] if x["channel"] == "web_push")
    assert push["status"] == "failed" and push["last_error"] == "no phone has enabled notifications"
    assert any(e["kind"] == "delivery_failed" and "web_push" in e["detail"] for e in d["timeline"])
    sms = next(x for x in d["deliveries"] if x["channel"] == "sms")
    assert sms["status"] == "accepted"
    [text] = list((settings.data_dir / "sms-outbox").glob("*.jsonl"))
    [message] = [json.loads(line) for line in text.read_text().splitlines()]
    assert message["to"] == "010-1111-0001" and incident["reference"] in message["text"]
    in_app = [x for x in d["deliveries"] if x["channel"] == "in_app"]
    assert {x["status"] for x in in_app} == {"pending"}
    assert {x["last_error"] for x in in_app} == {"no screen connected (or its queue was full)"}
    assert _kinds(d)[:3] == ["created", "notified", "notified"]
    # The packet for the officer holds who and where; the event links to its incident.
    assert d["packet"]["protected_person"]["address"] == "A street 1, Jeju"
    assert d["packet"]["snapshot_url"].startswith("/api/v1/media/")
    events = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/events").json()["items"]
    assert [e["id"] for e in events] == [str(event_id)]
    # Something happened: the case asks for a fresh risk assessment.
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    assert incident["reference"] in (case.get("reassessment_due") or "")


def test_repeats_join_and_a_recognition_upgrades_the_incident(world: World, camera: str) -> None:
    _send(world.client, camera, type_="intrusion", track=7)
    _send(world.client, camera, type_="loitering", track=7)
    _send(world.client, camera, type_="offender_recognized", track=7, identity="Offender A")
    _send(world.client, camera, type_="intrusion", track=8)  # someone else: a second incident
    items = _incidents(world)
    assert len(items) == 2
    first = next(i for i in items if i["type"] == "offender_recognized")
    d = _detail(world, first["id"])
    assert d["summary"]["severity"] == "critical" and d["summary"]["police_status"] == "requested"
    assert {r["recipient"] for r in d["recipients"]} == {V, S, P}
    kinds = _kinds(d)
    assert kinds.count("joined") == 2 and "upgraded" in kinds and "police_requested" in kinds
    # The 112 centre now sees it (and only it: the other one needs no police).
    assert [i["id"] for i in _incidents(world, "dispatcher")] == [first["id"]]


def test_the_same_event_sent_twice_makes_one_incident(world: World, camera: str) -> None:
    e = event(type_="intrusion")
    for expected in (201, 200):
        r = world.client.post(
            f"{V1}/device/events",
            data={"event": e.model_dump_json()},
            headers={"Authorization": f"Bearer {camera}"},
        )
        assert r.status_code == expected
    assert len(_incidents(world)) == 1


def test_who_may_see_an_incident(world: World, camera: str) -> None:
    _send(world.client, camera, type_="intrusion", track=1)
    [incident] = _incidents(world)
    url = f"{V1}/incidents/{incident['id']}"
    for user in ("officer_a", "caseworker_a", "security_a", "victim_a"):
        assert world.get(user, url).status_code == 200, user
    for user in ("officer_b", "caseworker_b", "security_b", "victim_b", "dispatcher"):
        assert world.get(user, url).status_code == 403, user
        assert _incidents(world, user) == []
    # The victim's packet does not repeat their own address.
    assert "protected_person" not in world.get("victim_a", url).json()["packet"]
    r = world.post("security_b", f"{url}/claim")
    assert r.status_code == 403


# --- Deadlines and escalation --------------------------------------------------------------------


def test_missed_deadlines_escalate_victim_security_police_officer(
    world: World, camera: str, clock: Clock
) -> None:
    _send(world.client, camera, type_="intrusion", track=1)
    [incident] = _incidents(world)
    _settle(world)
    clock.advance(59)
    _settle(world)
    assert "escalated" not in _kinds(_detail(world, incident["id"]))
    clock.advance(2)  # the victim's 60 s and the security company's 60 s are over
    _settle(world)
    d = _detail(world, incident["id"])
    escalations = [e for e in d["timeline"] if e["kind"] == "escalated"]
    assert [e["recipient"] for e in escalations] == [S, P]
    assert d["summary"]["police_status"] == "requested"
    assert any(x["message"] == "escalation" and x["recipient"] == S for x in d["deliveries"])
    clock.advance(121)  # and the 112 centre's 120 s
    _settle(world)
    d = _detail(world, incident["id"])
    assert [e["recipient"] for e in d["timeline"] if e["kind"] == "escalated"] == [S, P, OFF]
    assert OFF in {r["recipient"] for r in d["recipients"]}


def test_an_answer_in_time_stops_the_escalation(world: World, camera: str, clock: Clock) -> None:
    _send(world.client, camera, type_="intrusion", track=1)
    [incident] = _incidents(world)
    clock.advance(30)
    r = world.post("victim_a", f"{V1}/incidents/{incident['id']}/acknowledge")
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["status"] == "acknowledged"
    clock.advance(600)
    _settle(world)
    d = _detail(world, incident["id"])
    assert "escalated" not in _kinds(d)
    victim = next(r for r in d["recipients"] if r["recipient"] == V)
    assert victim["acknowledged_at"] is not None


def test_a_restarted_hub_keeps_every_incident_delivery_and_deadline(
    world: World,
    camera: str,
    clock: Clock,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _send(world.client, camera, type_="intrusion", track=1)
    [incident] = _incidents(world)
    world.client.app.state.alerting.dispatcher.close()  # type: ignore[attr-defined]
    # A new hub process on the same database: the pending work is still there.
    reborn = create_app(settings, session_factory, clock)
    with TestClient(reborn) as client:
        dispatcher = reborn.state.alerting.dispatcher
        dispatcher.close()  # drive it by hand
        while dispatcher.run_once():
            pass
        clock.advance(61)
        while dispatcher.run_once():
            pass
        d = client.get(f"{V1}/incidents/{incident['id']}", headers=world.h("admin")).json()
    assert "accepted" in _kinds(d)  # the SMS went out from the new process
    assert [e["recipient"] for e in d["timeline"] if e["kind"] == "escalated"] == [S, P]


# --- SOS, the consoles, the 112 webhook ---------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def dispatch_system() -> Iterator[str]:
    """A stand-in for the 112 centre's dispatch system: a real HTTP server on loopback."""
    _Receiver.received, _Receiver.fail_first = [], 1
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/incidents"
    server.shutdown()


SECRET = "112-shared-secret-0123"


@pytest.fixture
def hub_with_webhook(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Clock,
    world: World,
    dispatch_system: str,
) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={"emergency_webhook_url": dispatch_system, "emergency_webhook_secret": SECRET}
    )
    app = create_app(configured, session_factory, clock)
    with TestClient(app) as client:
        app.state.alerting.dispatcher.close()
        yield client


def test_watch_sos_reaches_security_and_the_112_system_signed_then_the_chain_runs(
    world: World, hub_with_webhook: TestClient, clock: Clock
) -> None:
    client = hub_with_webhook
    dispatcher = client.app.state.alerting.dispatcher  # type: ignore[attr-defined]
    watch = _device(world, "smartwatch", "W-1")
    auth = {"Authorization": f"Bearer {watch}"}
    sos = {"latitude": 33.4996, "longitude": 126.5312, "battery_percent": 41}
    r = client.post(f"{V1}/device/sos", json=sos, headers=auth)
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["type"] == "sos" and incident["police_status"] == "requested"
    while dispatcher.run_once():
        pass
    assert _Receiver.received == []  # the 112 system answered 503 the first time
    clock.advance(2)
    while dispatcher.run_once():
        pass
    [(headers, body)] = _Receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Safewatch-Signature"] == expected
    packet = json.loads(body)
    assert packet["incident"]["reference"] == incident["reference"]
    where = packet["location"]
    assert (where["latitude"], where["longitude"], where["battery_percent"]) == (
        33.4996,
        126.5312,
        41,
    )
    # A watch that says nothing of its fix's accuracy is taken as coarse (issue 23): 112 is
    # also given the home.
    assert where["doubts"] == ["coarse"] and [p["kind"] for p in where["also_at"]] == ["home"]
    assert packet["protected_person"]["phone"] == "010-1111-0001"
    assert packet["offenders"][0]["name"] == "Offender A"

    # A second press and the wearer moving: the same incident follows them.
    assert client.post(f"{V1}/device/sos", json=sos, headers=auth).json()["id"] == incident["id"]
    moved = {"latitude": 33.51, "longitude": 126.52}
    r = client.post(f"{V1}/device/location", json=moved, headers=auth)
    assert r.json()["incident_id"] == incident["id"]

    url = f"{V1}/incidents/{incident['id']}"

    def act(user: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = client.post(f"{url}/{path}", json=body or {}, headers=world.h(user))
        assert response.status_code == 200, (path, response.text)
        result: dict[str, Any] = response.json()
        return result

    act("security_a", "claim")
    act("dispatcher", "police/accept", {"note": "patrol 12 assigned"})
    act("security_a", "dispatch", {"unit": "Guard team 3"})
    act("dispatcher", "police/dispatch", {"note": "patrol 12 en route"})
    r = client.post(
        f"{url}/resolve", json={"outcome": "false_alarm"}, headers=world.h("security_a")
    )
    assert r.status_code == 422  # a false alarm needs its reason
    act("security_a", "arrive")
    act("dispatcher", "police/close", {"note": "offender not found; area patrolled"})
    final = act("security_a", "resolve", {"outcome": "resolved", "reason": "victim safe"})
    assert final["summary"]["status"] == "closed" and final["summary"]["outcome"] == "resolved"
    assert final["packet"]["location"]["latitude"] == 33.51
    kinds = _kinds(final)
    order = [
        "created",
        "police_requested",
        "joined",
        "location",
        "claimed",
        "police_accepted",
        "guards_dispatched",
        "police_dispatched",
        "on_scene",
        "police_closed",
        "resolved",
    ]
    assert [k for k in kinds if k in order] == order
    again = client.post(f"{url}/arrive", headers=world.h("security_a"))
    assert again.status_code == 409 and "closed" in again.json()["detail"]


def test_the_victims_sos_button_hands_over_to_112_with_the_latest_clip(
    world: World, camera: str, tmp_path: Path
) -> None:
    event_id = _send(world.client, camera, type_="intrusion", track=1)
    clip = tiny_mp4(tmp_path / "clip.mp4").read_bytes()
    r = world.client.put(
        f"{V1}/device/events/{event_id}/clip",
        content=clip,
        headers={"Authorization": f"Bearer {camera}", "Content-Type": "video/mp4"},
    )
    assert r.status_code == 200, r.text
    r = world.post("victim_a", f"{V1}/me/sos", {"latitude": 33.5, "longitude": 126.5})
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["call"] == "tel:112" and receipt["incident"]["type"] == "sos"
    # The clip opens by its signed link alone (a <video> tag or the 112 system has no token).
    media = world.client.get(receipt["latest_clip_url"])
    assert media.status_code == 200 and media.headers["content-type"] == "video/mp4"
    assert media.content == clip
    forged = receipt["latest_clip_url"][:-3] + "abc"
    assert world.client.get(forged).status_code == 403


def test_not_the_offender_at_resolution_tightens_the_camera(world: World, camera: str) -> None:
    _send(world.client, camera, type_="offender_recognized", track=2, identity="X", score=0.30)
    [incident] = _incidents(world)
    r = world.post(
        "security_a",
        f"{V1}/incidents/{incident['id']}/resolve",
        {"outcome": "false_alarm", "reason": "the neighbour's son", "not_the_offender": True},
    )
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["outcome"] == "false_alarm"
    lists = world.client.get(
        f"{V1}/device/face-lists", headers={"Authorization": f"Bearer {camera}"}
    ).json()
    assert lists["threshold"] == pytest.approx(0.28) and lists["threshold"] < DEFAULT_THRESHOLD


# --- A real client on the real-time stream ------------------------------------------------------


def test_a_connected_victim_receives_the_alert_then_the_clip_link(
    world: World, camera: str, live_hub: LiveHub, tmp_path: Path
) -> None:
    token = world.tokens["victim_a"]
    phone = StreamListener(live_hub.url, token, "victim phone").start()  # subscribed on return
    try:
        with httpx.Client(base_url=live_hub.url) as http:
            event_id = _send(http, camera, type_="intrusion", track=4)
            clip = tiny_mp4(tmp_path / "clip.mp4").read_bytes()
            r = http.put(
                f"{V1}/device/events/{event_id}/clip",
                content=clip,
                headers={"Authorization": f"Bearer {camera}", "Content-Type": "video/mp4"},
            )
            assert r.status_code == 200
            alert = phone.wait_for(lambda n: n.kind == "alert", 30)
            assert alert is not None, "no alert reached the phone"
            assert alert.data["incident"]["type"] == "intrusion"
            assert alert.data["recipient"] == "victim"
            assert alert.data["clip_url"] is None and alert.data["clip_pending"] is True
            update = phone.wait_for(lambda n: n.kind == "update" and bool(n.data["clip_url"]), 30)
            assert update is not None, f"no clip update; got {[n.kind for n in phone.received]}"
            played = http.get(update.data["clip_url"])
            assert played.status_code == 200 and played.content == clip
    finally:
        phone.close()


def test_a_silent_watch_at_a_very_high_case_alerts_once_per_silence(
    world: World, clock: Clock
) -> None:
    assert (
        world.assess(
            "officer_a", "a", "very_high", reason="threatened to kill her last week"
        ).status_code
        == 201
    )
    assert (
        world.assess(
            "officer_b", "b", "high", reason="repeated stalking at the workplace"
        ).status_code
        == 201
    )
    watch = _device(world, "smartwatch", "W-A")
    _device(world, "smartwatch", "W-B", side="b")  # high, not very high: no watch alarm
    beat = world.client.post(
        f"{V1}/device/heartbeat",
        json={"battery_percent": 12},
        headers={"Authorization": f"Bearer {watch}"},
    )
    assert beat.status_code == 200, beat.text
    clock.advance(29 * 60)
    _settle(world)
    assert _incidents(world) == []
    clock.advance(2 * 60)
    _settle(world)
    [incident] = _incidents(world)
    assert incident["type"] == "watch_silent" and "battery 12%" in incident["summary"]
    assert {r["recipient"] for r in _detail(world, incident["id"])["recipients"]} == {S}
    clock.advance(10 * 60)  # still silent: the same silence, no second incident
    _settle(world)
    assert len(_incidents(world, open_only=False)) == 1


# --- Web Push: a locked phone rings ------------------------------------------------------------


class _PushService(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if "gone" in self.path:  # a browser that has unsubscribed
            self.send_response(410)
            self.end_headers()
            return
        _PushService.received.append((dict(self.headers), body))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("language", "lock_screen"),
    [("ko", "긴급: 지금 앱을 열어 주세요"), ("en", "Urgent: open the app now")],
)
def test_web_push_rings_the_victims_phone_without_case_detail(
    world: World, camera: str, language: str, lock_screen: str
) -> None:
    """A real push service stand-in on loopback; the payload is really encrypted (RFC 8291)
    and only the phone's private key opens it. The lock screen speaks the person's language."""
    import base64
    import os

    from sqlalchemy import select

    from safewatch.models import User

    with world.factory() as s:
        victim = s.scalar(select(User).where(User.username == "victim_a"))
        assert victim is not None
        victim.language = language
        s.commit()

    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    _PushService.received = []
    server = HTTPServer(("127.0.0.1", 0), _PushService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    phone_key = ec.generate_private_key(ec.SECP256R1())
    public = phone_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    app = world.client.app
    allowed = app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"web_push_services": [f"http://127.0.0.1:{server.server_port}"]}
    )
    app.state.settings = allowed  # type: ignore[attr-defined]
    try:
        key = world.get("victim_a", f"{V1}/push/key").json()["application_server_key"]
        subscription = {
            "endpoint": f"http://127.0.0.1:{server.server_port}/push/abc",
            "keys": {"p256dh": b64(public), "auth": b64(auth)},
        }
        r = world.post("victim_a", f"{V1}/me/push-subscriptions", subscription)
        assert r.status_code == 201, r.text
        old_phone = {**subscription, "endpoint": subscription["endpoint"] + "/gone"}
        assert world.post("victim_a", f"{V1}/me/push-subscriptions", old_phone).status_code == 201
        _send(world.client, camera, type_="offender_recognized", track=1, identity="Offender A")
        _settle(world)
        [(raw_headers, body)] = _PushService.received
        headers = {k.lower(): v for k, v in raw_headers.items()}
        assert (
            headers["authorization"].startswith("vapid t=")
            and f"k={key}" in headers["authorization"]
        )
        assert headers["urgency"] == "high" and headers["content-encoding"] == "aes128gcm"
        shown = json.loads(http_ece.decrypt(body, private_key=phone_key, auth_secret=auth))
        assert shown["body"] == lock_screen
        assert "Offender" not in json.dumps(shown) and "street" not in json.dumps(shown)
        [incident] = _incidents(world)
        d = _detail(world, incident["id"])
        push = next(x for x in d["deliveries"] if x["channel"] == "web_push")
        assert push["status"] == "accepted"  # the push service took it
        # The unsubscribed phone is forgotten; the live one stays.
        from safewatch.models import PushSubscription

        with world.factory() as s:
            left = list(s.scalars(select(PushSubscription.endpoint)))
        assert left == [subscription["endpoint"]]
    finally:
        server.shutdown()


def test_an_alert_nobody_saw_is_delivered_when_the_victim_opens_the_app(
    world: World, camera: str, clock: Clock
) -> None:
    _send(world.client, camera, type_="intrusion", track=3)
    [incident] = _incidents(world)
    for _ in range(4):  # every in-app try finds no screen; the retries run out
        _settle(world)
        clock.advance(60)
    d = _detail(world, incident["id"])
    victim_app = next(
        x for x in d["deliveries"] if x["channel"] == "in_app" and x["recipient"] == V
    )
    assert victim_app["status"] == "failed"

    r = world.get("victim_a", f"{V1}/stream?follow=false")  # the app opens: its backlog
    assert r.status_code == 200 and incident["id"] in r.text
    # …then a comment line saying the backlog is done and what follows is live
    assert r.text.index(incident["id"]) < r.text.index("\n: live\n\n")
    d = _detail(world, incident["id"])
    victim_app = next(
        x for x in d["deliveries"] if x["channel"] == "in_app" and x["recipient"] == V
    )
    assert victim_app["status"] == "delivered"
    shown = [e for e in d["timeline"] if e["detail"] == "in_app: shown when a screen connected"]
    assert [(e["kind"], e["recipient"]) for e in shown] == [("delivered", V)]
    # The security company's screen was not opened: its alert stays undelivered.
    security_app = next(
        x for x in d["deliveries"] if x["channel"] == "in_app" and x["recipient"] == S
    )
    assert security_app["status"] == "failed"
