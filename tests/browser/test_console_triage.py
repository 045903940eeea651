"""The consoles in a busy region (issue 18, points 6–9): several homes with open incidents of
several kinds, six intrusions at one home, an SOS, the offender at the door, a camera offline
and a covered camera, another company's home. The operator triages the queue, the 112
dispatcher sees police requests only, the incident page shows its state and only what it
allows, a police request nobody took is said, and changes by others happen under their eyes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from safewatch.alerts.lifecycle import Recipient
from safewatch.models import Incident, IncidentRecipient
from tests.browser.conftest import shoot
from tests.live import LiveHub, event, jpeg, wait_until
from tests.world import PASSWORD, World

V1 = "/api/v1"


@dataclass
class Region:
    """Company A's homes, talking to the running hub as cameras, phones and staff would."""

    world: World
    http: httpx.Client
    cameras: dict[str, str] = field(default_factory=dict)  # case id → camera credential

    def as_(self, user: str, method: str, path: str, body: Any = None) -> Any:
        headers = self.world.h(user) if user in self.world.tokens else self.login(user)
        r = self.http.request(method, f"{V1}{path}", json=body, headers=headers)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def login(self, user: str) -> dict[str, str]:
        r = self.http.post(f"{V1}/auth/login", json={"username": user, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.world.tokens[user] = r.json()["access_token"]
        return self.world.h(user)

    def home(self, name: str, address: str) -> str:
        """A case of company A, with a camera installed; returns the case's id."""
        w = self.world
        order = {
            "kind": "restraining order",
            "issued_by": "Jeju District Court",
            "starts_on": str(date.today() - timedelta(days=1)),
            "ends_on": str(date.today() + timedelta(days=90)),
        }
        body = {
            "protected_person": {
                "full_name": name,
                "phone": "010-2222-0000",
                "address": address,
                "latitude": 33.49,
                "longitude": 126.5,
            },
            "support_centre_id": str(w.agencies["centre_a"]),
            "security_company_id": str(w.agencies["company_a"]),
            "offender": {"full_name": f"Offender of {name}", "order": order},
        }
        case_id: str = self.as_("officer_a", "POST", "/cases", body)["id"]
        serial = f"CAM-{case_id[:6]}"
        device = self.as_("officer_a", "POST", "/devices", {"kind": "camera", "serial": serial})
        self.as_("officer_a", "POST", f"/devices/{device['id']}/assign", {"case_id": case_id})
        secret = self.as_("officer_a", "POST", f"/devices/{device['id']}/credential")["secret"]
        self.cameras[case_id] = secret
        return case_id

    def alert(self, case_id: str, type_: str, track: int, **extra: Any) -> str:
        """A camera event at the home; returns its incident's id."""
        e = event(type_=type_).model_copy(update={"track": track, "zone": "마당", **extra})
        r = self.http.post(
            f"{V1}/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", jpeg(seed=str(track)), "image/jpeg")},
            headers={"Authorization": f"Bearer {self.cameras[case_id]}"},
        )
        assert r.status_code == 201, r.text
        items = self.as_("admin", "GET", f"/incidents?size=200&case_id={case_id}")["items"]
        return str(max(items, key=lambda i: i["created_at"])["id"])

    def sos(self) -> str:
        body = {"latitude": 33.4996, "longitude": 126.5312}
        return str(self.as_("victim_a", "POST", "/me/sos", body)["incident"]["id"])

    def backdate(self, incident_id: str, hours: float) -> None:
        at = datetime.now(UTC) - timedelta(hours=hours)
        with self.world.factory() as s, s.begin():
            s.execute(
                update(Incident)
                .where(Incident.id == uuid.UUID(incident_id))
                .values(created_at=at, last_signal_at=at)
            )

    def miss_deadline(self, incident_id: str, recipient: Recipient) -> None:
        """As if the group had let its deadline pass unanswered a moment ago."""
        with self.world.factory() as s, s.begin():
            s.execute(
                update(IncidentRecipient)
                .where(
                    IncidentRecipient.incident_id == uuid.UUID(incident_id),
                    IncidentRecipient.recipient == recipient,
                )
                .values(deadline_at=datetime.now(UTC) - timedelta(seconds=1))
            )


@dataclass
class Busy:
    """The region's incidents by what they are."""

    sos: str
    offender: str
    offline: str
    covered: str
    intrusions: list[str]
    closed: str


@pytest.fixture
def region(world: World, live_hub: LiveHub) -> Iterator[Region]:
    with httpx.Client(base_url=live_hub.url) as http:
        r = Region(world, http)
        second = {
            "username": "security_a2",
            "full_name": "Guard Desk Two",
            "password": PASSWORD,
            "role": "security_operator",
            "agency_id": str(world.agencies["company_a"]),
        }
        r.as_("admin", "POST", "/users", second)
        yield r


