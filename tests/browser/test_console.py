"""The security console and the 112 console in a real browser, beside the victim's app."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shoot
from tests.browser.test_victim_app import _sign_in
from tests.live import LiveHub
from tests.world import PASSWORD, World

V1 = "/api/v1"


@pytest.fixture
def consoles(chromium: Any, live_hub: LiveHub) -> Any:
    """Opens signed-in consoles; closes them (and their live streams) after the test."""
    contexts: list[Any] = []

    def open_console(user: str) -> Any:
        context = chromium.new_context(
            base_url=live_hub.url, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        return _console(context.new_page(), user)

    yield open_console
    for context in contexts:
        context.close()


def _console(page: Any, user: str) -> Any:
    page.goto("/login?lang=en")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")
    return page


def test_sos_appears_on_the_console_without_reload_and_the_dispatch_reaches_the_victim(
    world: World, consoles: Any, phone: Any
) -> None:
    console = consoles("security_a")
    console.get_by_text("No open incidents.").wait_for()
    _sign_in(phone, "victim_a")
    phone.locator("#sos").focus()
    phone.keyboard.press("Enter")  # the keyboard path of the SOS button
    phone.get_by_text("SOS sent. Help is on its way.").wait_for(timeout=5000)

    row = console.locator("#queue button").first
    row.wait_for(timeout=5000)  # arrived over the stream: the page was not reloaded
    assert "SOS" in row.inner_text()
    row.click()
    console.get_by_text("Person A · 010-1111-0001 · A street 1, Jeju").wait_for()
    assert "33.49960, 126.53120" in console.locator("#d-location").inner_text()
    console.get_by_role("button", name="Claim").click()
    console.get_by_label("Guard unit").fill("Halla guard team 2")
    console.get_by_role("button", name="Dispatch guards").click()
    console.locator("#d-timeline li[data-kind=guards_dispatched]").wait_for()
    assert "guards dispatched" in console.locator("#d-timeline").inner_text()
    accept = console.get_by_role("button", name="Accept", exact=True)
    assert not accept.is_visible()  # 112's, not theirs
    shoot(console, "security-console")

    # The victim's app shows the dispatch, pushed over the stream.
    phone.locator("#steps").get_by_text("Guards dispatched: Halla guard team 2").wait_for(
        timeout=5000
    )
    assert "Police requested" in phone.locator("#steps").inner_text()

    # The 112 console sees the police request and takes it.
    dispatch = consoles("dispatcher")
    dispatch.locator("#queue button").first.click()
    dispatch.get_by_role("button", name="Accept", exact=True).click()
    dispatch.locator("#d-timeline li[data-kind=police_accepted]").wait_for()
    assert not dispatch.get_by_role("button", name="Dispatch guards").is_visible()
    phone.locator("#steps").get_by_text("112 has taken it").wait_for(timeout=5000)
    shoot(dispatch, "112-console")
    shoot(phone, "victim-app-dispatched")


def test_a_security_operator_cannot_open_another_companys_incident(
    world: World, consoles: Any
) -> None:
    watch = world.device("smartwatch", "W-B", side="b")
    r = world.client.post(f"{V1}/device/sos", json={}, headers={"Authorization": f"Bearer {watch}"})
    assert r.status_code == 201, r.text
    other = r.json()["id"]
    console = consoles("security_a")
    console.get_by_text("No open incidents.").wait_for()  # B's SOS is not in A's queue
    status = console.evaluate(
        "async (id) => (await fetch(`/api/v1/incidents/${id}`)).status", other
    )
    assert status == 403
    # A change with only the cookie (as a forged cross-site form would send) is refused.
    forged = console.evaluate(
        "async (id) => (await fetch(`/api/v1/incidents/${id}/claim`, {method: 'POST'})).status",
        other,
    )
    assert forged == 403


def test_a_guard_watches_the_home_camera_live_from_the_incident(
    world: World, consoles: Any
) -> None:
    import cv2
    import numpy as np

    secret = world.device("camera", "CAM-LIVE")
    frame = np.full((180, 320, 3), 60, np.uint8)
    cv2.putText(frame, "front gate", (20, 100), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
    view = bytes(cv2.imencode(".jpg", frame)[1])
    camera = {"Authorization": f"Bearer {secret}"}
    body = {"case_id": str(world.cases["a"]), "summary": "someone at the gate"}
    assert world.post("officer_a", f"{V1}/incidents", body).status_code == 201
    assert world.client.put(f"{V1}/device/view", content=view, headers=camera).status_code == 200

    console = consoles("security_a")
    console.locator("#queue button").first.click()
    console.locator("#incident").wait_for()
    live = console.get_by_role("button", name="Watch the camera live")
    live.click()
    console.wait_for_function("() => document.getElementById('d-live').naturalWidth === 320")
    # The camera is told someone watches, so it sends every second.
    again = world.client.put(f"{V1}/device/view", content=view, headers=camera)
    assert again.json() == {"live": True}
    shoot(console, "security-console-live")
    console.get_by_role("button", name="Stop watching").click()
    assert console.locator("#d-live").is_hidden()


def test_the_console_shows_a_degraded_camera_and_what_it_could_not_deliver(
    world: World, consoles: Any
) -> None:
    secret = world.device("camera", "CAM-DOOR")
    undelivered = [
        {
            "event_id": "6f1c2a8e-0000-4000-8000-00000000000" + str(i),
            "kind": "event",
            "reason": "422: the snapshot is larger than the hub takes",
            "since": "2026-12-01T10:00:00Z",
        }
        for i in range(3)
    ]
    beat = {
        "state": "degraded",
        "health_note": "degraded: detector failed, restarting it (rtsp://admin:pw@10.0.0.7/s)",
        "undelivered": undelivered,
        "undelivered_count": 3,
    }
    r = world.client.post(
        f"{V1}/device/heartbeat", json=beat, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 200, r.text
    body = {"case_id": str(world.cases["a"]), "summary": "someone at the gate"}
    assert world.post("officer_a", f"{V1}/incidents", body).status_code == 201

    console = consoles("security_a")
    console.locator("#queue button").first.click()
    shown = console.locator("#d-cameras li[data-condition=degraded]")
    shown.wait_for()
    text = shown.inner_text()
    assert text.startswith("CAM-DOOR · degraded: degraded: detector failed")
    assert "CAM-DOOR: 3 events could not be delivered: 422: the snapshot is larger" in text
    assert "admin:pw" not in text and "10.0.0.7" not in text
