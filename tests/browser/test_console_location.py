"""Location you can trust on the consoles (issue 23, point 1): a coarse fix is said to be
uncertain, in words, with where else the dispatch went; a better fix from the phone's
"follow me" takes the doubt away as it comes — in English and in Korean."""

from __future__ import annotations

from typing import Any

import pytest

from safewatch.core.config import Settings
from safewatch.demo.tiles import make_tiles
from tests.browser.busy_region import Region, open_incident
from tests.browser.conftest import shoot
from tests.live import LiveHub

COARSE = {"latitude": 33.51, "longitude": 126.52, "accuracy_m": 800, "source": "cell"}
PRECISE = {"latitude": 33.5101, "longitude": 126.5202, "accuracy_m": 9, "source": "gps"}
SAID = {
    "en": "location uncertain: ±800 m from cell; also sent to the home address",
    "ko": "위치 불확실: 기지국 기준 ±800미터; 등록된 집 주소(으)로도 출동 요청",
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_coarse_fix_is_said_uncertain_until_a_precise_one_comes(
    region: Region, console: Any, lang: str
) -> None:
    region.as_("victim_a", "POST", "/me/sos", COARSE)
    page = console("security_a")
    page.goto(f"/console?lang={lang}")
    open_incident(page, "SOS" if lang == "en" else "긴급 신고")
    doubt = page.locator("#d-doubt")
    doubt.wait_for()
    assert doubt.inner_text() == SAID[lang]
    assert "±800" in page.locator("#d-location").inner_text()
    region.as_("victim_a", "POST", "/me/location", PRECISE)
    doubt.wait_for(state="hidden")
    assert "33.51010, 126.52020" in page.locator("#d-location").inner_text()


def test_the_map_shows_the_fix_its_accuracy_the_track_and_the_home_from_the_hubs_tiles(
    region: Region, console: Any, settings: Settings, live_hub: LiveHub
) -> None:
    drawn = make_tiles(settings.tiles_dir, 33.48, 126.48, 33.53, 126.54, range(12, 18))
    assert drawn > 0
    region.as_("victim_a", "POST", "/me/sos", COARSE)
    for k in range(3):  # follow me: she walks north-east
        step = {"latitude": 33.511 + k / 1000, "longitude": 126.521 + k / 1000, "accuracy_m": 30}
        region.as_("victim_a", "POST", "/me/location", {**step, "source": "wifi"})
    [sos] = [i for i in region.as_("security_a", "GET", "/incidents")["items"]]
    guard = {"unit": "G-7", "latitude": 33.505, "longitude": 126.51, "accuracy_m": 20}
    region.as_("security_a", "POST", f"/incidents/{sos['id']}/guards", guard)
    page = console("security_a")
    open_incident(page, "SOS")
    page.locator("#d-map path.map-accuracy").wait_for()
    assert page.locator("#d-map path.map-guard").count() == 1
    assert page.locator("#d-map .leaflet-tooltip", has_text="G-7").count() == 1
    assert page.locator("#d-map path.map-fix").count() == 1
    assert page.locator("#d-map path.map-track").count() == 1
    assert page.locator("#d-map path.map-home").count() == 1
    page.wait_for_function(
        "() => document.querySelectorAll('#d-map img.leaflet-tile-loaded').length > 0"
    )
    sources = page.eval_on_selector_all("#d-map img.leaflet-tile", "es => es.map(e => e.src)")
    assert sources and all(s.startswith(f"{live_hub.url}/tiles/") for s in sources), sources
    shoot(page, "console-map")
