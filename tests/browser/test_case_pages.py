"""Officers' case pages in a real browser: the checklist suggests a level as it is filled in,
the decision changes the required measures on the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shoot
from tests.live import LiveHub, event, jpeg, send_with_media, tiny_mp4
from tests.world import PASSWORD, World


@pytest.fixture
def desk(chromium: Any, live_hub: LiveHub) -> Any:
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 1000})
    yield context.new_page()
    context.close()


def test_an_officer_changes_the_risk_level_and_sees_the_measures_change(
    world: World, desk: Any
) -> None:
    desk.goto("/login?lang=en")
    desk.get_by_label("Username").fill("officer_a")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url("**/cases")
    desk.get_by_role("link", name="TT-2026-0001").click()  # case A (B's is not listed)
    desk.wait_for_url("**/cases/*")
    assert desk.get_by_role("link", name="TT-2026-0002").count() == 0
    desk.locator("#suggested").get_by_text("Normal").wait_for()

    desk.get_by_label("Has the offender threatened to kill?").check()
    desk.locator("#suggested").get_by_text("Very high").wait_for()
    desk.get_by_role("button", name="Save assessment").click()
    desk.get_by_text("Saved.").wait_for()
    required = desk.locator("#m-required")
    required.get_by_text("AI CCTV").wait_for()
    assert "Smartwatch" in required.inner_text()
    assert "Very high" in desk.locator("#c-level").inner_text()
    shoot(desk, "case-page")

    # Lowered: what the old level needed and the new one does not is no longer listed.
    desk.get_by_label("Has the offender threatened to kill?").uncheck()
    desk.locator("#suggested").get_by_text("Normal").wait_for()
    desk.get_by_role("button", name="Save assessment").click()
    desk.locator("#c-level").get_by_text("Normal").wait_for()
    assert "AI CCTV" not in required.inner_text()
    assert "Tailored patrols" in required.inner_text()
    # Deciding against the suggestion needs a reason, which the page shows.
    desk.get_by_label("Decided level").select_option("high")
    desk.get_by_role("button", name="Save assessment").click()
    desk.locator("#assess-result.error").wait_for()
    assert "reason" in desk.locator("#assess-result").inner_text()


def test_the_dashboard_draws_response_times_and_camera_health(world: World, desk: Any) -> None:
    watch = world.device("smartwatch", "W-1")
    world.device("camera", "CAM-A1")
    r = world.client.post(
        "/api/v1/device/sos", json={}, headers={"Authorization": f"Bearer {watch}"}
    )
    incident = r.json()["id"]
    for path, body in (("claim", {}), ("dispatch", {"unit": "team 1"}), ("arrive", {})):
        assert (
            world.post("security_a", f"/api/v1/incidents/{incident}/{path}", body).status_code
            == 200
        )
    desk.goto("/login?lang=en")
    desk.get_by_label("Username").fill("officer_a")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url("**/cases")
    desk.get_by_role("link", name="Dashboard").click()
    desk.wait_for_url("**/dashboard")
    desk.locator("#open-count").get_by_text("1").wait_for()
    bars = desk.locator("#by-week svg rect.bar")
    bars.first.wait_for()
    assert bars.count() == 3  # acknowledged, dispatched, on scene for the one week
    assert desk.locator("#by-site svg text.lbl", has_text="TT-2026-0001").count() == 1
    desk.locator("#cameras tr[data-state='never seen']").get_by_text("CAM-A1").wait_for()
    shoot(desk, "dashboard")


def _sign_in(desk: Any, user: str) -> None:
    desk.goto("/login?lang=en")
    desk.get_by_label("Username").fill(user)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url("**/cases")
    desk.get_by_role("link", name="TT-2026-0001").click()
    desk.wait_for_url("**/cases/*")


@pytest.fixture
def blurred_event_id(world: World, camera_secret: str, tmp_path: Any) -> str:
    """A camera event whose snapshot and clip were blurred, with their originals."""
    e = event()
    clip = tiny_mp4(tmp_path / "c.mp4").read_bytes()
    originals = (jpeg((64, 48), "original"), tiny_mp4(tmp_path / "o.mp4", 5).read_bytes())
    send_with_media(world.client, camera_secret, e, jpeg(), clip, originals)
    return str(e.id)


def test_an_officer_opens_the_unblurred_original_saying_why(
    desk: Any, blurred_event_id: str
) -> None:
    _sign_in(desk, "officer_a")
    row = desk.locator(f"#c-events li[data-event='{blurred_event_id}']")
    row.get_by_text("faces blurred").wait_for()
    row.get_by_role("button", name="Show snapshot").click()
    desk.wait_for_function(
        "id => document.querySelector(`li[data-event='${id}'] .media img`)?.naturalWidth > 0",
        arg=blurred_event_id,
    )
    row.get_by_label("Why the unblurred original is needed").fill("identify the second man")
    row.get_by_role("button", name="Open the unblurred original (police)").click()
    row.get_by_text("Opening the original is recorded.").wait_for()
    desk.wait_for_function(
        "id => document.querySelector(`li[data-event='${id}'] img.original`)?.naturalWidth > 0",
        arg=blurred_event_id,
    )
    assert row.locator("video.original").count() == 1
    shoot(desk, "case-unblurred-original")
    desk.reload()
    desk.locator("#c-audit").get_by_text("identify the second man").first.wait_for()


def test_a_caseworker_sees_the_blurred_pictures_and_no_way_to_the_original(
    desk: Any, blurred_event_id: str
) -> None:
    _sign_in(desk, "caseworker_a")
    row = desk.locator(f"#c-events li[data-event='{blurred_event_id}']")
    row.get_by_text("faces blurred").wait_for()
    assert row.get_by_role("button", name="Show clip").count() == 1
    assert row.locator("form.original").count() == 0


def _busy_region(world: World) -> None:
    """Case A with open incidents of several kinds, as a real region has: an SOS from the
    watch, an intrusion, a camera gone offline, an officer's report."""
    watch = world.device("smartwatch", "W-A")
    camera = world.device("camera", "CAM-FRONT")
    headers = {"Authorization": f"Bearer {watch}"}
    assert world.client.post("/api/v1/device/sos", json={}, headers=headers).status_code == 201
    for e in (event(), event(type_="camera_offline").model_copy(update={"track": None})):
        r = world.client.post(
            "/api/v1/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
            headers={"Authorization": f"Bearer {camera}"},
        )
        assert r.status_code == 201, r.text
    body = {"case_id": str(world.cases["a"]), "summary": "offender seen at the bus stop"}
    assert world.post("officer_a", "/api/v1/incidents", body).status_code == 201


