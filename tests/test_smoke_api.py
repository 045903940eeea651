from __future__ import annotations

from tests.world import World


def test_health(world: World) -> None:
    r = world.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_officer_sees_own_case(world: World) -> None:
    r = world.get("officer_a", f"/api/v1/cases/{world.cases['a']}")
    assert r.status_code == 200, r.text
    assert r.json()["protected_person"]["full_name"] == "Person A"
