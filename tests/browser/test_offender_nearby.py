"""The offender's electronic monitor on the screens (issue 23, point 4): the guards' console
says how near he is to which of her places and draws where his monitor is beside her home;
her phone says he is near, and how near, never where — in English and in Korean."""

from __future__ import annotations

from typing import Any

import pytest

from safewatch.core.config import Settings
from safewatch.demo.tiles import make_tiles
from tests.browser.busy_region import Region, open_incident
from tests.browser.conftest import shoot
from tests.browser.test_victim_app import _sign_in
from tests.world import World

V1 = "/api/v1"
HIM = {"latitude": 33.5054, "longitude": 126.5, "accuracy_m": 15, "source": "gps"}  # ~600 m
SAID = {
    "en": "the offender's monitor is 600 m from the home address",
    "ko": "가해자 위치추적 장치가 등록된 집 주소에서 600미터 거리에 있음",
}


def _near(world: World, region: Region) -> str:
    secret = world.device("offender_monitor", "MON-A1")
    r = region.http.post(
        f"{V1}/device/monitor", json=HIM, headers={"Authorization": f"Bearer {secret}"}
    )
    assert r.status_code == 200, r.text
    incident_id: str = r.json()["incident_id"]
    return incident_id


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_console_says_how_near_he_is_and_draws_his_monitor_beside_her_home(
    world: World, region: Region, console: Any, settings: Settings, lang: str
) -> None:
    make_tiles(settings.tiles_dir, 33.49, 126.49, 33.51, 126.51, range(14, 17))
    _near(world, region)
    page = console("security_a")
    page.goto(f"/console?lang={lang}")
    open_incident(page, "Offender nearby" if lang == "en" else "가해자 접근")
    page.locator("#d-map path.map-offender").wait_for()
    assert SAID[lang] in page.locator("main").inner_text()
    tooltip = "offender (his monitor)" if lang == "en" else "가해자 (전자장치 위치)"
    assert page.locator("#d-map .leaflet-tooltip", has_text=tooltip).count() == 1
    assert page.locator("#d-map path.map-home").count() == 1
    if lang == "en":
        shoot(page, "console-offender-nearby")


def test_her_phone_says_he_is_near_and_how_near_but_not_where(
    world: World, region: Region, phone: Any
) -> None:
    _sign_in(phone, "victim_a")
    _near(world, region)
    alert = phone.locator("#alert")
    alert.get_by_text(SAID["en"]).wait_for()
    text = phone.locator("main").inner_text()
    assert "offender at" not in text and "33.5054" not in text
