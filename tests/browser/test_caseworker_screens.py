"""The device inventory, the case's support section and the fund, in a real browser: what an
officer and a caseworker see, in won and in the page's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from safewatch.bus.messages import CameraEvent
from safewatch.models import Device
from tests.browser.conftest import shoot
from tests.live import LiveHub, event, jpeg
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
    # The page draws its lists as each answer comes: wait for the stays' own (failed once so
    # under the two passes' load)
    desk.locator("#c-stays").get_by_text("Shelter Halla").first.wait_for()
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


def send_event(world: World, secret: str, e: CameraEvent) -> None:
    r = world.client.post(
        "/api/v1/device/events",
        data={"event": e.model_dump_json()},
        files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 201, r.text


def _live_beat(hub: LiveHub, secret: str, **body: Any) -> None:
    """A heartbeat to the running hub (its clock is the real one)."""
    r = httpx.post(
        f"{hub.url}/api/v1/device/heartbeat",
        json=body,
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 200, r.text


def test_a_camera_falling_silent_shows_offline_on_every_screen_while_it_is_open(
    world: World, desk: Any, live_hub: LiveHub
) -> None:
    """Issue 18, point 10: one rule for the device list, the dashboard and the case page."""
    door = world.device("camera", "CAM-DOOR")
    yard = world.device("camera", "CAM-YARD")
    world.device("smartwatch", "W-NEVER")
    for secret in (door, yard):
        _live_beat(live_hub, secret, state="ok")
    # A region with other incidents open: an SOS and an intrusion on the same case.
    world.client.post("/api/v1/device/sos", json={}, headers={"Authorization": f"Bearer {yard}"})
    send_event(world, yard, event(camera="yard"))

    _sign_in(desk, "officer_a")
    desk.goto("/devices")
    table = desk.locator("#devices")
    door_row = table.locator("tr", has_text="CAM-DOOR")
    door_row.get_by_text("ok").wait_for()
    watch = table.locator("tr", has_text="W-NEVER")
    assert "issued, never connected — check it with the person" in watch.inner_text()

    # The door camera's worker loses the picture (it still heartbeats "ok"): the list,
    # left open, shows it offline with its incident; the yard camera stays ok.
    send_event(
        world,
        door,
        event(camera="door", type_="camera_offline").model_copy(
            update={"track": None, "zone": None}
        ),
    )
    _live_beat(live_hub, door, state="ok")
    table.locator("tr[data-condition='offline']", has_text="CAM-DOOR").wait_for(timeout=20000)
    assert "camera-offline incident open" in door_row.inner_text()
    assert "ok" in table.locator("tr", has_text="CAM-YARD").inner_text()
    shoot(desk, "device-inventory")

    # The yard camera falls silent (its last heartbeat two minutes old): offline too.
    with world.factory() as s, s.begin():
        camera = s.scalar(select(Device).where(Device.serial == "CAM-YARD"))
        assert camera is not None
        camera.last_seen_at = datetime.now(UTC) - timedelta(minutes=2)
    table.locator("tr[data-condition='offline']", has_text="CAM-YARD").wait_for(timeout=20000)

    desk.get_by_role("link", name="Dashboard").click()
    desk.wait_for_url("**/dashboard")
    cameras = desk.locator("#cameras")
    cameras.locator("tr[data-state='offline']", has_text="CAM-DOOR").wait_for()
    assert cameras.locator("tr[data-state='offline']", has_text="CAM-YARD").count() == 1
    assert cameras.locator("tr[data-state='ok']").count() == 0
    assert cameras.locator("th", has_text="Condition").count() == 1

    desk.goto(f"/cases/{world.cases['a']}")
    devices = desk.locator("#c-devices")
    devices.locator("li[data-condition='offline']", has_text="CAM-DOOR").wait_for()
    assert devices.locator("li[data-condition='offline']").count() == 2
    assert "issued, never connected" in devices.locator("li", has_text="W-NEVER").inner_text()


def test_a_caseworker_books_extends_and_ends_a_stay_and_completes_relocation_steps(
    world: World, desk: Any
) -> None:
    """Issue 18, point 12: stays and relocation steps are worked on from the case page."""
    _sign_in(desk, "caseworker_a")
    desk.goto(f"/cases/{world.cases['a']}")
    book = desk.locator("#stay-new form")
    book.get_by_label("Place").fill("Halla shelter")
    book.get_by_label("Address").fill("12 Shelter-ro, Jeju")
    # the page's check-in is the region's day (Seoul), a day ahead of UTC in the evening
    check_in = date.fromisoformat(book.locator("[name=check_in]").input_value())
    book.get_by_role("button", name="Book a stay").click()
    stays = desk.locator("#c-stays")
    stays.get_by_text("14 nights, staying").wait_for()
    assert desk.locator("#stay-new form").count() == 0  # one stay at a time

    extend = stays.locator("form.extend")
    later = check_in + timedelta(days=21)
    extend.get_by_label("New planned check-out").fill(str(later))
    extend.get_by_role("button", name="Extend").click()
    stays.get_by_text("21 nights, staying").wait_for()
    desk.reload()
    stays.get_by_text("21 nights, staying").wait_for()

    # Leaving after 0 nights needs a reason: the hub's refusal is shown, then the note given.
    out = stays.locator("form.check-out")
    out.get_by_role("button", name="Check out").click()
    out.locator(".error").get_by_text("write why in the note").wait_for()
    out.get_by_label("Note").fill("moved to her sister's in Busan")
    out.get_by_role("button", name="Check out").click()
    stays.get_by_text("checked out").wait_for()
    desk.locator("#stay-new form").wait_for()  # a new stay may be booked again

    step = desk.locator("#step-new form")
    step.get_by_label("Step").fill("Find a flat in Seogwipo")
    step.get_by_role("button", name="Add step").click()
    steps = desk.locator("#c-relocation")
    row = steps.locator("li", has_text="Find a flat in Seogwipo")
    row.get_by_text("planned").wait_for()
    row.get_by_role("button", name="Complete").click()
    steps.locator("li[data-status='done']", has_text="Find a flat").wait_for()
    shoot(desk, "case-support")
    desk.reload()
    steps.locator("li[data-status='done']", has_text="Find a flat").wait_for()
    assert steps.get_by_role("button", name="Complete").count() == 0
    history = desk.locator("#c-audit")
    history.get_by_text("Extend:").wait_for()
    assert "Check out (0 nights)" in history.inner_text()


def test_the_fund_exports_a_periods_ledger_and_prints_its_report(world: World, desk: Any) -> None:
    """Issue 18, point 12: a CSV of the period and a printable report; every column headed."""
    for day, donor, amount in (
        ("2026-10-31", "October donor", 1000),
        ("2026-11-02", "제주 시민", 250000),
        ("2026-11-20", "Halla church", 500000),
    ):
        body = {"donor": donor, "amount_krw": amount, "on_date": day}
        assert world.post("caseworker_a", "/api/v1/fund/donations", body).status_code == 201
    spend = {"category": "legal", "amount_krw": 120000, "on_date": "2026-11-21"}
    spend["case_id"] = str(world.cases["a"])
    assert world.post("caseworker_a", "/api/v1/fund/expenditures", spend).status_code == 201

    _sign_in(desk, "caseworker_a")
    desk.goto("/fund")
    for table in ("#by-category", "#by-case", "#ledger"):
        heads = desk.locator(f"{table} thead th")
        assert heads.count() >= 3 and all(h.strip() for h in heads.all_inner_texts()), table
    desk.locator("#from").fill("2026-11-01")
    desk.locator("#to").fill("2026-11-30")
    desk.get_by_role("button", name="Show").click()
    desk.locator("#r-donations").get_by_text("₩750,000").wait_for()
    desk.locator("#ledger").get_by_text("October donor").wait_for(state="detached")

    with desk.expect_download() as download:
        desk.get_by_role("button", name="Export CSV").click()
    text = Path(download.value.path()).read_text("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith('"Date","Kind","Amount (KRW)"')
    assert len(lines) == 4 and "October donor" not in text
    assert '"-120000"' in text and "TT-2026-0001" in text and "제주 시민" in text
    assert download.value.suggested_filename == "fund-2026-11-01-2026-11-30.csv"

    desk.emulate_media(media="print")
    desk.locator("#report-title").get_by_text("Fund report").wait_for()
    assert "1 Nov 2026" in desk.locator("#report-title").inner_text()
    assert not desk.locator("header.bar").is_visible()
    assert not desk.locator("#donation").is_visible()
    assert desk.locator("#ledger").get_by_text("Halla church").is_visible()
    shoot(desk, "fund-report")
