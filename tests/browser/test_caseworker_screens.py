"""The device inventory, the case's support section and the fund, in a real browser: what an
officer and a caseworker see, in won and in the page's language."""

from __future__ import annotations

from datetime import date
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
    world.stay("a", "Shelter Halla", nights=12)
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


def test_an_officer_draws_a_zone_on_the_cameras_view_and_the_camera_gets_it(
    world: World, desk: Any
) -> None:
    import cv2
    import numpy as np

    secret = world.device("camera", "CAM-DRAW")
    frame = np.full((360, 640, 3), 90, np.uint8)
    cv2.rectangle(frame, (0, 200), (640, 360), (40, 150, 40), -1)  # the lawn, lower part
    camera = {"Authorization": f"Bearer {secret}"}
    jpeg = bytes(cv2.imencode(".jpg", frame)[1])
    assert world.client.put("/api/v1/device/view", content=jpeg, headers=camera).status_code == 200

    _sign_in(desk, "officer_a")
    desk.goto("/devices")
    desk.get_by_role("link", name="CAM-DRAW").click()
    desk.wait_for_url("**/devices/*/zones")
    desk.locator("#case-link").get_by_text("TT-2026-0001").wait_for()
    view = desk.locator("#view")
    desk.wait_for_function("() => document.getElementById('view').naturalWidth > 0")
    box = view.bounding_box()
    canvas = desk.locator("#canvas")
    for x, y in ((0.1, 0.6), (0.9, 0.6), (0.9, 0.95), (0.1, 0.95)):  # around the lawn
        canvas.click(position={"x": box["width"] * x, "y": box["height"] * y})
    assert len(desk.locator("#corners").input_value().split()) == 4
    desk.get_by_label("Zone name").fill("lawn")
    desk.get_by_role("button", name="Add zone").click()
    desk.locator("#zones").get_by_text("lawn · Boundary (intrusion) · 4 corners").wait_for()
    assert desk.locator("#canvas polygon.boundary").count() == 1
    shoot(desk, "site-editor")
    desk.get_by_role("button", name="Save zones").click()
    desk.locator("#save-result").get_by_text("Saved.").wait_for()

    zones = world.client.get("/api/v1/device/zones", headers=camera).json()["zones"]
    assert [z["name"] for z in zones] == ["lawn"] and zones[0]["kind"] == "boundary"
    for (x, y), (want_x, want_y) in zip(
        zones[0]["polygon"], ((0.1, 0.6), (0.9, 0.6), (0.9, 0.95), (0.1, 0.95)), strict=True
    ):
        assert abs(x - want_x) < 0.02 and abs(y - want_y) < 0.02

    # Two corners are no zone: the hub refuses, the page says why, nothing changes.
    desk.get_by_label("Zone name").fill("line")
    desk.get_by_label("Corners (x,y from 0 to 1)").fill("0,0 1,1")
    desk.get_by_role("button", name="Add zone").click()
    desk.get_by_role("button", name="Save zones").click()
    desk.locator("#save-result.error").get_by_text("at least 3").wait_for()
    again = world.client.get("/api/v1/device/zones", headers=camera).json()["zones"]
    assert [z["name"] for z in again] == ["lawn"]