def test_the_saved_checklist_is_shown_again_after_a_reload(world: World, desk: Any) -> None:
    """Issue 18, point 11: the form opens on the last saved answers and their suggestion,
    never blank with 'Suggested: normal (score 0)' beside a 'Very high' case."""
    _busy_region(world)
    _sign_in(desk, "officer_a")
    desk.locator("#last-assessment").get_by_text("No assessment saved yet.").wait_for()
    desk.get_by_label("Has the offender threatened to kill?").check()
    desk.locator("#suggested").get_by_text("Very high").wait_for()
    desk.get_by_role("button", name="Save assessment").click()
    desk.get_by_text("Saved.").wait_for()

    desk.reload()
    last = desk.locator("#last-assessment")
    last.get_by_text("Last saved assessment").wait_for()
    assert "suggested Very high" in last.inner_text()
    assert "decided Very high" in last.inner_text()
    assert "Has the offender threatened to kill?" in last.inner_text()
    desk.locator("#suggested").get_by_text("Very high").wait_for()
    assert "score 0" not in desk.locator("#suggested").inner_text()
    assert desk.get_by_label("Has the offender threatened to kill?").is_checked()
    assert desk.get_by_label("Decided level").input_value() == "very_high"

    # Decided otherwise, with a reason: the reason and the decision come back too.
    desk.get_by_label("Has the offender threatened to kill?").uncheck()
    desk.locator("#suggested").get_by_text("Normal").wait_for()
    desk.get_by_label("Decided level").select_option("high")
    desk.get_by_label("Reason for deciding otherwise").fill("he followed her twice this week")
    desk.get_by_role("button", name="Save assessment").click()
    desk.locator("#c-level").get_by_text("High", exact=True).wait_for()
    desk.reload()
    desk.locator("#last-assessment").get_by_text("decided High").wait_for()
    assert "suggested Normal" in desk.locator("#last-assessment").inner_text()
    assert desk.get_by_label("Decided level").input_value() == "high"
    assert desk.get_by_label("Reason for deciding otherwise").input_value() == (
        "he followed her twice this week"
    )
    # The open incidents, worded, each with its state.
    incidents = desk.locator("#c-incidents")
    incidents.get_by_text("offender seen at the bus stop").wait_for()
    assert incidents.locator("li").count() == 4


