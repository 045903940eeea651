"""The police side of the consoles in a busy region (issue 18, points 6 and 8): the 112
console lists police requests only, each with what it asks; a police request no 112 screen
took is said on the security console ("police not reached yet") until 112 accepts it, and
with no duty phone set the administrators are told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from safewatch.incidents.lifecycle import Recipient
from safewatch.models import Agency
from tests.browser.busy_region import Region, buttons, fill, open_incident, queue_rows
from tests.browser.conftest import shoot
from tests.live import wait_until


def test_the_112_console_lists_police_requests_and_what_each_asks(
    region: Region, console: Any
) -> None:
    busy = fill(region)
    note = {"note": "a man is trying the door"}
    region.as_("security_a", "POST", f"/incidents/{busy.intrusions[1]}/request-police", note)
    region.miss_deadline(busy.covered, Recipient.security)  # nobody answered in time
    region.miss_deadline(busy.offline, Recipient.officer)  # a fault: never the police's
    page = console("dispatcher")
    page.get_by_role("heading", name="Police requests").wait_for()
    page.locator("#queue > li").nth(3).wait_for(timeout=10000)
    homes = queue_rows(page)
    assert len(homes) == 4, homes
    text = "\n".join(homes)
    assert homes[0].startswith("Police request: Offender recognised · Park Sora")
    assert "Offender recognised at the home" in homes[0]
    assert "1 incidents" not in homes[0] and "2 incidents" not in homes[0]  # not its camera
    assert homes[1].startswith("Police request: SOS · Person A")
    assert "The protected person asks for help · " in homes[1]
    assert "33.49960, 126.53120" in homes[1] and "Not accepted yet" in homes[1]
    assert "Requested by Security A (security operator): “a man is trying the door”" in text
    assert "Sent to the police: the security company did not answer in time" in text
    assert "Camera offline" not in text
    page.reload()
    page.locator("#queue > li").nth(3).wait_for()
    assert len(queue_rows(page)) == 4

    open_incident(page, "SOS")
    ask = page.locator("#d-ask")
    assert ask.inner_text().startswith("The protected person asks for help")
    assert buttons(page) == {"Accept"}
    page.get_by_role("button", name="Accept", exact=True).click()
    page.locator("#d-police", has_text="112 has taken it").wait_for()
    assert buttons(page) == {"Dispatch police", "Close police request"}
    page.get_by_label("Note").fill("patrol 12")
    page.get_by_role("button", name="Dispatch police").click()
    page.locator("#d-police", has_text="Police on the way").wait_for()
    assert buttons(page) == {"Close police request"}
    shoot(page, "console-112")
    page.get_by_role("button", name="Close police request").click()
    page.locator("#d-police", has_text="Police finished").wait_for()
    assert buttons(page) == set()
    page.wait_for_function("() => document.querySelectorAll('#queue > li').length === 3")

    # The company closes the requested intrusion while 112 is looking at it.
    open_incident(page, "a man is trying the door")
    assert buttons(page) == {"Accept"}
    done = {"outcome": "resolved", "reason": "he left"}
    region.as_("security_a", "POST", f"/incidents/{busy.intrusions[1]}/resolve", done)
    page.get_by_text("This incident has just been closed").wait_for()
    assert buttons(page) == set()


def test_a_police_request_no_112_screen_took_is_said_until_112_accepts(
    region: Region, console: Any
) -> None:
    sos = region.sos()
    page = console("security_a")
    open_incident(page, "SOS")
    police = page.locator("#d-police")
    police.get_by_text(
        "Police not reached yet: no 112 screen took it; the duty phone was texted"
    ).wait_for(timeout=15000)
    page.locator("#d-timeline li[data-kind=police_unreached]").wait_for()
    assert "064-000-0000" in page.locator("#d-timeline").inner_text()
    region.as_("dispatcher", "POST", f"/incidents/{sos}/police/accept", {"note": ""})
    police.get_by_text("112 has taken it").wait_for()
    row = page.locator("#queue > li").first
    wait_until(lambda: "112 has taken it" in row.inner_text(), 10)


def test_with_no_duty_phone_the_administrators_screen_says_to_call_112(
    region: Region, console: Any
) -> None:
    with region.world.factory() as s, s.begin():
        s.execute(update(Agency).values(phone=None))
    desk = console("admin", home="**/cases")
    desk.wait_for_timeout(500)  # the page's stream is open
    sos = region.sos()
    reference = region.as_("admin", "GET", f"/incidents/{sos}")["summary"]["reference"]
    alert = desk.get_by_role("alert")
    alert.get_by_text("no duty phone is set").wait_for(timeout=15000)
    assert f"{reference}: a police request reached no 112 screen or system" in alert.inner_text()
    shoot(desk, "admin-police-unreached")
