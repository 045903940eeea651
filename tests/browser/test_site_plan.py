"""The home's plan on screen (issue 23, point 3): a caseworker uploads the home's picture,
draws a camera's covered area and marks the ways in by clicking; the page says, in red and in
words, which way in no camera sees — in English and in Korean."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import shoot
from tests.world import World

SAID = {
    "en": ("Ways in no camera sees: gas pipe", "blind spot: no camera sees it"),
    "ko": ("카메라가 보지 못하는 출입 경로: gas pipe", "사각지대: 어느 카메라도 보지 못함"),
}


def _click(page: Any, x: float, y: float) -> None:
    box = page.locator("#plan").bounding_box()
    page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_caseworker_draws_the_coverage_and_sees_the_blind_spot(
    world: World, console: Any, tmp_path: Any, lang: str
) -> None:
    world.device("camera", "CAM-A1")
    picture = tmp_path / "home.png"
    Image.new("RGB", (400, 300), (230, 230, 220)).save(picture)
    page = console("caseworker_a", home="**/*")
    page.goto(f"/cases/{world.cases['a']}/plan?lang={lang}")
    page.locator("#camera-pick option").first.wait_for(state="attached")
    page.set_input_files("#picture-file", str(picture))
    page.locator("#picture-form button").click()
    page.locator("#plan-picture").wait_for()
    for x, y in ((0.02, 0.02), (0.5, 0.02), (0.5, 0.98), (0.02, 0.98)):  # CAM-A1: left half
        _click(page, x, y)
    for name, x, y in (("front door", 0.2, 0.8), ("gas pipe", 0.85, 0.3)):
        page.locator("#way-name").fill(name)
        _click(page, x, y)
    page.locator("#save-plan").click()
    blind, line = SAID[lang]
    page.locator("#blind", has_text=blind).wait_for()
    assert line in page.locator("#ways").inner_text()
    assert page.locator("#plan circle.way.blind").count() == 1
    assert page.locator("#plan circle.way.seen").count() == 1
    assert page.locator("#plan polygon.coverage").count() == 1
    if lang == "en":
        shoot(page, "home-plan-coverage")
