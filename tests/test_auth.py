"""Sign-in, tokens, accounts and device credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from safewatch.core.config import Settings, new_secret
from safewatch.models import LoginToken
from tests.sens_fake import PRODUCTION_SMS
from tests.world import PASSWORD, World

V1 = "/api/v1"


def _login(world: World, username: str, password: str) -> Any:
    return world.client.post(f"{V1}/auth/login", json={"username": username, "password": password})


def test_login_gives_a_working_token(world: World) -> None:
    r = _login(world, "officer_a", PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "officer" and body["token_type"] == "bearer"
    me = world.client.get(
        f"{V1}/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["username"] == "officer_a"


@pytest.mark.parametrize(
    ("username", "password"), [("officer_a", "wrong-password-1"), ("nobody", PASSWORD)]
)
def test_wrong_login_gets_one_message(world: World, username: str, password: str) -> None:
    r = _login(world, username, password)
    assert r.status_code == 401
    assert r.json() == {"detail": "wrong username or password"}


def test_logout_and_expiry_end_the_session(world: World) -> None:
    assert world.post("officer_a", f"{V1}/auth/logout").status_code == 204
    r = world.get("officer_a", f"{V1}/users/me")
    assert r.status_code == 401 and "expired or was revoked" in r.json()["detail"]
    with world.factory() as s, s.begin():
        s.execute(update(LoginToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert world.get("caseworker_a", f"{V1}/users/me").status_code == 401


def test_disabling_an_account_ends_its_sessions(world: World) -> None:
    r = world.patch("admin", f"{V1}/users/{world.users['officer_b']}", {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert world.get("officer_b", f"{V1}/users/me").status_code == 401
    assert _login(world, "officer_b", PASSWORD).status_code == 401


def test_admin_creates_users_with_the_right_agency(world: World) -> None:
    body = {
        "username": "newofficer",
        "full_name": "New Officer",
        "password": "long-enough-pw",
        "role": "officer",
        "agency_id": str(world.agencies["centre_a"]),
    }
    r = world.post("admin", f"{V1}/users", body)
    assert r.status_code == 422 and "must belong to a police station" in r.json()["detail"]
    body["agency_id"] = str(world.agencies["station_a"])
    assert world.post("admin", f"{V1}/users", body).status_code == 201
    r = world.post("admin", f"{V1}/users", body)
    assert r.status_code == 409 and "taken" in r.json()["detail"]
    short = {**body, "username": "other", "password": "short"}
    assert world.post("admin", f"{V1}/users", short).status_code == 422
    assert _login(world, "newofficer", "long-enough-pw").status_code == 200


def test_default_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="SAFEWATCH_SECRET_KEY is the development default"):
        Settings(environment="production")  # type: ignore[arg-type]
    Settings(environment="production", secret_key=new_secret(), **PRODUCTION_SMS)  # type: ignore[arg-type]


def test_device_credential_lifecycle(world: World) -> None:
    dev = world.post("officer_a", f"{V1}/devices", {"kind": "smartwatch", "serial": "SW-77"}).json()
    beat = f"{V1}/device/heartbeat"

    def heartbeat(secret: str) -> Any:
        return world.client.post(
            beat, json={"battery_percent": 80}, headers={"Authorization": f"Bearer {secret}"}
        )

    r = heartbeat("swd_not-a-real-credential")
    assert r.status_code == 401 and r.json()["detail"] == "unknown device credential"
    first = world.post("officer_a", f"{V1}/devices/{dev['id']}/credential").json()["secret"]
    assert heartbeat(first).status_code == 200
    seen = world.get("officer_a", f"{V1}/devices/{dev['id']}").json()
    assert seen["battery_percent"] == 80 and seen["last_seen_at"]

    second = world.post("officer_a", f"{V1}/devices/{dev['id']}/credential").json()["secret"]
    r = heartbeat(first)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert heartbeat(second).status_code == 200

    assert (
        world.client.delete(
            f"{V1}/devices/{dev['id']}/credential", headers=world.h("officer_a")
        ).status_code
        == 204
    )
    assert heartbeat(second).status_code == 401
    # A person's token is not a device credential, and the other way round.
    assert heartbeat(world.tokens["officer_a"]).status_code == 401
    third = world.post("officer_a", f"{V1}/devices/{dev['id']}/credential").json()["secret"]
    r = world.client.get(f"{V1}/users/me", headers={"Authorization": f"Bearer {third}"})
    assert r.status_code == 401


def test_returned_device_stops_speaking(world: World) -> None:
    dev = world.post("officer_a", f"{V1}/devices", {"kind": "bell", "serial": "BEL-1"}).json()
    world.post("officer_a", f"{V1}/devices/{dev['id']}/assign", {"case_id": str(world.cases["a"])})
    secret = world.post("officer_a", f"{V1}/devices/{dev['id']}/credential").json()["secret"]
    world.post("officer_a", f"{V1}/devices/{dev['id']}/status", {"status": "in_stock"})
    r = world.client.post(
        f"{V1}/device/heartbeat", json={}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 401
