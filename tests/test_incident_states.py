"""The incident's life under any order of actions, through the real API: hypothesis plays
random sequences of what the consoles and the phone can do. Whatever the order, statuses only
move forward, the timeline is only ever added to, a closed incident stays closed, and no
action ever breaks the hub (5xx)."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safewatch.incidents.lifecycle import ORDER, POLICE_ORDER, IncidentStatus, PoliceStatus
from tests.world import World

V1 = "/api/v1"

# (who, what, body): everything a person can do to an open incident.
ACTIONS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "victim acknowledges": ("victim_a", "acknowledge", None),
    "victim's screen shows it": ("victim_a", "seen", None),
    "security acknowledges": ("security_a", "acknowledge", None),
    "security claims": ("security_a", "claim", None),
    "guards dispatched": ("security_a", "dispatch", {"unit": "G-7"}),
    "guards arrive": ("security_a", "arrive", None),
    "officer requests police": ("officer_a", "request-police", {"note": "offender seen"}),
    "112 accepts": ("dispatcher", "police/accept", {"note": ""}),
    "112 dispatches": ("dispatcher", "police/dispatch", {"note": "unit 3"}),
    "112 closes": ("dispatcher", "police/close", {"note": ""}),
    "security resolves": ("security_a", "resolve", {"outcome": "resolved"}),
    "officer: false alarm": (
        "officer_a",
        "resolve",
        {"outcome": "false_alarm", "reason": "the neighbour's cat"},
    ),
}
ALLOWED_ANSWERS = {200, 403, 409}  # done; not shared with this person (yet); not now


def _state(world: World, incident_id: str) -> dict[str, Any]:
    r = world.get("officer_a", f"{V1}/incidents/{incident_id}")
    assert r.status_code == 200, r.text
    detail: dict[str, Any] = r.json()
    return detail


# 30 orders of actions in `make test` (half a minute on the PostgreSQL pass, its longest
# part); 200 in `make test-long` (SAFEWATCH_FUZZ_DEEP=1).
EXAMPLES = 200 if os.environ.get("SAFEWATCH_FUZZ_DEEP") else 30


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plays=st.lists(st.sampled_from(sorted(ACTIONS)), min_size=1, max_size=12))
def test_any_order_of_actions_keeps_the_incident_consistent(world: World, plays: list[str]) -> None:
    body = {"case_id": str(world.cases["a"]), "summary": "a man at the gate"}
    r = world.post("officer_a", f"{V1}/incidents", body)
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]
    before = _state(world, incident_id)
    for play in plays:
        who, what, data = ACTIONS[play]
        r = world.post(who, f"{V1}/incidents/{incident_id}/{what}", data)
        assert r.status_code in ALLOWED_ANSWERS, (play, r.status_code, r.text)
        if r.status_code != 200:
            assert r.json()["detail"], play  # a refusal says why
        after = _state(world, incident_id)
        old, new = before["summary"], after["summary"]
        assert ORDER.index(IncidentStatus(new["status"])) >= ORDER.index(
            IncidentStatus(old["status"])
        ), play
        assert POLICE_ORDER.index(PoliceStatus(new["police_status"])) >= POLICE_ORDER.index(
            PoliceStatus(old["police_status"])
        ), play
        assert after["timeline"][: len(before["timeline"])] == before["timeline"], play
        if old["status"] == "closed":
            assert new == old or play.startswith("112"), play  # closed stays closed
        assert (new["status"] == "closed") == (new["outcome"] is not None)
        if r.status_code == 409:
            assert new == old, play  # a refused action changed nothing
        before = after
