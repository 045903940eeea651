"""Korean screens in a Korean region: the protected person's app, the security console and the
officer's case page, with several incidents open at once (an intrusion in a named zone, the
offender at the door, an SOS from the phone, a camera gone silent, a smartwatch gone silent)
and deliveries that failed (no phone has turned notifications on). Every word of the
summaries and the timelines is Korean — Latin only in the serials, references and camera ids
whitelisted below — and every time is Korea's, though the browser itself runs on UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from safewatch.models import Case, Device, ProtectedPerson, User
from tests.live import LiveHub, event, jpeg, wait_until
from tests.world import PASSWORD, World

V1 = "/api/v1"
KST = ZoneInfo("Asia/Seoul")
CAMERA = "CAM-1"  # a camera's id in its site file (ASCII by the site file's rule)
# What may be Latin on a Korean screen: serials, references and camera ids.
ALLOWED = re.compile(r"^(CAM-\d+|CAM-K\d|W-K\d|INC-[\d-]+|TT-[\d-]+|AI|CCTV)$")
NAMES = {"victim_a": "한민정", "security_a": "박성훈", "officer_a": "김도현"}


def latin_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_-]*", text) if not ALLOWED.match(w)]


def kst_clock(iso: str) -> str:
    """A time as ko-KR writes it in Korea (e.g. "오후 4:05"), minutes precision."""
    at = datetime.fromisoformat(iso).astimezone(KST)
    half = "오전" if at.hour < 12 else "오후"
    return f"{half} {at.hour % 12 or 12}:{at.minute:02d}"


def utc_clock(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(UTC)
    return f"{at.hour % 12 or 12}:{at.minute:02d}"


class Region:
    """Case A at very high risk, its home's cameras and watch, the people in Korean."""

    def __init__(self, world: World, http: httpx.Client) -> None:
        self.world, self.http = world, http
        with world.factory() as s, s.begin():
            for username, name in NAMES.items():
                s.execute(update(User).where(User.username == username).values(full_name=name))
            case = s.get(Case, world.cases["a"])
            assert case is not None
            s.execute(
                update(ProtectedPerson)
                .where(ProtectedPerson.id == case.protected_person_id)
                .values(full_name="한민정", address="제주시 연동 7길 23-4")
            )
        r = world.assess("officer_a", "a", "very_high", reason="살해 협박, 접근금지 위반")
        assert r.status_code == 201, r.text
        self.camera = world.device("camera", "CAM-K1")
        self.silent_camera = world.device("camera", "CAM-K2")
        self.watch = world.device("smartwatch", "W-K1")

    def camera_event(self, type_: str, track: int, zone: str | None) -> None:
        e = event(camera=CAMERA, type_=type_).model_copy(update={"track": track, "zone": zone})
        r = self.http.post(
            f"{V1}/device/events",
            data={"event": e.model_dump_json()},
            files={"snapshot": ("s.jpg", jpeg(), "image/jpeg")},
            headers={"Authorization": f"Bearer {self.camera}"},
        )
        assert r.status_code == 201, r.text

    def falls_silent(self, secret: str, serial: str, minutes: int) -> None:
        """Heard from once, then not for ``minutes``."""
        r = self.http.post(
            f"{V1}/device/heartbeat",
            json={"battery_percent": 14},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert r.status_code == 200, r.text
        with self.world.factory() as s, s.begin():
            s.execute(
                update(Device)
                .where(Device.serial == serial)
                .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=minutes))
            )

    def undelivered(self, count: int) -> None:
        """The home camera kept items the hub refused (the hub's reasons are technical)."""
        items = [
            {
                "event_id": f"6f1c2a8e-0000-4000-8000-00000000000{i}",
                "kind": "event",
                "reason": "422: the snapshot is larger than the hub takes",
                "since": "2026-12-01T10:00:00Z",
            }
            for i in range(count)
        ]
        beat = {"state": "ok", "undelivered": items, "undelivered_count": count}
        r = self.http.post(
            f"{V1}/device/heartbeat", json=beat, headers={"Authorization": f"Bearer {self.camera}"}
        )
        assert r.status_code == 200, r.text

    def incidents(self) -> list[dict[str, Any]]:
        r = self.http.get(f"{V1}/incidents?size=100", headers=self.world.h("security_a"))
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


@pytest.fixture
def region(world: World, live_hub: LiveHub) -> Iterator[Region]:
    with httpx.Client(base_url=live_hub.url) as http:
        r = Region(world, http)
        r.camera_event("intrusion", 1, "앞마당")
        r.camera_event("offender_recognized", 2, "현관 앞")
        sos = http.post(
            f"{V1}/me/sos",
            json={"latitude": 33.48901, "longitude": 126.49832},
            headers=world.h("victim_a"),
        )
        assert sos.status_code == 201, sos.text
        r.falls_silent(r.silent_camera, "CAM-K2", minutes=5)
        r.undelivered(2)
        r.falls_silent(r.watch, "W-K1", minutes=45)
        dispatcher = live_hub.app.state.alerting.dispatcher  # type: ignore[attr-defined]
        dispatcher._next_sweep = None  # the once-a-minute watch sweep: now
        wanted = {"intrusion", "offender_recognized", "sos", "camera_offline", "watch_silent"}
        wait_until(lambda: wanted <= {i["type"] for i in r.incidents()}, seconds=30)
        yield r


