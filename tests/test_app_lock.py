"""The protected person's app lock and its duress PIN (issue 23, point 2), through the real
API. Seoul 2021: the voice from the watch enraged the offender. The duress PIN unlocks the app
exactly as the PIN does — the same answer — and tells the security company and 112 silently;
her own phone shows nothing of it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.models import User
from tests.world import World

V1 = "/api/v1"


def _lock(world: World, pin: str = "2580", duress: str | None = "1379") -> None:
    body = {"pin": pin, "duress_pin": duress}
    r = world.client.put(f"{V1}/me/app-lock", json=body, headers=world.h("victim_a"))
    assert r.status_code == 204, r.text


def test_the_duress_pin_unlocks_like_the_pin_and_raises_a_silent_sos(world: World) -> None:
    assert world.get("victim_a", f"{V1}/me/app-lock").json() == {"locked": False}
    _lock(world)
    assert world.get("victim_a", f"{V1}/me/app-lock").json() == {"locked": True}
    normal = world.post("victim_a", f"{V1}/me/unlock", {"pin": "2580"})
    assert normal.status_code == 200, normal.text
    assert world.get("security_a", f"{V1}/incidents").json()["items"] == []
    duress = world.post("victim_a", f"{V1}/me/unlock", {"pin": "1379"})
    assert (duress.status_code, duress.json()) == (normal.status_code, normal.json())
    [incident] = world.get("security_a", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "sos" and incident["police_status"] == "requested"
    detail = world.get("security_a", f"{V1}/incidents/{incident['id']}").json()
    assert detail["summary"]["facts"]["duress"] is True
    assert {r["recipient"] for r in detail["recipients"]} == {"security", "police"}
    assert not [d for d in detail["deliveries"] if d["recipient"] == "victim"]
    # Her own app lists nothing: nothing on her screen changes.
    assert world.get("victim_a", f"{V1}/incidents").json()["items"] == []


def test_a_wrong_pin_is_refused_and_guessing_is_slowed(world: World) -> None:
    _lock(world)
    for _ in range(20):
        assert world.post("victim_a", f"{V1}/me/unlock", {"pin": "0000"}).status_code == 403
    assert world.post("victim_a", f"{V1}/me/unlock", {"pin": "0000"}).status_code == 429
    assert world.get("security_a", f"{V1}/incidents").json()["items"] == []


def test_pins_are_digits_that_differ_and_are_stored_hashed(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    for body in ({"pin": "12"}, {"pin": "abcd"}, {"pin": "2580", "duress_pin": "2580"}):
        r = world.client.put(f"{V1}/me/app-lock", json=body, headers=world.h("victim_a"))
        assert r.status_code == 422, body
    _lock(world)
    with session_factory() as s:
        user = s.scalar(select(User).where(User.username == "victim_a"))
        assert user is not None and user.app_pin_hash and user.duress_pin_hash
        assert "2580" not in user.app_pin_hash and user.app_pin_hash.startswith("$argon2")
    # Only the protected person has an app lock.
    r = world.client.put(f"{V1}/me/app-lock", json={"pin": "2580"}, headers=world.h("officer_a"))
    assert r.status_code == 403


def test_her_watch_and_app_are_silent_on_sos_unless_she_chose_a_vibration(world: World) -> None:
    """After Seoul 2021 (the voice from the watch enraged him): silent by default; her watch
    hears her choice in its heartbeat's answer; another person's watch keeps its own."""
    watch = {"Authorization": f"Bearer {world.device('smartwatch', 'W-A9')}"}
    other = {"Authorization": f"Bearer {world.device('smartwatch', 'W-B9', side='b')}"}
    assert world.get("victim_a", f"{V1}/me/sos-feedback").json() == {"feedback": "silent"}
    beat = world.client.post(f"{V1}/device/heartbeat", json={}, headers=watch).json()
    assert beat["sos_feedback"] == "silent"
    r = world.client.put(
        f"{V1}/me/sos-feedback", json={"feedback": "vibrate"}, headers=world.h("victim_a")
    )
    assert r.status_code == 204, r.text
    beat = world.client.post(f"{V1}/device/heartbeat", json={}, headers=watch).json()
    assert beat["sos_feedback"] == "vibrate"
    beat = world.client.post(f"{V1}/device/heartbeat", json={}, headers=other).json()
    assert beat["sos_feedback"] == "silent"
    bad = {"feedback": "ring"}
    assert (
        world.client.put(f"{V1}/me/sos-feedback", json=bad, headers=world.h("victim_a")).status_code
        == 422
    )
