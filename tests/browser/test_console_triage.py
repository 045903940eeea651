"""The security console in a busy region (issue 18, points 7 and 9): the operator triages the
queue (the most severe first, one row per home, who / where / state / police / age), the
incident page shows its state and only what it allows, and another operator's claim and close
happen under the operator's eyes."""

from __future__ import annotations

from typing import Any

from tests.browser.busy_region import Region, buttons, fill, open_incident, queue_rows
from tests.browser.conftest import shoot


def test_the_operator_triages_a_busy_queue(region: Region, console: Any) -> None:
    busy = fill(region)
    page = console("security_a")
    # One row per home, the most severe first: the offender at the door, then the SOS.
    page.locator("#queue > li").nth(3).wait_for()
    homes = queue_rows(page)
    assert len(homes) == 4, homes  # company B's home is not in company A's queue
    assert homes[0].startswith("Offender recognised · Park Sora · 서귀포시 중앙로 · JJ-")
    assert "2 incidents" in homes[0] and "78" not in homes[0]  # the area, not the address
    assert homes[1].startswith("SOS · Person A · A street · TT-")
    assert homes[2].startswith("Someone entered the boundary · Kim Minji · 제주시 연동")
    assert "6 incidents" in homes[2]  # six open; the seventh was closed
    assert homes[3].startswith("Camera covered or moved · Lee Hana · 제주시 일도이동")
    assert page.locator("#queue > li").nth(0).evaluate("e => e.classList.contains('critical')")
    assert page.locator("#queue > li").nth(1).evaluate("e => e.classList.contains('critical')")
    assert not page.locator("#queue > li").nth(2).evaluate("e => e.classList.contains('critical')")
    assert "New · nobody has taken it" in homes[2]
    # The SOS's police request: no 112 screen is open, so it is said, not hidden.
    sos_row = page.locator("#queue > li").nth(1)
    sos_row.get_by_text("Police not reached yet").wait_for(timeout=15000)
    # The repeats are under their home's row, the oldest two hours old.
    kim = page.locator("#queue > li").nth(2)
    kim.get_by_text("5 more at this home").click()  # opens the home's other incidents
    assert kim.locator("button.sub").count() == 5
    assert "2 hr ago" in " ".join(kim.locator("button.sub").all_inner_texts())
    shoot(page, "console-queue")

    page.reload()
    page.locator("#queue > li").nth(3).wait_for()
    assert [h.split(" · ")[:3] for h in queue_rows(page)] == [h.split(" · ")[:3] for h in homes]

    # Another operator of the company claims Kim Minji's newest intrusion, and closes Lee
    # Hana's covered camera: the queue says so without a reload.
    top = busy.intrusions[-1]
    region.as_("security_a2", "POST", f"/incidents/{top}/claim")
    # The claimed one goes under the home's row: what nobody has taken comes first.
    kim = page.locator("#queue > li").nth(2)
    kim.locator("button.sub", has_text="Claimed by Guard Desk Two").wait_for(state="attached")
    assert "New · nobody has taken it" in kim.locator("button").first.inner_text()
    body = {"outcome": "false_alarm", "reason": "tape removed by the owner"}
    region.as_("security_a2", "POST", f"/incidents/{busy.covered}/resolve", body)
    page.wait_for_function("() => document.querySelectorAll('#queue > li').length === 3")
    assert "Lee Hana" not in page.locator("#queue").inner_text()


def test_the_incident_page_shows_its_state_and_only_what_it_allows(
    region: Region, console: Any
) -> None:
    busy = fill(region)
    page = console("security_a")
    page.locator("#queue > li").nth(3).wait_for()
    open_incident(page, "SOS")
    assert page.locator("#d-state").inner_text() == "New · nobody has taken it"
    assert buttons(page) == {"Claim", "Dispatch guards"}  # the SOS asked the police itself
    assert page.get_by_text("Close this incident…").is_visible()
    assert not page.get_by_role("button", name="Close incident").is_visible()
    page.get_by_role("button", name="Claim").click()
    page.locator("#d-state", has_text="Claimed by you").wait_for()
    assert buttons(page) == {"Dispatch guards"}
    page.get_by_label("Guard unit").fill("Halla guard team 2")
    page.get_by_role("button", name="Dispatch guards").click()
    page.locator("#d-state", has_text="Guards dispatched · Halla guard team 2").wait_for()
    assert buttons(page) == {"Arrived"}
    shoot(page, "console-incident")

    # An intrusion: "request police" is there, "close incident" is apart and folded away.
    page.locator("#queue > li").nth(2).get_by_text("5 more at this home").click()
    open_incident(page, "Someone entered the boundary")
    assert buttons(page) == {"Claim", "Dispatch guards", "Request police"}
    request = page.get_by_role("button", name="Request police")
    assert request.evaluate("b => b.closest('.close-box') === null")
    page.get_by_text("Close this incident…").click()
    close = page.get_by_role("button", name="Close incident")
    assert close.is_visible() and close.evaluate("b => b.closest('.close-box') !== null")

    # Someone else claims it, then closes it, while it is on the operator's screen.
    shown = page.locator("#d-ref").inner_text()
    incident = next(
        i
        for i in region.as_("security_a", "GET", "/incidents?size=200")["items"]
        if i["reference"] == shown
    )["id"]
    region.as_("security_a2", "POST", f"/incidents/{incident}/claim")
    page.get_by_text("Guard Desk Two has claimed this incident.").wait_for()
    assert page.locator("#d-state").inner_text() == "Claimed by Guard Desk Two"
    assert "Claim" not in buttons(page)
    body = {"outcome": "resolved", "reason": "neighbour's delivery"}
    region.as_("security_a2", "POST", f"/incidents/{incident}/resolve", body)
    page.get_by_text("This incident has just been closed (Guard Desk Two").wait_for()
    assert page.locator("#d-state").inner_text() == "Closed · Resolved"
    assert buttons(page) == set()
    assert not page.get_by_text("Close this incident…").is_visible()
    assert not page.get_by_role("button", name="Watch the camera live").is_visible()
    page.wait_for_function(
        "ref => !document.getElementById('queue').innerText.includes(ref)", arg=shown
    )

    # After a reload the SOS is where the operator left it.
    page.reload()
    open_incident(page, "SOS")
    assert page.locator("#d-state").inner_text() == "Guards dispatched · Halla guard team 2"
    assert busy.sos