@pytest.fixture
def browser_in_utc(chromium: Any, live_hub: LiveHub) -> Iterator[Any]:
    """Pages of a browser whose own clock is UTC: a time shown in Korea's zone is the page's."""
    contexts: list[Any] = []

    def open_page(user: str, landing: str, width: int = 1280) -> Any:
        context = chromium.new_context(
            base_url=live_hub.url,
            timezone_id="UTC",
            locale="en-GB",
            viewport={"width": width, "height": 900},
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login?lang=ko")
        page.get_by_label("아이디").fill(user)
        page.get_by_label("비밀번호").fill(PASSWORD)
        page.get_by_role("button", name="로그인").click()
        page.wait_for_url(f"**{landing}")
        return page

    yield open_page
    for context in contexts:
        context.close()


def _korean(text: str, where: str) -> None:
    assert text.strip(), f"{where}: nothing shown"
    assert latin_words(text) == [], f"{where}: {text!r}"


def test_the_console_words_every_incident_and_timeline_line_in_korean(
    region: Region, browser_in_utc: Any
) -> None:
    console = browser_in_utc("security_a", "/console")
    incidents = region.incidents()
    assert len(incidents) >= 5
    first_id = incidents[0]["id"]
    console.locator(f'#queue button[data-id="{first_id}"]').wait_for(state="attached")
    seen: list[str] = []
    failed_seen = False
    for incident in incidents:
        # Repeats for the same home are folded under its most severe incident: unfold them.
        console.evaluate(
            "document.querySelectorAll('#queue details').forEach((d) => d.open = true)"
        )
        console.locator(f'#queue button[data-id="{incident["id"]}"]').click()
        shown = console.locator("#d-summary")
        wait_until(lambda s=shown: s.inner_text().strip() not in ("", *seen), seconds=10)
        console.locator("#d-timeline li").first.wait_for()
        console.wait_for_timeout(200)  # the timeline drawn with its summary
        summary, timeline = shown.inner_text(), console.locator("#d-timeline").inner_text()
        seen.append(summary.strip())
        _korean(summary, f"{incident['type']}: summary")
        _korean(timeline, f"{incident['type']}: timeline")
        failed_seen = failed_seen or "알림을 켠 휴대폰 없음" in timeline
        # The timeline's times are Korea's (오전/오후), not the browser's UTC.
        first = console.locator("#d-timeline li").first.inner_text()
        assert first.startswith(("오전", "오후")), first
        created = datetime.fromisoformat(incident["created_at"]).astimezone(KST)
        assert f"{created.hour % 12 or 12}:{created.minute:02d}" in first, (first, created)
    assert failed_seen, "a failed delivery says why, in Korean"
    cameras = console.locator("#d-cameras").inner_text()
    _korean(cameras, "the home's cameras")
    assert "전달되지 못한 항목 2건" in cameras
    _korean(console.locator("#queue").inner_text(), "queue")
    # What the sentences say: the zone people named, the phone, the silent devices.
    said = " | ".join(seen)
    assert "앞마당에서 경계 구역 침입" in said
    assert "현관 앞에서 가해자 얼굴 인식" in said
    assert "휴대폰 긴급 신고 · 위치 33.48901, 126.49832" in said
    assert "스마트워치 W-K1 45분째 응답 없음 · 배터리 14%" in said
    assert "카메라 CAM-K2 약 5분째 신호 없음" in said


def test_the_app_and_the_case_page_speak_korean_with_korean_times(
    region: Region, browser_in_utc: Any
) -> None:
    phone = browser_in_utc("victim_a", "/app", width=412)
    phone.locator("#alert").wait_for()
    summaries = [phone.locator("#alert-summary").inner_text()]
    others = phone.locator("#others button")
    for k in range(others.count()):
        others.nth(k).click()
        summaries.append(phone.locator("#alert-summary").inner_text())
    for text in summaries:
        _korean(text, "the app's alert")
    _korean(phone.locator("#others").inner_text(), "the app's other alerts")
    assert any("휴대폰 긴급 신고" in s for s in summaries), summaries
    # The alert's time is Korea's, though the phone's own clock says UTC.
    shown = phone.locator("#alert-time")
    iso = shown.get_attribute("datetime")
    assert iso is not None
    assert kst_clock(iso) in shown.inner_text(), (shown.inner_text(), iso)
    assert utc_clock(iso) not in shown.inner_text()

    desk = browser_in_utc("officer_a", "/cases")
    desk.goto(f"/cases/{region.world.cases['a']}")
    listed = desk.locator("#c-incidents li")
    wait_until(lambda: listed.count() >= 5, seconds=15)
    text = desk.locator("#c-incidents").inner_text()
    _korean(text, "the case page's incidents")
    first = min(region.incidents(), key=lambda i: i["created_at"])
    assert kst_clock(first["created_at"]).split(" ")[1] in text
