"""What the staff screens of issue 18 (points 11–13) need of the API: a stay extended, the
case's changes without its viewings, an account's role changed, disabled and enabled."""

from __future__ import annotations

from datetime import date, timedelta

from tests.world import World

V1 = "/api/v1"


def test_a_stay_under_way_is_extended_not_shortened_and_not_after_check_out(
    world: World,
) -> None:
    world.stay("a", "Shelter Halla", nights=12)
    url = f"{V1}/cases/{world.cases['a']}/stays"
    [stay] = world.get("caseworker_a", url).json()
    later = str(date.today() + timedelta(days=20))
    r = world.post("caseworker_a", f"{url}/{stay['id']}/extend", {"planned_check_out": later})
    assert r.status_code == 200, r.text
    assert r.json()["planned_nights"] == 20
    earlier = {"planned_check_out": str(date.today() + timedelta(days=15))}
    r = world.post("caseworker_a", f"{url}/{stay['id']}/extend", earlier)
    assert r.status_code == 422 and "after the planned check-out" in r.text
    assert world.post("caseworker_b", f"{url}/{stay['id']}/extend", earlier).status_code == 403
    out = {"check_out": str(date.today() + timedelta(days=20))}
    assert world.post("caseworker_a", f"{url}/{stay['id']}/check-out", out).status_code == 200
    again = {"planned_check_out": str(date.today() + timedelta(days=30))}
    assert world.post("caseworker_a", f"{url}/{stay['id']}/extend", again).status_code == 409
    trail = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit?changes=true").json()
    reasons = [e["reason"] for e in trail["items"]]
    assert any("stay extended" in r for r in reasons)
    assert all(e["action"] != "read" for e in trail["items"])
    views = world.get("officer_a", f"{V1}/cases/{world.cases['a']}/audit?action=read").json()
    assert views["total"] >= 3


def test_an_admin_changes_a_role_disables_and_enables_an_account(world: World) -> None:
    officer = world.users["officer_a"]
    body = {"role": "caseworker", "agency_id": str(world.agencies["centre_a"])}
    r = world.client.patch(f"{V1}/users/{officer}", json=body, headers=world.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "caseworker"
    # The old sign-in ends: the new role signs in afresh.
    assert world.get("officer_a", f"{V1}/users/me").status_code == 401
    wrong = {"role": "officer", "agency_id": str(world.agencies["centre_a"])}
    r = world.client.patch(f"{V1}/users/{officer}", json=wrong, headers=world.h("admin"))
    assert r.status_code == 422 and "police station" in r.text

    victim = world.users["victim_a"]
    r = world.client.patch(f"{V1}/users/{victim}", json={"active": False}, headers=world.h("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    r = world.client.patch(f"{V1}/users/{victim}", json={"active": True}, headers=world.h("admin"))
    assert r.json()["active"] is True
    trail = world.get("admin", f"{V1}/audit?size=10").json()["items"]
    reasons = [e["reason"] for e in trail]
    assert "enabled" in reasons and "disabled" in reasons
    assert any("role officer → caseworker" in r for r in reasons)

    me = world.users["admin"]
    r = world.client.patch(f"{V1}/users/{me}", json={"active": False}, headers=world.h("admin"))
    assert r.status_code == 409


def test_the_ledger_lists_a_periods_entries_for_the_export(world: World) -> None:
    for day, amount in (("2026-10-31", 1000), ("2026-11-01", 2000), ("2026-11-30", 3000)):
        body = {"donor": "Jeju citizen", "amount_krw": amount, "on_date": day}
        assert world.post("caseworker_a", f"{V1}/fund/donations", body).status_code == 201
    r = world.get("caseworker_a", f"{V1}/fund/entries?period_from=2026-11-01&period_to=2026-11-30")
    assert r.status_code == 200, r.text
    assert [e["amount_krw"] for e in r.json()["items"]] == [3000, 2000]
