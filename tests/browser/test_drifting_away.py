"""The protected person who drifts away on the dashboard (issue 23, point 5): the caseworker
sees each sign as a task with its case and when it began, closes it with what was done, and
sees the new signs counted per week — in English and in Korean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from safewatch.services import engagement
from tests.browser.conftest import shoot
from tests.world import World

WORDS = {
    "en": ("watch silent for days (W-A1)", "Done", "Signs of drifting away"),
    "ko": ("스마트워치 며칠째 응답 없음 (W-A1)", "처리 완료", "이탈 징후"),
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_caseworker_sees_each_sign_closes_it_and_sees_them_counted(
    world: World, console: Any, session_factory: sessionmaker[Session], lang: str
) -> None:
    world.device("smartwatch", "W-A1")  # issued, and never worn
    with session_factory() as s, s.begin():
        engagement.sweep(s, datetime.now(UTC) + timedelta(days=3))
    silent, done, title = WORDS[lang]
    page = console("caseworker_a", home="**/*")
    page.goto(f"/dashboard?lang={lang}")
    card = page.locator("#drift-card")
    card.get_by_role("heading", name=title).wait_for()
    row = page.locator("#drift-tasks tr", has_text=silent)
    row.wait_for()
    assert "TT-2026-0001" in row.inner_text()
    # Week, watch returned, watch silent, …: this week has one watch gone silent.
    cells = page.locator("#drift-weeks tbody tr").first.locator("td").all_inner_texts()
    assert cells[1:3] == ["0", "1"], cells
    if lang == "en":
        shoot(page, "dashboard-drifting-away")
    row.get_by_role("textbox").fill("called her: she will wear it again")
    row.get_by_role("button", name=done).click()
    row.wait_for(state="detached")
    closed = world.get("caseworker_a", "/api/v1/engagement-tasks?open_only=false").json()
    [task] = [t for t in closed if t["subject"] == "W-A1"]
    assert task["note"] == "called her: she will wear it again" and task["closed_at"]
