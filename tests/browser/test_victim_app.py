"""The protected person's app in a real browser: an alert arrives while the page is open,
the clip plays in place, "I'm safe" is recorded; a held SOS reaches the security company."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import shoot
from tests.live import LiveHub, event, jpeg, tiny_mp4
from tests.world import PASSWORD, World

V1 = "/api/v1"


@pytest.fixture
def page(phone: Any) -> Any:
    return phone


def _sign_in(page: Any, user: str) -> None:
    page.goto("/login?lang=en")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/app")


def test_an_alert_arrives_on_the_open_app_and_its_clip_plays(
    world: World, live_hub: LiveHub, page: Any, tmp_path: Path
) -> None:
    camera = world.device("camera", "CAM-A1")
    _sign_in(page, "victim_a")
    page.get_by_text("No alerts right now.").wait_for()
    auth = {"Authorization": f"Bearer {camera}"}
    e = event(type_="intrusion")
    with httpx.Client(base_url=live_hub.url) as http:
        r = http.post(
            f"{V1}/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", jpeg(size=(320, 240)), "image/jpeg")},
            headers=auth,
        )
        assert r.status_code == 201, r.text
        alert = page.locator("#alert")
        alert.wait_for(state="visible", timeout=5000)
        assert "Someone entered the boundary" in alert.inner_text()
        assert "The video is on its way" in alert.inner_text()
        page.wait_for_function(
            "() => document.getElementById('alert-snapshot').naturalWidth === 320"
        )

        clip = tiny_mp4(tmp_path / "clip.mp4").read_bytes()
        r = http.put(
            f"{V1}/device/events/{e.id}/clip",
            content=clip,
            headers={**auth, "Content-Type": "video/mp4"},
        )
        assert r.status_code == 200, r.text
    # The clip plays in place (a browser-playable MP4 by its signed link).
    page.wait_for_function(
        # A function, not a string to evaluate: the page's policy forbids eval.
        "() => { const v = document.getElementById('alert-clip');"
        " return !v.hidden && v.readyState >= 2; }",
        timeout=10_000,
    )
    shoot(page, "victim-app-alert")
    page.get_by_role("button", name="I've seen it / I'm safe").click()
    page.locator("#acked").get_by_text("You answered at").wait_for()
    incidents = world.get("admin", f"{V1}/incidents").json()["items"]
    detail = world.get("admin", f"{V1}/incidents/{incidents[0]['id']}").json()
    victim = next(r for r in detail["recipients"] if r["recipient"] == "victim")
    assert victim["acknowledged_at"] is not None
    kinds = [x["kind"] for x in detail["timeline"]]
    assert "seen" in kinds and "acknowledged" in kinds


def test_a_held_sos_reaches_the_security_company_with_the_location(
    world: World, live_hub: LiveHub, page: Any
) -> None:
    _sign_in(page, "victim_a")
    sos = page.get_by_role("button", name="Hold for SOS")
    box = sos.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(400)
    page.mouse.up()  # a short press sends nothing
    assert world.get("security_a", f"{V1}/incidents").json()["items"] == []
    page.mouse.down()
    page.wait_for_timeout(1700)
    page.mouse.up()
    page.get_by_text("SOS sent. Help is on its way.").wait_for(timeout=5000)
    [incident] = world.get("security_a", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "sos" and incident["police_status"] == "requested"
    detail = world.get("security_a", f"{V1}/incidents/{incident['id']}").json()
    assert detail["packet"]["location"]["latitude"] == pytest.approx(33.4996)


def test_the_app_is_korean_by_default_switches_language_and_refuses_other_roles(
    world: World, live_hub: LiveHub, page: Any
) -> None:
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "ko"
    shoot(page, "login")
    page.get_by_label("아이디").fill("victim_a")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url("**/app")
    page.get_by_text("현재 알림이 없습니다.").wait_for()
    assert page.get_by_role("button", name="길게 눌러 긴급 신고 (SOS)").is_visible()
    shoot(page, "victim-app-ko")
    page.get_by_role("link", name="English").click()
    page.get_by_text("No alerts right now.").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/app")  # the choice is remembered
    page.get_by_text("No alerts right now.").wait_for()
    page.get_by_role("link", name="한국어").click()
    page.get_by_text("현재 알림이 없습니다.").wait_for()
    page.get_by_role("button", name="로그아웃").click()
    page.wait_for_url("**/login")
    page.get_by_label("아이디").fill("security_a")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.goto("/app")
    assert page.url.endswith("/login")  # the app is the protected person's only
    page.get_by_label("아이디").fill("victim_a")
    page.get_by_label("비밀번호").fill("wrong-password")
    page.get_by_role("button", name="로그인").click()
    assert "아이디 또는 비밀번호가 맞지 않습니다." in page.content()


def test_the_app_shows_the_persons_patrol_times_stay_and_devices(
    world: World, live_hub: LiveHub, page: Any
) -> None:

    watch = world.device("smartwatch", "W-MINE")
    case = world.cases["a"]
    plan = {
        "place": "A street 1, Jeju",
        "windows": [{"weekdays": [0, 1], "start": "21:00", "end": "23:00"}],
    }
    assert world.post("officer_a", f"/api/v1/cases/{case}/patrol-plans", plan).status_code == 201
    world.stay("a", "Shelter Halla", nights=10)

    _sign_in(page, "victim_a")
    page.locator("#patrol-times").get_by_text("Mon·Tue 21:00–23:00").wait_for()
    assert "Shelter Halla" in page.locator("#my-stay").inner_text()
    # Issued but never connected: she is told not to rely on it, not to wear it and trust it.
    devices = page.locator("#my-devices")
    assert "Smartwatch W-MINE — never connected yet — do not rely on it" in devices.inner_text()
    assert (
        page.locator("#guidance li")
        .first.inner_text()
        .startswith("Your smartwatch is not connected.")
    )
    r = world.client.post(
        "/api/v1/device/heartbeat",
        json={"battery_percent": 80},
        headers={"Authorization": f"Bearer {watch}"},
    )
    assert r.status_code == 200, r.text
    page.reload()
    devices.get_by_text("Smartwatch W-MINE — working").wait_for()
    assert "not connected" not in page.locator("#guidance").inner_text()
    assert page.locator("#station-phone").get_attribute("href") == "tel:064-000-0000"


def test_the_duress_pin_opens_the_app_as_usual_and_sends_a_silent_sos(
    world: World, live_hub: LiveHub, page: Any
) -> None:
    _sign_in(page, "victim_a")
    page.get_by_text("App lock").click()
    page.get_by_label("PIN (4–8 digits)").fill("2580")
    page.get_by_label("Emergency PIN (optional)").fill("1379")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    page.reload()
    page.get_by_role("heading", name="Locked").wait_for()
    assert not page.get_by_role("button", name="Hold for SOS").is_visible()  # all hidden
    page.get_by_label("PIN", exact=True).fill("1379")  # the duress PIN
    page.get_by_role("button", name="Unlock").click()
    page.get_by_role("button", name="Hold for SOS").wait_for()
    assert page.locator("#lock").is_hidden()
    assert page.locator("#sos-status").inner_text() == ""  # nothing says an SOS went
    assert page.locator("#alert").is_hidden()
    [incident] = world.get("security_a", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "sos"
    page.wait_for_timeout(1500)  # nothing arrives on her screen afterwards either
    assert page.locator("#alert").is_hidden()
    shoot(page, "victim-app-unlocked")
