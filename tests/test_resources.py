"""Devices, safe-accommodation stays, patrols and relocation steps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.world import World

V1 = "/api/v1"


def _stay(days: int, start: date | None = None) -> dict[str, str]:
    check_in = start or date.today()
    return {
        "place_name": "Safe house",
        "address": "confidential 1",
        "check_in": str(check_in),
        "planned_check_out": str(check_in + timedelta(days=days)),
    }


def test_device_inventory_assignment_and_stock(world: World) -> None:
    ids = [
        world.post("officer_a", f"{V1}/devices", {"kind": "camera", "serial": f"CAM-{i}"}).json()[
            "id"
        ]
        for i in range(3)
    ]
    world.post("officer_b", f"{V1}/devices", {"kind": "camera", "serial": "CAM-B"})
    r = world.post("officer_a", f"{V1}/devices", {"kind": "camera", "serial": "CAM-0"})
    assert r.status_code == 409 and "already registered" in r.json()["detail"]

    r = world.post("officer_a", f"{V1}/devices/{ids[0]}/assign", {"case_id": str(world.cases["a"])})
    assert r.status_code == 201
    r = world.post("officer_a", f"{V1}/devices/{ids[0]}/assign", {"case_id": str(world.cases["a"])})
    assert r.status_code == 409 and "not in stock" in r.json()["detail"]
    r = world.post("officer_a", f"{V1}/devices/{ids[1]}/assign", {"case_id": str(world.cases["b"])})
    assert r.status_code == 403

    stock = {
        (row["kind"], row["status"]): row["count"]
        for row in world.get("officer_a", f"{V1}/devices/stock").json()
    }
    assert stock == {("camera", "assigned"): 1, ("camera", "in_stock"): 2}
    assert len(world.get("admin", f"{V1}/devices/stock").json()) == 3  # station B's row too

    world.post("officer_a", f"{V1}/devices/{ids[0]}/status", {"status": "faulty", "note": "lens"})
    dev = world.get("officer_a", f"{V1}/devices/{ids[0]}").json()
    assert dev["status"] == "faulty" and dev["case_id"] is None
    assert dev["assignments"][0]["returned_at"] is not None  # history kept
    assert world.get("officer_b", f"{V1}/devices/{ids[1]}").status_code == 403
    page = world.get("officer_a", f"{V1}/devices", params={"kind": "camera", "size": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2


def test_stay_needs_ten_nights(world: World) -> None:
    url = f"{V1}/cases/{world.cases['a']}/stays"
    r = world.post("caseworker_a", url, _stay(9))
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "a safe-accommodation stay is booked for at least 10 nights; this one has 9"
    )
    r = world.post("caseworker_a", url, _stay(10))
    assert r.status_code == 201 and r.json()["planned_nights"] == 10
    r = world.post("caseworker_a", url, _stay(12))
    assert r.status_code == 409 and "already in a stay" in r.json()["detail"]
    stay = world.get("caseworker_a", url).json()[0]
    out = f"{url}/{stay['id']}/check-out"
    early = {"check_out": str(date.today() + timedelta(days=3))}
    r = world.post("caseworker_a", out, early)
    assert r.status_code == 422 and "write why" in r.json()["detail"]
    r = world.post("caseworker_a", out, {**early, "note": "moved to family in Seoul"})
    assert r.status_code == 200 and r.json()["nights"] == 3


def test_safe_accommodation_in_place_follows_the_stay(world: World) -> None:
    world.assess("officer_a", "a", "very_high", "threats_to_kill")
    m = f"{V1}/cases/{world.cases['a']}/measures/safe_accommodation"
    assert world.patch("caseworker_a", m, {"status": "in_place"}).status_code == 409
    world.post("caseworker_a", f"{V1}/cases/{world.cases['a']}/stays", _stay(14))
    assert world.patch("caseworker_a", m, {"status": "in_place"}).status_code == 200


def test_patrol_plan_and_log(world: World) -> None:
    url = f"{V1}/cases/{world.cases['a']}/patrol-plans"
    bad = {"place": "home", "windows": [{"weekdays": [7], "start": "20:00", "end": "21:00"}]}
    r = world.post("officer_a", url, bad)
    assert r.status_code == 422 and "weekdays are 0 (Monday) to 6 (Sunday)" in r.json()["detail"]
    bad["windows"] = [{"weekdays": [1], "start": "22:00", "end": "21:00"}]
    assert "must end after it starts" in world.post("officer_a", url, bad).json()["detail"]
    now = datetime.now().astimezone()
    window = {"weekdays": list(range(7)), "start": "00:00", "end": "23:59"}
    plan = world.post("officer_a", url, {"place": "home", "windows": [window]}).json()
    log = world.post(
        "officer_a",
        f"{url}/{plan['id']}/logs",
        {"patrolled_at": now.isoformat(), "observation": "quiet"},
    )
    assert log.status_code == 201 and log.json()["window_start"] == "00:00:00"
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = world.post("officer_a", f"{url}/{plan['id']}/logs", {"patrolled_at": future})
    assert r.status_code == 422 and "future" in r.json()["detail"]
    world.assess("officer_a", "a", "normal")
    r = world.patch(
        "officer_a", f"{V1}/cases/{world.cases['a']}/measures/patrol_plan", {"status": "in_place"}
    )
    assert r.status_code == 200
    world.post("officer_a", f"{url}/{plan['id']}/end")
    r = world.post("officer_a", f"{url}/{plan['id']}/logs", {"patrolled_at": now.isoformat()})
    assert r.status_code == 409 and "ended" in r.json()["detail"]


def test_relocation_steps(world: World) -> None:
    url = f"{V1}/cases/{world.cases['a']}/relocation-steps"
    step = world.post("caseworker_a", url, {"title": "Find rental flat", "due_on": "2026-12-31"})
    assert step.status_code == 201
    sid = step.json()["id"]
    r = world.patch("caseworker_a", f"{url}/{sid}", {"status": "done"})
    assert r.status_code == 200 and r.json()["done_at"]
    r = world.patch("caseworker_a", f"{url}/{sid}", {"status": "cancelled"})
    assert r.status_code == 409 and "already done" in r.json()["detail"]
    assert [s["title"] for s in world.get("officer_a", url).json()] == ["Find rental flat"]
