"""An administrator's open screen shows credential stuffing as it happens (the address is
refused and the attempt audited: tests/test_abuse.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from safewatch.core.config import Settings
from tests.browser.conftest import shoot
from tests.live import LiveHub
from tests.world import PASSWORD, World


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"failed_sign_in_rate": "4/10 minutes"})


def test_an_admin_sees_credential_stuffing_on_the_open_screen(
    world: World, chromium: Any, live_hub: LiveHub
) -> None:
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 900})
    desk = context.new_page()
    try:
        desk.goto("/login?lang=en")
        desk.get_by_label("Username").fill("admin")
        desk.get_by_label("Password").fill(PASSWORD)
        desk.get_by_role("button", name="Sign in").click()
        desk.wait_for_url("**/cases")
        assert desk.locator("#security-alerts").is_hidden()
        desk.wait_for_timeout(500)  # the page's stream is open
        with httpx.Client(base_url=live_hub.url) as attacker:
            answers = [
                attacker.post(
                    "/api/v1/auth/login", json={"username": f"u{n}", "password": "leaked-123456"}
                ).status_code
                for n in range(5)
            ]
        assert answers[-1] == 429
        alert = desk.get_by_role("alert")
        alert.get_by_text("credential stuffing suspected").wait_for()
        assert "127.0.0.1" in alert.inner_text()
        shoot(desk, "admin-security-notice")
    finally:
        context.close()
