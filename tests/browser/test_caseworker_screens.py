"""The device inventory, the case's support section and the fund, in a real browser: what an
officer and a caseworker see, in won and in the page's language."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest import shoot
from tests.live import LiveHub
from tests.world import PASSWORD, World


@pytest.fixture
def desk(chromium: Any, live_hub: LiveHub) -> Any:
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 1000})
    yield context.new_page()
    context.close()


def _sign_in(page: Any, user: str, lang: str = "en") -> None:
    page.goto(f"/login?lang={lang}")
    page.locator("#username").fill(user)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/cases")


def test_the_inventory_shows_stock_and_each_devices_case_and_health(
    world: World, desk: Any
) -> None:
    watch = world.device("smartwatch", "W-100")
    world.device("camera", "CAM-200")
    world.post("officer_a", "/api/v1/devices", {"kind": "bell", "serial": "BELL-300"})
    world.post("officer_b", "/api/v1/devices", {"kind": "bell", "serial": "BELL-OTHER"})
    beat = {"battery_percent": 41, "health_note": "strap worn"}
    r = world.client.post(
        "/api/v1/device/heartbeat", json=beat, headers={"Authorization": f"Bearer {watch}"}
    )
    assert r.status_code == 200, r.text

    _sign_in(desk, "officer_a")
    desk.get_by_role("link", name="Devices").click()
    desk.wait_for_url("**/devices")
    table = desk.locator("#devices")
    table.get_by_text("W-100").wait_for()
    row = table.locator("tr", has_text="W-100")
    assert "TT-2026-0001" in row.inner_text()
    assert "41%" in row.inner_text() and "strap worn" in row.inner_text()
    assert "never" in table.locator("tr", has_text="CAM-200").inner_text()
    assert "in stock" in table.locator("tr", has_text="BELL-300").inner_text()
    assert table.get_by_text("BELL-OTHER").count() == 0  # another station's stock
    stock = desk.locator("#stock")
    bells = stock.locator("tr", has_text="Emergency bell")
    assert bells.locator("td").nth(2).inner_text() == "1"  # one in stock
    shoot(desk, "device-inventory")

    desk.locator("#kind-filter").select_option("camera")
    table.get_by_text("W-100").wait_for(state="detached")
    assert desk.locator("#device-count").inner_text() == "1"


def test_the_case_page_lists_devices_stays_and_who_viewed_it_by_name(
    world: World, desk: Any
) -> None:
    world.device("smartwatch", "W-7")
    case = world.cases["a"]
    stay = {
        "place_name": "Shelter Halla",
        "address": "1 Shelter-ro, Jeju",
        "check_in": str(date.today()),
        "planned_check_out": str(date.today() + timedelta(days=12)),
    }
    assert world.post("caseworker_a", f"/api/v1/cases/{case}/stays", stay).status_code == 201
    assert world.get("caseworker_a", f"/api/v1/cases/{case}").status_code == 200

    _sign_in(desk, "officer_a")
    desk.goto(f"/cases/{case}")
    desk.locator("#c-devices").get_by_text("W-7").wait_for()
    assert "Shelter Halla" in desk.locator("#c-stays").inner_text()
    assert "12 nights" in desk.locator("#c-stays").inner_text()
    audit = desk.locator("#c-audit")
    audit.get_by_text("Caseworker A (caseworker)").first.wait_for()


def test_a_caseworker_records_a_donation_and_the_fund_shows_won(world: World, desk: Any) -> None:
    _sign_in(desk, "caseworker_a", lang="ko")
    desk.goto("/fund")
    donation = desk.locator("#donation")
    donation.locator("[name=donor]").fill("제주 시민")
    donation.locator("[name=amount_krw]").fill("1500000")
    donation.locator("[name=on_date]").fill(str(date.today()))
    donation.locator("button").click()
    desk.locator("#entry-result").get_by_text("₩1,500,000").wait_for()
    desk.locator("#r-balance").get_by_text("₩1,500,000").wait_for()

    spend = desk.locator("#expenditure")
    spend.locator("[name=category]").select_option("safe_accommodation")
    spend.locator("[name=case_id]").select_option(label="TT-2026-0001 Person A")
    spend.locator("[name=amount_krw]").fill("2000000")
    spend.locator("[name=on_date]").fill(str(date.today()))
    spend.locator("button").click()
    desk.locator("#entry-result.error").wait_for()  # more than the balance: refused, shown
    spend.locator("[name=amount_krw]").fill("400000")
    spend.locator("button").click()
    desk.locator("#r-balance").get_by_text("₩1,100,000").wait_for()
    assert "₩400,000" in desk.locator("#by-case").inner_text()
    assert "TT-2026-0001" in desk.locator("#by-case").inner_text()
    ledger = desk.locator("#ledger")
    ledger.get_by_text("−₩400,000").wait_for()
    assert "제주 시민" in ledger.inner_text()
    shoot(desk, "fund")


def test_only_caseworkers_have_the_fund_screen(world: World, desk: Any) -> None:
    _sign_in(desk, "officer_a")
    assert desk.get_by_role("link", name="Fund").count() == 0
    desk.goto("/fund")
    desk.wait_for_url("**/login")
