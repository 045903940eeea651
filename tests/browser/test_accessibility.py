"""Every screen, in both languages, audited by axe-core (shipped in the axe-playwright-python
wheel) against WCAG 2.1 A and AA: labels, names, contrast, language, landmarks. And the
victim app's controls are large enough to hit with a shaking thumb."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest

from tests.live import LiveHub, event, jpeg
from tests.world import PASSWORD, World

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(page: Any) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate("options => axe.run(document, options)", WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["html"][:120] for n in v["nodes"][:3])
        for v in result["violations"]
    ]


def _sign_in(page: Any, user: str, lang: str) -> None:
    page.goto(f"/login?lang={lang}")
    assert _violations(page) == [], "login"
    page.locator("#username").fill(user)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    # What the person sees: the next screen, not a quiet network (its live stream never is).
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("load")


def _filled(page: Any) -> None:
    """Until the page's script has filled its links (a link is drawn empty, then named from
    the API): what the person sees, not a quiet network. One never named is the audit's
    finding."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # the audit below names the empty link
        page.wait_for_function(
            """() => ![...document.querySelectorAll('a[href]')].some(
                 (a) => a.offsetParent !== null && !a.textContent.trim()
                        && !a.getAttribute('aria-label'))""",
            timeout=5000,
        )


@pytest.fixture
def browser_page(chromium: Any, live_hub: LiveHub) -> Any:
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_staff_screens_pass_the_wcag_audit(world: World, browser_page: Any, lang: str) -> None:
    secret = world.device("camera", "CAM-A11Y")
    page = browser_page
    _sign_in(page, "caseworker_a", lang)
    camera = next(
        d["id"]
        for d in world.get("officer_a", "/api/v1/devices?kind=camera").json()["items"]
        if d["serial"] == "CAM-A11Y"
    )
    assert secret
    for path, ready in (
        ("/cases", "#cases tbody tr"),
        (f"/cases/{world.cases['a']}", "#c-audit li"),
        ("/dashboard", "#open-count"),
        ("/devices", "#devices tbody tr"),
        (f"/devices/{camera}/zones", "#new-zone"),
        (f"/cases/{world.cases['a']}/plan", "#camera-pick"),
        ("/fund", "#r-balance"),
    ):
        page.goto(path)
        page.locator(ready).first.wait_for()
        _filled(page)
        assert _violations(page) == [], path


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_officers_case_page_and_the_admins_users_pass_the_wcag_audit(
    world: World, browser_page: Any, lang: str
) -> None:
    """The officer's case page with its checklist, measures to start and a device to issue
    from stock; the administrator's users screen with its forms."""
    assert world.assess("officer_a", "a", "very_high", "threats_to_kill").status_code == 201
    world.post("officer_a", "/api/v1/devices", {"kind": "smartwatch", "serial": "W-A11Y"})
    world.stay("a", "Halla shelter", nights=12)
    page = browser_page
    _sign_in(page, "officer_a", lang)
    page.goto(f"/cases/{world.cases['a']}")
    page.locator("#m-required li[data-kind='smartwatch'] select option").first.wait_for(
        state="attached"
    )
    page.locator("#c-stays form.extend").wait_for()
    page.locator("#last-assessment[data-level]").wait_for()
    _filled(page)
    assert _violations(page) == [], "case page (officer)"
    page.context.clear_cookies()
    _sign_in(page, "admin", lang)
    page.goto("/users")
    page.locator("#users tbody tr").first.wait_for()
    _filled(page)
    assert _violations(page) == [], "/users"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_console_passes_the_wcag_audit(world: World, browser_page: Any, lang: str) -> None:
    body = {"case_id": str(world.cases["a"]), "summary": "someone at the gate"}
    assert world.post("officer_a", "/api/v1/incidents", body).status_code == 201
    # A busy queue: the offender at the door (marked), repeats under their home's row, an SOS.
    camera = world.device("camera", "CAM-A11Y")
    for track, type_ in ((1, "offender_recognized"), (2, "intrusion"), (3, "intrusion")):
        e = event(type_=type_).model_copy(update={"track": track})
        r = world.client.post(
            "/api/v1/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
            headers={"Authorization": f"Bearer {camera}"},
        )
        assert r.status_code == 201, r.text
    assert world.post("victim_a", "/api/v1/me/sos", {}).status_code == 201
    page = browser_page
    _sign_in(page, "security_a", lang)
    page.locator("#queue details summary").first.click()  # the home's other incidents
    page.locator("#queue button").first.click()
    page.locator("#incident[data-id]").wait_for()
    page.locator("#d-timeline li").first.wait_for()  # the incident's detail has arrived
    page.locator(".close-box summary").click()  # "close the incident" unfolded
    assert _violations(page) == []
    # The 112 centre's console: police requests, what each asks, its own actions.
    page.locator("button.exit").click()
    _sign_in(page, "dispatcher", lang)
    page.locator("#queue button").first.click()
    page.locator("#incident[data-id]").wait_for()
    page.locator("#d-ask").wait_for()
    assert _violations(page) == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_victim_app_passes_the_audit_with_large_touch_targets(
    world: World, chromium: Any, live_hub: LiveHub, lang: str
) -> None:
    camera = world.device("camera", "CAM-A11Y")
    for track, type_ in ((1, "offender_recognized"), (2, "intrusion")):  # the alert and the list
        e = event(type_=type_).model_copy(update={"track": track})
        r = world.client.post(
            "/api/v1/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
            headers={"Authorization": f"Bearer {camera}"},
        )
        assert r.status_code == 201, r.text
    context = chromium.new_context(
        base_url=live_hub.url, viewport={"width": 412, "height": 915}, has_touch=True
    )
    try:
        page = context.new_page()
        _sign_in(page, "victim_a", lang)
        page.wait_for_url("**/app")
        page.locator("#sos").wait_for()
        page.locator("#others button").first.wait_for()
        assert _violations(page) == []
        small = page.evaluate(
            """() => [...document.querySelectorAll('button, a, input, select')]
                 .filter((e) => e.offsetParent !== null)
                 .map((e) => [e.textContent.trim() || e.id, e.getBoundingClientRect()])
                 .filter(([, r]) => r.width < 44 || r.height < 44)
                 .map(([name, r]) => `${name}: ${Math.round(r.width)}×${Math.round(r.height)}`)"""
        )
        assert small == [], "touch targets under 44×44 px (WCAG 2.5.5)"
    finally:
        context.close()