def _busy(region: Region) -> Busy:
    kim = region.home("Kim Minji", "제주시 연동 123-4")
    park = region.home("Park Sora", "서귀포시 중앙로 78")
    lee = region.home("Lee Hana", "제주시 일도이동 45-6")
    intrusions = [region.alert(kim, "intrusion", track) for track in range(1, 8)]
    closed = intrusions.pop()
    region.as_("security_a2", "POST", f"/incidents/{closed}/resolve", {"outcome": "resolved"})
    region.backdate(intrusions[0], 2)
    offender = region.alert(park, "offender_recognized", 20, identity=f"Offender of {park}")
    offline = region.alert(park, "camera_offline", 21)
    covered = region.alert(lee, "camera_tampered", 30)
    other = region.world.device("camera", "CAM-B1", side="b")  # company B's home
    e = event(type_="intrusion")
    r = region.http.post(
        f"{V1}/device/events",
        data={"event": e.model_dump_json()},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert r.status_code == 201, r.text
    return Busy(region.sos(), offender, offline, covered, intrusions, closed)


@pytest.fixture
def console(chromium: Any, live_hub: LiveHub) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_console(user: str) -> Any:
        context = chromium.new_context(
            base_url=live_hub.url, viewport={"width": 1280, "height": 1000}
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login?lang=en")
        page.get_by_label("Username").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        return page

    yield open_console
    for context in contexts:
        context.close()


def _homes(page: Any) -> list[str]:
    rows: list[str] = page.locator("#queue > li > button").all_inner_texts()
    return [" ".join(r.split()) for r in rows]


def _open(page: Any, text: str) -> None:
    row = page.locator("#queue button", has_text=text).first
    incident = row.get_attribute("data-id")
    row.click()
    page.locator(f"#incident[data-id='{incident}']").wait_for()


def _buttons(page: Any) -> set[str]:
    """The action buttons the person can see now."""
    names = page.locator("#incident [data-action]:visible").all_inner_texts()
    return {n.strip() for n in names}


def test_the_operator_triages_a_busy_queue(region: Region, console: Any) -> None:
    busy = _busy(region)
    page = console("security_a")
    # One row per home, the most severe first: the offender at the door, then the SOS.
    page.locator("#queue > li").nth(3).wait_for()
    homes = _homes(page)
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
    assert [h.split(" · ")[:3] for h in _homes(page)] == [h.split(" · ")[:3] for h in homes]

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
    busy = _busy(region)
    page = console("security_a")
    page.locator("#queue > li").nth(3).wait_for()
    _open(page, "SOS")
    assert page.locator("#d-state").inner_text() == "New · nobody has taken it"
    assert _buttons(page) == {"Claim", "Dispatch guards"}  # the SOS asked the police itself
    assert page.get_by_text("Close this incident…").is_visible()
    assert not page.get_by_role("button", name="Close incident").is_visible()
    page.get_by_role("button", name="Claim").click()
    page.locator("#d-state", has_text="Claimed by you").wait_for()
    assert _buttons(page) == {"Dispatch guards"}
    page.get_by_label("Guard unit").fill("Halla guard team 2")
    page.get_by_role("button", name="Dispatch guards").click()
    page.locator("#d-state", has_text="Guards dispatched · Halla guard team 2").wait_for()
    assert _buttons(page) == {"Arrived"}
    shoot(page, "console-incident")

    # An intrusion: "request police" is there, "close incident" is apart and folded away.
    page.locator("#queue > li").nth(2).get_by_text("5 more at this home").click()
    _open(page, "Someone entered the boundary")
    assert _buttons(page) == {"Claim", "Dispatch guards", "Request police"}
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
    assert "Claim" not in _buttons(page)
    body = {"outcome": "resolved", "reason": "neighbour's delivery"}
    region.as_("security_a2", "POST", f"/incidents/{incident}/resolve", body)
    page.get_by_text("This incident has just been closed (Guard Desk Two").wait_for()
    assert page.locator("#d-state").inner_text() == "Closed · Resolved"
    assert _buttons(page) == set()
    assert not page.get_by_text("Close this incident…").is_visible()
    assert not page.get_by_role("button", name="Watch the camera live").is_visible()
    page.wait_for_function(
        "ref => !document.getElementById('queue').innerText.includes(ref)", arg=shown
    )

    # After a reload the SOS is where the operator left it.
    page.reload()
    _open(page, "SOS")
    assert page.locator("#d-state").inner_text() == "Guards dispatched · Halla guard team 2"
    assert busy.sos


def test_the_112_console_lists_police_requests_and_what_each_asks(
    region: Region, console: Any
) -> None:
    busy = _busy(region)
    note = {"note": "a man is trying the door"}
    region.as_("security_a", "POST", f"/incidents/{busy.intrusions[1]}/request-police", note)
    region.miss_deadline(busy.covered, Recipient.security)  # nobody answered in time
    region.miss_deadline(busy.offline, Recipient.officer)  # a fault: never the police's
    page = console("dispatcher")
    page.get_by_role("heading", name="Police requests").wait_for()
    page.locator("#queue > li").nth(3).wait_for(timeout=10000)
    homes = _homes(page)
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
    assert len(_homes(page)) == 4

    _open(page, "SOS")
    ask = page.locator("#d-ask")
    assert ask.inner_text().startswith("The protected person asks for help")
    assert _buttons(page) == {"Accept"}
    page.get_by_role("button", name="Accept", exact=True).click()
    page.locator("#d-police", has_text="112 has taken it").wait_for()
    assert _buttons(page) == {"Dispatch police", "Close police request"}
    page.get_by_label("Note").fill("patrol 12")
    page.get_by_role("button", name="Dispatch police").click()
    page.locator("#d-police", has_text="Police on the way").wait_for()
    assert _buttons(page) == {"Close police request"}
    shoot(page, "console-112")
    page.get_by_role("button", name="Close police request").click()
    page.locator("#d-police", has_text="Police finished").wait_for()
    assert _buttons(page) == set()
    page.wait_for_function("() => document.querySelectorAll('#queue > li').length === 3")

    # The company closes the requested intrusion while 112 is looking at it.
    _open(page, "a man is trying the door")
    assert _buttons(page) == {"Accept"}
    done = {"outcome": "resolved", "reason": "he left"}
    region.as_("security_a", "POST", f"/incidents/{busy.intrusions[1]}/resolve", done)
    page.get_by_text("This incident has just been closed").wait_for()
    assert _buttons(page) == set()


def test_a_police_request_no_112_screen_took_is_said_until_112_accepts(
    region: Region, console: Any
) -> None:
    sos = region.sos()
    page = console("security_a")
    _open(page, "SOS")
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
