"""The support centre's fund: donations, expenditures, a balance that never goes negative."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from sqlalchemy import select

from safewatch.models import Fund, FundEntry
from tests.world import World

V1 = "/api/v1"
TODAY = str(date.today())


def _donate(world: World, amount: int, user: str = "caseworker_a") -> Any:
    return world.post(
        user,
        f"{V1}/fund/donations",
        {"donor": "Jeju sponsor", "amount_krw": amount, "on_date": TODAY},
    )


def _spend(
    world: World,
    amount: int,
    category: str = "safe_accommodation",
    case: str | None = "a",
    user: str = "caseworker_a",
) -> Any:
    body = {"category": category, "amount_krw": amount, "on_date": TODAY}
    if case:
        body["case_id"] = str(world.cases[case])
    return world.post(user, f"{V1}/fund/expenditures", body)


def test_donation_spending_and_report(world: World) -> None:
    assert _donate(world, 100_000_000).status_code == 201
    assert _spend(world, 1_400_000).status_code == 201
    assert _spend(world, 600_000, "relocation").status_code == 201
    assert _spend(world, 250_000, "devices", case=None).status_code == 201
    fund = world.get("caseworker_a", f"{V1}/fund").json()
    assert fund["balance_krw"] == 100_000_000 - 2_250_000
    report = world.get("caseworker_a", f"{V1}/fund/report").json()
    assert report["donations_krw"] == 100_000_000
    assert report["expenditures_krw"] == 2_250_000
    assert {c["category"]: c["amount_krw"] for c in report["by_category"]} == {
        "devices": 250_000,
        "relocation": 600_000,
        "safe_accommodation": 1_400_000,
    }
    by_case = {c["case_reference"]: c["amount_krw"] for c in report["by_case"]}
    assert by_case[None] == 250_000 and sum(by_case.values()) == 2_250_000
    entries = world.get("caseworker_a", f"{V1}/fund/entries", params={"size": 2}).json()
    assert entries["total"] == 4 and len(entries["items"]) == 2


def test_overspending_is_refused_and_changes_nothing(world: World) -> None:
    _donate(world, 1_000_000)
    r = _spend(world, 1_000_001)
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "the fund holds 1,000,000 KRW; an expenditure of 1,000,001 KRW would overspend it"
    )
    assert world.get("caseworker_a", f"{V1}/fund").json()["balance_krw"] == 1_000_000
    with world.factory() as s:
        assert len(list(s.scalars(select(FundEntry)))) == 1
    assert _spend(world, 1_000_000).status_code == 201
    assert world.get("caseworker_a", f"{V1}/fund").json()["balance_krw"] == 0


def test_centres_keep_separate_funds_and_cases(world: World) -> None:
    _donate(world, 500_000)
    assert world.get("caseworker_b", f"{V1}/fund").json()["balance_krw"] == 0
    r = _spend(world, 1_000, case="b")
    assert r.status_code == 422
    assert "only to a case of this centre" in r.json()["detail"]
    r = world.get(
        "caseworker_b", f"{V1}/fund", params={"centre_id": str(world.agencies["centre_a"])}
    )
    assert r.status_code == 403


def test_invalid_amounts_are_refused(world: World) -> None:
    assert _donate(world, 0).status_code == 422
    assert _spend(world, -5).status_code == 422


def test_racing_spends_never_overdraw(world: World) -> None:
    _donate(world, 100_000)
    results: list[int] = []

    def spend() -> None:
        results.append(_spend(world, 60_000).status_code)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409, 409, 409]
    with world.factory() as s:
        fund = s.scalar(select(Fund))
        assert fund is not None and fund.balance_krw == 40_000
