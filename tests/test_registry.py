"""112 dispatchers find a registered protected person by the calling number."""

from __future__ import annotations

import pytest

from tests.world import World

V1 = "/api/v1"


def _register(world: World, side: str) -> None:
    world.assess("officer_a" if side == "a" else "officer_b", side, "normal")
    officer = "officer_a" if side == "a" else "officer_b"
    r = world.patch(
        officer,
        f"{V1}/cases/{world.cases[side]}/measures/emergency_line_registration",
        {"status": "in_place"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize("dialled", ["010-1111-0001", "01011110001", "+82 10 1111 0001"])
def test_registered_number_is_found_in_any_format(world: World, dialled: str) -> None:
    _register(world, "a")
    r = world.get("dispatcher", f"{V1}/registry/lookup", params={"phone": dialled})
    assert r.status_code == 200, r.text
    (match,) = r.json()
    assert match["person_name"] == "Person A"
    assert match["risk_level"] == "normal"
    assert match["address"] == "A street 1, Jeju"
    assert match["offenders"] == [
        {"full_name": "Offender A", "description": "tall", "order_active": True}
    ]
    assert match["police_station"] == "station_a agency"


def test_unregistered_number_finds_nobody(world: World) -> None:
    _register(world, "a")
    # Case B exists but its 112 registration is not in place.
    r = world.get("dispatcher", f"{V1}/registry/lookup", params={"phone": "010-1111-0002"})
    assert r.status_code == 200 and r.json() == []


def test_lookup_is_audited(world: World) -> None:
    _register(world, "a")
    world.get("dispatcher", f"{V1}/registry/lookup", params={"phone": "010-1111-0001"})
    trail = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit").json()["items"]
    assert any(
        e["actor_role"] == "dispatcher" and e["reason"] == "112 registry match" for e in trail
    )
