"""The demo region as a person sees it after `make run` (issue 18 point 15): a believable Jeju
region, still fictional — Korean people, agencies and places on the screens, nothing that
reads like a test set-up."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from safewatch.demo.seed import DEMO_PASSWORD, seed
from tests.live import LiveHub

DEMO_WORDS = re.compile(r"\b(demo|Operator|Officer [A-Z]|campus|test|Person [A-Z])\b", re.I)


def _sign_in(page: Any, user: str, home: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(user)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"**{home}")


def test_the_demo_region_reads_like_a_jeju_region(
    session_factory: sessionmaker[Session], live_hub: LiveHub, chromium: Any
) -> None:
    with session_factory() as s, s.begin():
        seed(s)
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, "officer", "/cases")
        page.locator("#cases tbody tr").first.wait_for()
        cases = page.locator("#cases tbody").inner_text()
        assert re.search(r"[가-힣]{2,}", cases), cases  # Korean names
        assert not DEMO_WORDS.search(page.locator("main").inner_text()), cases
        page.locator("#cases tbody a").first.click()
        page.locator("#c-person").wait_for()
        page.wait_for_function("() => document.getElementById('c-person').textContent.trim()")
        person = page.locator("#c-person").inner_text()
        assert "제주" in person or "서귀포" in person, person  # a Jeju address
        assert not DEMO_WORDS.search(page.locator("main").inner_text())
        context.clear_cookies()
        _sign_in(page, "security", "/console")
        page.locator(".bar .who").wait_for()
        assert re.search(r"[가-힣]", page.locator(".bar .who").inner_text())
        assert not DEMO_WORDS.search(page.locator("body").inner_text())
    finally:
        context.close()
