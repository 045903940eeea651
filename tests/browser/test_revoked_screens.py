"""A screen whose access ended leaves at once (issue 19): the phone of a protected person whose
sign-in was ended elsewhere, and the console of an operator whose account was disabled, go to
the sign-in page by themselves — nothing of the alert stays on screen."""

from __future__ import annotations

from typing import Any

import httpx

from tests.browser.test_console import _console
from tests.browser.test_victim_app import _sign_in
from tests.live import LiveHub
from tests.world import World

V1 = "/api/v1"


def _disable(world: World, live_hub: LiveHub, user: str) -> None:
    """An administrator disables the account (its sign-ins end at once)."""
    r = httpx.patch(
        f"{live_hub.url}{V1}/users/{world.users[user]}",
        json={"active": False},
        headers=world.h("admin"),
    )
    assert r.status_code == 200, r.text


def test_the_app_leaves_when_the_persons_sign_in_is_ended_elsewhere(
    world: World, live_hub: LiveHub, chromium: Any
) -> None:
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 412, "height": 915})
    try:
        page = context.new_page()
        _sign_in(page, "victim_a")
        page.get_by_text("No alerts right now.").wait_for()
        _disable(world, live_hub, "victim_a")
        page.wait_for_url("**/login", timeout=10_000)
        assert page.locator("#sos").count() == 0
    finally:
        context.close()


def test_the_console_leaves_when_the_operator_is_disabled_and_another_stays(
    world: World, live_hub: LiveHub, chromium: Any
) -> None:
    contexts = [
        chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 900})
        for _ in range(2)
    ]
    try:
        disabled = _console(contexts[0].new_page(), "security_a")
        colleague = _console(contexts[1].new_page(), "security_b")
        for page in (disabled, colleague):
            page.get_by_text("No open incidents.").wait_for()
        _disable(world, live_hub, "security_a")
        disabled.wait_for_url("**/login", timeout=10_000)
        colleague.wait_for_timeout(3000)
        assert colleague.url.endswith("/console")
    finally:
        for context in contexts:
            context.close()
