"""Debian's Chromium driven by Playwright (its own browser download is blocked here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.busy_region import Region
from tests.live import LiveHub
from tests.world import PASSWORD, World

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.is_file():
        reason = f"no browser at {CHROMIUM} (make test installs Debian's chromium)"
        if os.environ.get("SAFEWATCH_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


SCREENS = Path(__file__).parents[2] / "docs" / "screens"


def shoot(page: object, name: str) -> None:
    """The README's screenshots come from these tests: ``make screenshots`` sets
    SAFEWATCH_SCREENSHOTS=1 and they are written to docs/screens/."""
    if os.environ.get("SAFEWATCH_SCREENSHOTS"):
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture
def phone(chromium: Any, live_hub: LiveHub) -> Iterator[Any]:
    """The protected person's phone: a phone-sized browser that may tell where it is."""
    context = chromium.new_context(
        base_url=live_hub.url,
        geolocation={"latitude": 33.4996, "longitude": 126.5312},
        permissions=["geolocation"],
        viewport={"width": 412, "height": 915},
    )
    yield context.new_page()
    context.close()


# The console tests' busy region and consoles (tests/browser/busy_region.py).


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


@pytest.fixture
def console(chromium: Any, live_hub: LiveHub) -> Iterator[Any]:
    """Signs a person in (English) in a browser of their own; their first screen."""
    contexts: list[Any] = []

    def open_console(user: str, home: str = "**/console") -> Any:
        context = chromium.new_context(
            base_url=live_hub.url, viewport={"width": 1280, "height": 1000}
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/login?lang=en")
        page.get_by_label("Username").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(home)
        return page

    yield open_console
    for context in contexts:
        context.close()