def test_an_officer_starts_measures_and_issues_a_watch_from_stock(world: World, desk: Any) -> None:
    """Issue 18, point 11: required measures started from the case page, a device issued
    from stock; the history lists the changes in words, viewings summarised."""
    assert world.assess("officer_a", "a", "high", reason="stalking at night").status_code == 201
    for serial in ("W-STOCK-1", "W-STOCK-2"):
        r = world.post("officer_a", "/api/v1/devices", {"kind": "smartwatch", "serial": serial})
        assert r.status_code == 201, r.text
    world.post("officer_b", "/api/v1/devices", {"kind": "smartwatch", "serial": "W-OTHER"})
    _sign_in(desk, "officer_a")
    required = desk.locator("#m-required")
    patrol = required.locator("li[data-kind='patrol_plan']")
    patrol.get_by_role("button", name="Mark in place").click()
    patrol.get_by_text("Make a patrol plan first.").wait_for()  # its evidence is missing
    plan = desk.locator("#patrol-new form")
    plan.get_by_label("Where to patrol").fill("her street, Nohyeong-dong")
    plan.get_by_label("Sat").check()
    plan.get_by_role("button", name="Make a patrol plan").click()
    desk.locator("#c-patrols").get_by_text("Mon·Tue·Wed·Thu·Fri·Sat 21:00–23:00").wait_for()
    patrol.get_by_role("button", name="Mark in place").click()

    line = required.locator("li[data-kind='emergency_line_registration']")
    line.get_by_role("button", name="Mark in place").click()
    in_place = desk.locator("#m-in-place")
    in_place.get_by_text("Phone registered with 112").wait_for()
    in_place.get_by_text("Tailored patrols").wait_for()

    watch = required.locator("li[data-kind='smartwatch']")
    options = watch.get_by_label("Device to issue").locator("option").all_inner_texts()
    assert options == ["W-STOCK-1", "W-STOCK-2"]  # this station's stock only
    watch.get_by_label("Device to issue").select_option(label="W-STOCK-2")
    watch.get_by_role("button", name="Issue from stock").click()
    in_place.get_by_text("Smartwatch").wait_for()
    devices = desk.locator("#c-devices")
    devices.get_by_text("W-STOCK-2").wait_for()
    assert "issued, never connected — check it with the person" in devices.inner_text()
    shoot(desk, "case-measures")

    desk.reload()
    in_place.get_by_text("Smartwatch").wait_for()
    assert required.locator("li[data-kind='smartwatch']").count() == 0
    history = desk.locator("#c-audit")
    history.get_by_text("Smartwatch → in place").wait_for()
    assert "W-STOCK-2 Issued" in history.inner_text()
    assert "viewed" not in history.inner_text()
    views = desk.locator("#c-views")
    views.get_by_text("Viewed").wait_for()
    assert "Officer A (officer)" in views.inner_text()
    desk.get_by_label("Show viewings too").check()
    history.locator("li[data-action='read']").first.wait_for()
    # In Korean, the same history in Korean words.
    desk.goto(f"/cases/{world.cases['a']}?lang=ko")
    history.get_by_text("스마트워치 지급 → 이행 중").wait_for()
    assert "W-STOCK-2 지급되었습니다" in history.inner_text()
    assert "measure" not in history.inner_text() and "in_place" not in history.inner_text()
    assert desk.locator("#c-views").inner_text().startswith("열람")
    devices_ko = desk.locator("#c-devices").inner_text()
    assert "지급했으나 연결된 적 없음 — 당사자와 함께 확인하세요" in devices_ko
