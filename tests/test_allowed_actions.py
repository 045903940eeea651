"""What each person may do to an incident in each state (``lifecycle.allowed_actions``): the
buttons a console shows are the actions the hub would accept — no "claim" on a closed
incident, no "arrive" before guards were sent, police steps only for the 112 centre."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safewatch.core.roles import Role
from safewatch.incidents.lifecycle import (
    Action,
    Claim,
    IncidentStatus,
    PoliceStatus,
    allowed_actions,
)
from tests.world import World

S, PS = IncidentStatus, PoliceStatus
SEC, DISP, OFFICER = Role.security_operator, Role.dispatcher, Role.officer


def _set(*actions: Action) -> set[Action]:
    return set(actions)


@pytest.mark.parametrize(
    ("status", "police", "role", "claim", "expected"),
    [
        (
            S.open,
            PS.none,
            SEC,
            Claim.nobody,
            _set(Action.claim, Action.dispatch, Action.request_police, Action.resolve),
        ),
        (
            S.acknowledged,
            PS.none,
            SEC,
            Claim.you,
            _set(Action.dispatch, Action.request_police, Action.resolve),
        ),
        (
            S.acknowledged,
            PS.requested,
            SEC,
            Claim.someone_else,
            _set(Action.dispatch, Action.resolve),
        ),
        (S.dispatched, PS.accepted, SEC, Claim.you, _set(Action.arrive, Action.resolve)),
        (S.on_scene, PS.none, SEC, Claim.you, _set(Action.request_police, Action.resolve)),
        (S.closed, PS.none, SEC, Claim.you, set()),
        (S.closed, PS.requested, DISP, Claim.nobody, set()),
        (S.open, PS.none, DISP, Claim.nobody, set()),
        (S.open, PS.requested, DISP, Claim.nobody, _set(Action.police_accept)),
        (
            S.dispatched,
            PS.accepted,
            DISP,
            Claim.nobody,
            _set(Action.police_dispatch, Action.police_close),
        ),
        (S.closed, PS.dispatched, DISP, Claim.nobody, _set(Action.police_close)),
        # closed on the ground before 112 sent a patrol: it may only close (the hypothesis
        # walk found "dispatch" offered and refused)
        (S.closed, PS.accepted, DISP, Claim.nobody, _set(Action.police_close)),
        (S.on_scene, PS.closed, DISP, Claim.nobody, set()),
        (S.open, PS.none, OFFICER, Claim.nobody, _set(Action.request_police, Action.resolve)),
        (S.open, PS.requested, Role.protected_person, Claim.nobody, set()),
        (S.open, PS.none, Role.caseworker, Claim.nobody, set()),
    ],
)
def test_each_state_offers_only_what_it_allows(
    status: IncidentStatus, police: PoliceStatus, role: Role, claim: Claim, expected: set[Action]
) -> None:
    assert set(allowed_actions(status, police, role, claim)) == expected


def test_close_comes_last_apart_from_request_police() -> None:
    actions = allowed_actions(S.acknowledged, PS.none, SEC, Claim.you)
    assert actions[-1] is Action.resolve


# What the route for each action is called, and who acts for a role in the world.
ROUTES = {
    Action.claim: "claim",
    Action.dispatch: "dispatch",
    Action.arrive: "arrive",
    Action.request_police: "request-police",
    Action.resolve: "resolve",
    Action.police_accept: "police/accept",
    Action.police_dispatch: "police/dispatch",
    Action.police_close: "police/close",
}
BODIES: dict[Action, dict[str, Any]] = {
    Action.dispatch: {"unit": "G-1"},
    Action.resolve: {"outcome": "resolved"},
}


@pytest.mark.parametrize("user", ["security_a", "dispatcher"])
def test_the_detail_offers_exactly_what_the_hub_accepts(world: World, user: str) -> None:
    """Walk an SOS through its life: at each step every action offered succeeds (tried on a
    twin incident) and the detail's list follows the state."""
    r = world.post("victim_a", "/api/v1/me/sos", {"latitude": 33.5, "longitude": 126.5})
    incident_id = r.json()["incident"]["id"]
    url = f"/api/v1/incidents/{incident_id}"
    seen: list[list[str]] = []
    for _ in range(8):
        offered = world.get(user, url).json()["actions"]
        seen.append(offered)
        if not offered:
            break
        step = Action(offered[0])
        r = world.post(user, f"{url}/{ROUTES[step]}", BODIES.get(step, {}))
        assert r.status_code == 200, (step, r.text)
        assert r.json()["actions"] != offered or step is Action.request_police
    assert seen[-1] == [] or user == "dispatcher"
    if user == "security_a":
        assert seen[0] == ["claim", "dispatch", "resolve"]  # police requested by the SOS itself
        assert seen[1] == ["dispatch", "resolve"]
        assert seen[2] == ["arrive", "resolve"]
        assert seen[3] == ["resolve"]
    else:
        assert seen == [
            ["police_accept"],
            ["police_dispatch", "police_close"],
            ["police_close"],
            [],
        ]


# --- What is offered is what the hub accepts, in any order of actions ----------------------------

# (who, action, body): what the consoles and an officer can do to an open incident.
PLAYS: dict[str, tuple[str, Action, dict[str, Any]]] = {
    "security claims": ("security_a", Action.claim, {}),
    "guards dispatched": ("security_a", Action.dispatch, {"unit": "G-7"}),
    "guards arrive": ("security_a", Action.arrive, {}),
    "security requests police": ("security_a", Action.request_police, {"note": "seen"}),
    "security closes": ("security_a", Action.resolve, {"outcome": "resolved"}),
    "officer requests police": ("officer_a", Action.request_police, {"note": "call"}),
    "officer closes": ("officer_a", Action.resolve, {"outcome": "false_alarm", "reason": "cat"}),
    "112 accepts": ("dispatcher", Action.police_accept, {"note": ""}),
    "112 dispatches": ("dispatcher", Action.police_dispatch, {"note": "unit 3"}),
    "112 closes": ("dispatcher", Action.police_close, {"note": ""}),
}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plays=st.lists(st.sampled_from(sorted(PLAYS)), min_size=1, max_size=10))
def test_an_offered_action_is_accepted_and_one_not_offered_is_refused(
    world: World, plays: list[str]
) -> None:
    body = {"case_id": str(world.cases["a"]), "summary": "a man at the gate"}
    r = world.post("officer_a", "/api/v1/incidents", body)
    assert r.status_code == 201, r.text
    url = f"/api/v1/incidents/{r.json()['id']}"
    for play in plays:
        who, action, data = PLAYS[play]
        seen = world.get(who, url)
        offered = action.value in seen.json()["actions"] if seen.status_code == 200 else False
        r = world.post(who, f"{url}/{ROUTES[action]}", data)
        if offered:
            assert r.status_code == 200, (play, r.text)
        elif action is Action.request_police and r.status_code == 200:
            # Asking again once the police are asked only adds a line: not offered, harmless.
            assert world.get(who, url).json()["summary"]["police_status"] != "none"
        else:
            assert r.status_code in (403, 409), (play, r.status_code, r.text)
