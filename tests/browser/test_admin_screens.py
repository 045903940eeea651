"""The administrator's users screen (issue 18, point 13): reachable from the staff bar for
admins only; accounts listed with role, agency and state; added, disabled and enabled, given
another role; what the admin did holds after a reload and takes effect at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import shoot
from tests.live import LiveHub
from tests.world import PASSWORD, World


@pytest.fixture
def desk(chromium: Any, live_hub: LiveHub) -> Any:
    context = chromium.new_context(base_url=live_hub.url, viewport={"width": 1280, "height": 1000})
    yield context.new_page()
    context.close()


def _sign_in(page: Any, user: str, password: str = PASSWORD) -> None:
    page.goto("/login?lang=en")
    page.locator("#username").fill(user)
    page.locator("#password").fill(password)
    page.locator("button[type=submit]").click()


def test_only_admins_have_the_users_screen(world: World, desk: Any) -> None:
    _sign_in(desk, "officer_a")
    desk.wait_for_url("**/cases")
    assert desk.get_by_role("link", name="Users").count() == 0
    desk.goto("/users")
    desk.wait_for_url("**/login")


def test_an_admin_adds_disables_enables_and_changes_the_role_of_accounts(
    world: World, desk: Any
) -> None:
    _sign_in(desk, "admin")
    desk.wait_for_url("**/cases")
    desk.get_by_role("link", name="Users").click()
    desk.wait_for_url("**/users")
    table = desk.locator("#users")
    row = table.locator("tr", has_text="officer_b")
    row.locator("td").nth(2).get_by_text("officer", exact=True).wait_for()
    assert "station_b agency" in row.inner_text() and "Active" in row.inner_text()
    assert desk.locator("#user-count").inner_text() == "10"

    # A new officer at station A, who can sign in at once.
    new = desk.locator("#new-user")
    new.get_by_label("Username").fill("officer_c")
    new.get_by_label("Name", exact=True).fill("Officer Kang")
    new.get_by_label("First password (10 characters or more)").fill("a-long-first-password")
    new.get_by_label("Role", exact=True).select_option("officer")
    new.get_by_label("Agency", exact=True).select_option(label="station_a agency")
    new.get_by_role("button", name="Add a user").click()
    desk.locator("#new-user-result").get_by_text("Added: officer_c").wait_for()
    table.locator("tr", has_text="officer_c").get_by_text("Officer Kang").wait_for()
    # An officer needs a police station: the agency list follows the role.
    new.get_by_label("Role", exact=True).select_option("caseworker")
    assert new.get_by_label("Agency", exact=True).locator("option").all_inner_texts() == [
        "centre_a agency",
        "centre_b agency",
    ]

    # Officer B leaves: disabled, the change holds after a reload, and the sign-in fails.
    row.get_by_role("button", name="Disable: officer_b").click()
    table.locator("tr[data-active='false']", has_text="officer_b").wait_for()
    desk.reload()
    table.locator("tr[data-active='false']", has_text="officer_b").get_by_text(
        "Disabled"
    ).wait_for()
    assert world.get("officer_b", "/api/v1/users/me").status_code == 401
    row.get_by_role("button", name="Enable: officer_b").click()
    table.locator("tr[data-active='true']", has_text="officer_b").wait_for()

    # Caseworker B moves to the police: a new role with its agency.
    moving = table.locator("tr", has_text="caseworker_b")
    moving.get_by_label("New role: caseworker_b").select_option("officer")
    moving.get_by_label("New agency: caseworker_b").select_option(label="station_b agency")
    moving.get_by_role("button", name="Change role").click()
    desk.locator("#user-result").get_by_text("Changed: caseworker_b · officer").wait_for()
    desk.reload()
    moved = table.locator("tr", has_text="caseworker_b")
    moved.locator("td").nth(2).get_by_text("officer", exact=True).wait_for()
    assert "station_b agency" in moved.inner_text()
    shoot(desk, "users")

    # The admin's own account cannot be disabled from here (no one would be left to undo it).
    table.locator("tr", has_text="Admin").first.get_by_role("button", name="Disable: admin").click()
    desk.locator("#user-result.error").get_by_text("your own account").wait_for()

    desk.context.clear_cookies()
    _sign_in(desk, "officer_c", "a-long-first-password")
    desk.wait_for_url("**/cases")
