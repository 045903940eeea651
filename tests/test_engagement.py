"""The protected person who drifts away (issue 23, point 5; the Daegu victim had returned her
watch the month before): a watch returned or silent for days, a camera offline for a day, the
app not opened for a week, no phone that rings — each opens one task for the caseworker and
asks for a new assessment; a person closes it with what was done; the dashboard counts them
week by week."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from safewatch.cases.engagement import Drift, Engagement, Issued, Signal, drifts
from safewatch.services import engagement
from tests.conftest import Clock
from tests.world import World

V1 = "/api/v1"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_the_signs_of_drifting_away() -> None:
    case = Engagement(
        case_id=uuid.uuid4(),
        watches=[Issued("W-1", NOW - 10 * DAY, NOW - 3 * DAY), Issued("W-2", NOW - DAY, None)],
        cameras=[Issued("C-1", NOW - 9 * DAY, NOW - 2 * DAY), Issued("C-2", NOW - 9 * DAY, NOW)],
        returned_watches=[("W-0", NOW - 2 * DAY)],
        has_app=True,
        app_opened_at=NOW - 8 * DAY,
        app_since=NOW - 30 * DAY,
        push_phones=0,
    )
    assert drifts(case, NOW) == [
        Signal(Drift.watch_silent, "W-1"),  # W-2 was issued a day ago: not yet
        Signal(Drift.camera_offline, "C-1"),
        Signal(Drift.app_unused),
        Signal(Drift.no_push),
    ]  # W-0's return does not count: another watch replaced it
    alone = Engagement(case_id=case.case_id, returned_watches=[("W-0", NOW - 2 * DAY)])
    assert drifts(alone, NOW) == [Signal(Drift.watch_returned, "W-0")]
    fresh = Engagement(case_id=case.case_id, has_app=True, app_since=NOW - DAY / 2)
    assert drifts(fresh, NOW) == []  # a new case: time to set her phone up


def _tasks(world: World, user: str = "caseworker_a") -> dict[tuple[str, str], dict[str, str]]:
    r = world.get(user, f"{V1}/engagement-tasks")
    assert r.status_code == 200, r.text
    return {(t["kind"], t["subject"]): t for t in r.json()}


def test_each_sign_opens_one_task_asks_for_a_reassessment_and_is_counted(
    world: World, clock: Clock, session_factory: sessionmaker[Session]
) -> None:
    def sweep() -> None:
        with session_factory() as s, s.begin():
            engagement.sweep(s, clock())

    assessed = world.assess("officer_a", "a", "high", reason="stalking after the order")
    assert assessed.status_code == 201, assessed.text
    world.device("smartwatch", "W-A1")
    world.device("camera", "CAM-A1")
    assert world.get("victim_a", f"{V1}/me/case").status_code == 200  # she opens the app
    sweep()
    assert _tasks(world) == {}  # all is new: nothing is a sign yet
    clock.advance(3 * 24 * 3600)
    assert world.get("victim_a", f"{V1}/me/case").status_code == 200
    sweep()
    sweep()  # a second look opens nothing twice
    tasks = _tasks(world)
    assert set(tasks) == {
        ("watch_silent", "W-A1"),
        ("camera_offline", "CAM-A1"),
        ("no_push", ""),  # she has never let the app ring her phone
    }
    case = world.get("caseworker_a", f"{V1}/cases/{world.cases['a']}").json()
    assert case["reassessment_due"].startswith("disengagement:")
    theirs = _tasks(world, "caseworker_b").values()  # another centre's: only its own case
    assert theirs and {t["case_id"] for t in theirs} == {str(world.cases["b"])}
    # Her watch goes back to stock; then she does not open the app for a week.
    [watch] = world.get("admin", f"{V1}/devices?kind=smartwatch").json()["items"]
    back = {"status": "in_stock", "note": "returned by the protected person"}
    assert world.post("admin", f"{V1}/devices/{watch['id']}/status", back).status_code == 200
    sweep()
    assert ("watch_returned", "W-A1") in _tasks(world)
    clock.advance(8 * 24 * 3600)
    sweep()
    tasks = _tasks(world)
    assert ("app_unused", "") in tasks
    # The caseworker calls her and closes the task; it is not opened again next hour.
    task = tasks[("camera_offline", "CAM-A1")]
    note = {"note": "called her: the camera was unplugged for a heater; back on"}
    r = world.post("caseworker_a", f"{V1}/engagement-tasks/{task['id']}/close", note)
    assert r.status_code == 200 and r.json()["closed_at"]
    assert (
        world.post("caseworker_a", f"{V1}/engagement-tasks/{task['id']}/close", note).status_code
        == 409
    )
    sweep()
    assert ("camera_offline", "CAM-A1") not in _tasks(world)
    # The dashboard counts them per week.
    weeks = world.get("caseworker_a", f"{V1}/stats/disengagement?weeks=4").json()
    total = {}
    for w in weeks:
        for kind, n in w["counts"].items():
            total[kind] = total.get(kind, 0) + n
    assert total == {
        "watch_silent": 1,
        "camera_offline": 1,
        "no_push": 1,
        "app_unused": 1,
        "watch_returned": 1,
    }
