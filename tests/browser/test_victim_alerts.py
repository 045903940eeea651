"""The protected person's app in a real region: many alerts open at once, of several kinds,
some hours old. She sees every one, the most serious in full; each shows its own pictures;
an alert closed under her eyes gives way to the next, not to "no alerts"; "I'm safe" answers
them all and says only what has happened; quick exit leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.busy_region import Region
from tests.browser.conftest import shoot
from tests.browser.test_victim_app import _sign_in
from tests.live import LiveHub, wait_until
from tests.world import World

V1 = "/api/v1"


class Home:
    """Case A's home in the busy region's terms (tests/browser/busy_region.py)."""

    def __init__(self, region: Region, case_id: str) -> None:
        self.region, self.case_id = region, case_id

    def alert(
        self, type_: str, track: int, zone: str = "마당", picture: tuple[int, int] | None = None
    ) -> str:
        return self.region.alert(self.case_id, type_, track, picture=picture, zone=zone)

    def clip(self, path: Path) -> None:
        self.region.clip(self.case_id, path)

    def as_(self, user: str, method: str, path: str, body: Any = None) -> Any:
        return self.region.as_(user, method, path, body)

    def backdate(self, incident_id: str, hours: float) -> None:
        self.region.backdate(incident_id, hours)


@pytest.fixture
def home(world: World, region: Region) -> Home:
    case_id = str(world.cases["a"])
    region.cameras[case_id] = world.device("camera", "CAM-A1")
    return Home(region, case_id)


@pytest.fixture
def page(phone: Any) -> Any:
    return phone


def _shown(page: Any) -> str:
    """The incident shown in full."""
    return str(page.locator("#alert").get_attribute("data-incident"))


def _wait_shown(page: Any, incident_id: str) -> None:
    page.wait_for_function(
        "(id) => document.getElementById('alert').dataset.incident === id", arg=incident_id
    )


def test_every_open_alert_is_there_the_most_serious_in_full_after_a_reload(
    home: Home, page: Any
) -> None:
    lawn = home.alert("intrusion", track=1, zone="잔디밭", picture=(320, 240))
    home.backdate(lawn, hours=5)  # the morning's intrusion, never closed
    older_offender = home.alert("offender_recognized", track=2, picture=(200, 150))
    home.backdate(older_offender, hours=1)
    loiter = home.alert("loitering", track=3)
    newer_offender = home.alert("offender_recognized", track=4, picture=(240, 180))
    stranger = home.alert("stranger", track=5)
    home.alert("camera_tampered", track=6)  # the security company's, not hers

    _sign_in(page, "victim_a")
    page.reload()  # what the issue saw: after a reload, the oldest open one
    _wait_shown(page, newer_offender)
    assert page.locator("#alert-type").inner_text() == "Offender recognised"
    assert page.locator("#open-count").inner_text() == "5 open alerts"
    rows = page.locator("#others button")
    assert [rows.nth(k).get_attribute("data-incident") for k in range(rows.count())] == [
        older_offender,
        lawn,  # the policy's severity order: an intrusion before a stranger at the door
        stranger,
        loiter,
    ]
    assert "Offender recognised" in rows.nth(0).inner_text()
    shoot(page, "victim-app-open-alerts")

    # The person opens the morning's intrusion from the list: its own picture, nothing else.
    rows.nth(1).click()
    _wait_shown(page, lawn)
    page.wait_for_function("() => document.getElementById('alert-snapshot').naturalWidth === 320")

    # The offender alert on screen is closed by the guards under her eyes: the other offender
    # alert takes its place; "no alerts" is never said while alerts are open.
    page.locator("#others button").first.click()
    _wait_shown(page, newer_offender)
    home.as_("security_a", "POST", f"/incidents/{newer_offender}/resolve", {"outcome": "resolved"})
    _wait_shown(page, older_offender)
    assert page.locator("#quiet").is_hidden()
    assert "is closed" in page.locator("#closed-note").inner_text()
    assert page.locator("#open-count").inner_text() == "4 open alerts"
    page.wait_for_function("() => document.getElementById('alert-snapshot').naturalWidth === 200")

    # "I'm safe" answers every open alert she has in front of her.
    page.get_by_role("button", name="I've seen these 4 alerts / I'm safe").click()
    page.locator("#acked").get_by_text("You answered at").wait_for()
    for incident in (older_offender, stranger, loiter, lawn):
        detail = home.as_("officer_a", "GET", f"/incidents/{incident}")
        victim = next(r for r in detail["recipients"] if r["recipient"] == "victim")
        assert victim["acknowledged_at"] is not None, incident
    page.reload()  # still answered after a reload, and still every alert
    _wait_shown(page, older_offender)
    page.locator("#acked").get_by_text("You answered at").wait_for()
    assert page.locator("#ack").is_hidden()
    assert page.locator("#others button").count() == 3

    for incident in (older_offender, stranger, loiter, lawn):
        home.as_("security_a", "POST", f"/incidents/{incident}/resolve", {"outcome": "resolved"})
    page.get_by_text("No alerts right now.").wait_for()
    assert page.locator("#alert").is_hidden()


def test_each_alert_shows_its_own_pictures_and_never_another_ones(
    home: Home, page: Any, tmp_path: Path
) -> None:
    _sign_in(page, "victim_a")
    intrusion = home.alert("intrusion", track=1, picture=(320, 240))
    home.clip(tmp_path / "clip.mp4")
    _wait_shown(page, intrusion)
    page.wait_for_function(
        "() => { const v = document.getElementById('alert-clip');"
        " return !v.hidden && v.readyState >= 2; }",
        timeout=10_000,
    )

    # Her own SOS: no camera picture, no clip — not the intrusion's.
    sos = page.get_by_role("button", name="Hold for SOS")
    sos.scroll_into_view_if_needed()
    box = sos.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(1700)
    page.mouse.up()
    page.wait_for_function(
        "() => document.getElementById('alert-type').textContent === 'SOS'", timeout=5000
    )
    assert page.locator("#alert-snapshot").is_hidden()
    assert page.locator("#alert-clip").is_hidden()
    assert page.locator("#alert-clip").get_attribute("src") is None
    assert page.locator("#alert-clip-coming").is_hidden()

    # A new intrusion whose clip is still being cut: its own picture, "on its way", no old clip.
    second = home.alert("intrusion", track=7, picture=(160, 120))
    page.locator(f"#others button[data-incident='{second}']").click()
    _wait_shown(page, second)
    page.wait_for_function("() => document.getElementById('alert-snapshot').naturalWidth === 160")
    assert page.locator("#alert-clip-coming").is_visible()
    assert page.locator("#alert-clip").is_hidden()

    # Back to the first: its own clip again.
    page.locator(f"#others button[data-incident='{intrusion}']").click()
    _wait_shown(page, intrusion)
    page.wait_for_function(
        "() => { const v = document.getElementById('alert-clip');"
        " return !v.hidden && v.readyState >= 2; }",
        timeout=10_000,
    )
    assert page.locator("#alert-clip-coming").is_hidden()


def test_the_steps_say_only_what_has_happened(home: Home, page: Any) -> None:
    _sign_in(page, "victim_a")
    incident = home.alert("offender_recognized", track=1, picture=(320, 240))
    _wait_shown(page, incident)
    steps = page.locator("#steps")
    page.get_by_role("button", name="I've seen it / I'm safe").click()
    page.locator("#acked").get_by_text("You answered at").wait_for()
    assert "informed" not in page.locator("#alert").inner_text()
    assert steps.locator("li").all_inner_texts()[:2] == [
        "The alert went out",
        "Police requested — 112 has not taken it yet",
    ]
    assert "security operator" not in steps.inner_text()

    home.as_("security_a", "POST", f"/incidents/{incident}/claim")
    steps.get_by_text("A security operator has taken it on").wait_for()
    home.as_("security_a", "POST", f"/incidents/{incident}/dispatch", {"unit": "G-7"})
    steps.get_by_text("Guards dispatched: G-7").wait_for()
    assert "on scene" not in steps.inner_text()
    home.as_("dispatcher", "POST", f"/incidents/{incident}/police/accept", {"note": ""})
    steps.get_by_text("112 has taken it").wait_for()
    assert "has not taken it" not in steps.inner_text()
    home.as_("security_a", "POST", f"/incidents/{incident}/arrive")
    steps.get_by_text("Guards on scene").wait_for()


def test_quick_exit_signs_out_and_a_return_finds_nothing(
    home: Home, page: Any, live_hub: LiveHub
) -> None:
    _sign_in(page, "victim_a")
    incident = home.alert("offender_recognized", track=1, picture=(320, 240))
    _wait_shown(page, incident)
    [cookie] = [c for c in page.context.cookies() if c["httpOnly"]]

    def my_case() -> int:
        r = httpx.get(
            f"{live_hub.url}{V1}/me/case",
            cookies={cookie["name"]: cookie["value"]},
            headers={"X-Safewatch-App": "1"},
            timeout=5,
        )
        return r.status_code

    assert my_case() == 200
    page.get_by_role("button", name="Quick exit").click()
    # The session itself is ended at the hub, not only forgotten by this browser.
    wait_until(lambda: my_case() == 401, seconds=10)

    page.goto(f"{live_hub.url}/app")  # someone who takes the phone opens the site again
    assert page.url.endswith("/login")
    assert "Offender" not in page.content()


def test_a_police_request_nobody_at_112_took_is_said_so(home: Home, page: Any) -> None:
    """No 112 screen is open and no 112 system is set: the request is texted to the station's
    duty phone, and she is told the police have not taken it — not that they are informed."""
    _sign_in(page, "victim_a")
    incident = home.alert("offender_recognized", track=1, picture=(320, 240))
    _wait_shown(page, incident)
    steps = page.locator("#steps")
    steps.get_by_text("Police requested — 112 has not taken it yet").wait_for()
    steps.get_by_text("the police duty phone was texted — not taken yet").wait_for(timeout=30_000)
    home.as_("dispatcher", "POST", f"/incidents/{incident}/police/accept", {"note": ""})
    steps.get_by_text("112 has taken it").wait_for()
    assert "not taken" not in steps.inner_text()


def test_the_answer_stays_when_its_own_update_arrives_first(home: Home, page: Any) -> None:
    """On a fast bus the update that "I'm safe" causes reaches the phone before the answer to
    the request itself: the screen must still know she answered (it lost it and kept asking)."""
    _sign_in(page, "victim_a")
    incident = home.alert("intrusion", track=1, picture=(320, 240))
    _wait_shown(page, incident)

    def answer_late(route: Any) -> None:
        response = route.fetch()  # the hub records it and tells the screens at once...
        page.wait_for_timeout(1500)  # ...and the answer itself comes later
        route.fulfill(response=response)

    page.route("**/acknowledge", answer_late)
    page.get_by_role("button", name="I've seen it / I'm safe").click()
    page.locator("#acked").get_by_text("You answered at").wait_for(timeout=10_000)
    assert page.locator("#ack").is_hidden()
