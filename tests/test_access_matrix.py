"""Every route × every role, generated from the route table, against the running app.

EXPECTED is the access policy written out by hand: a route added or loosened without
updating it fails here, and the app itself refuses to start with a route that declares none.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from safewatch.api.app import api_routes
from safewatch.api.deps import route_policy
from safewatch.core.roles import Role
from tests.live import event, jpeg
from tests.world import World

ALL = "admin caseworker dispatcher officer protected_person security_operator"
VIEW = "admin caseworker officer protected_person security_operator"
EXPECTED = f"""
POST /api/v1/auth/login | public
POST /api/v1/auth/logout | {ALL}
GET /api/v1/users/me | {ALL}
GET /api/v1/users | admin
POST /api/v1/users | admin
PATCH /api/v1/users/{{user_id}} | admin
GET /api/v1/agencies | {ALL}
POST /api/v1/agencies | admin
GET /api/v1/cases | admin caseworker officer protected_person security_operator
POST /api/v1/cases | admin officer
GET /api/v1/cases/{{case_id}} | admin caseworker officer protected_person security_operator
PATCH /api/v1/cases/{{case_id}} | admin caseworker officer
PATCH /api/v1/cases/{{case_id}}/person | admin caseworker officer
PATCH /api/v1/cases/{{case_id}}/offenders/{{offender_id}} | admin officer
POST /api/v1/cases/{{case_id}}/offenders | admin officer
POST /api/v1/cases/{{case_id}}/offenders/{{offender_id}}/orders | admin officer
POST /api/v1/cases/{{case_id}}/offenders/{{offender_id}}/photos | admin officer
GET /api/v1/cases/{{case_id}}/photos/{{photo_id}} | admin caseworker officer security_operator
GET /api/v1/cases/{{case_id}}/allowed-people | admin caseworker officer protected_person
POST /api/v1/cases/{{case_id}}/allowed-people | admin caseworker officer
DELETE /api/v1/cases/{{case_id}}/allowed-people/{{person_id}} | admin caseworker officer
POST /api/v1/cases/{{case_id}}/allowed-people/{{person_id}}/photos | admin caseworker officer
GET /api/v1/cases/{{case_id}}/audit | admin caseworker officer
GET /api/v1/risk/checklist | admin caseworker officer
POST /api/v1/risk/suggestion | admin caseworker officer
POST /api/v1/cases/{{case_id}}/assessments | admin officer
GET /api/v1/cases/{{case_id}}/assessments | admin caseworker officer
POST /api/v1/cases/{{case_id}}/measures | admin caseworker officer
PATCH /api/v1/cases/{{case_id}}/measures/{{kind}} | admin caseworker officer
GET /api/v1/cases/{{case_id}}/stays | admin caseworker officer
POST /api/v1/cases/{{case_id}}/stays | admin caseworker officer
POST /api/v1/cases/{{case_id}}/stays/{{stay_id}}/check-out | admin caseworker officer
POST /api/v1/cases/{{case_id}}/stays/{{stay_id}}/extend | admin caseworker officer
GET /api/v1/cases/{{case_id}}/patrol-plans | admin caseworker officer
POST /api/v1/cases/{{case_id}}/patrol-plans | admin officer
POST /api/v1/cases/{{case_id}}/patrol-plans/{{plan_id}}/end | admin officer
POST /api/v1/cases/{{case_id}}/patrol-plans/{{plan_id}}/logs | admin officer
GET /api/v1/cases/{{case_id}}/relocation-steps | admin caseworker officer
POST /api/v1/cases/{{case_id}}/relocation-steps | admin caseworker officer
PATCH /api/v1/cases/{{case_id}}/relocation-steps/{{step_id}} | admin caseworker officer
GET /api/v1/devices | admin caseworker officer
GET /api/v1/devices/stock | admin caseworker officer
POST /api/v1/devices | admin officer
GET /api/v1/devices/{{device_id}} | admin caseworker officer
POST /api/v1/devices/{{device_id}}/assign | admin officer
POST /api/v1/devices/{{device_id}}/status | admin officer
POST /api/v1/devices/{{device_id}}/credential | admin officer
DELETE /api/v1/devices/{{device_id}}/credential | admin officer
POST /api/v1/device/heartbeat | device
GET /api/v1/devices/{{device_id}}/zones | admin caseworker officer
PUT /api/v1/devices/{{device_id}}/zones | admin officer
GET /api/v1/devices/{{device_id}}/view | admin caseworker officer
PUT /api/v1/device/view | device
GET /api/v1/device/zones | device
GET /api/v1/incidents/{{incident_id}}/live.jpg | admin dispatcher officer security_operator
GET /api/v1/fund | admin caseworker
POST /api/v1/fund/donations | admin caseworker
POST /api/v1/fund/expenditures | admin caseworker
GET /api/v1/fund/entries | admin caseworker
GET /api/v1/fund/report | admin caseworker
GET /api/v1/registry/lookup | admin dispatcher
GET /api/v1/audit | admin
GET /api/v1/audit/verify | admin
GET /api/v1/guidance | {ALL}
GET /api/v1/me/case | protected_person
POST /api/v1/device/events | device
POST /api/v1/device/events/batch | device
GET /api/v1/device/face-lists | device
POST /api/v1/events/{{event_id}}/not-the-offender | admin officer security_operator
PUT /api/v1/device/events/{{event_id}}/clip | device
PUT /api/v1/device/events/{{event_id}}/original/{{media}} | device
POST /api/v1/events/{{event_id}}/originals | officer
POST /api/v1/device/events/{{event_id}}/clip-missing | device
GET /api/v1/cases/{{case_id}}/events | {VIEW}
GET /api/v1/events/{{event_id}}/snapshot | {VIEW}
GET /api/v1/events/{{event_id}}/clip | {VIEW}
GET /api/v1/incidents | {ALL}
GET /api/v1/incidents/{{incident_id}} | {ALL}
GET /api/v1/incidents/{{incident_id}}/evidence | admin officer
POST /api/v1/incidents/{{incident_id}}/hold | admin officer
POST /api/v1/incidents | admin officer
POST /api/v1/incidents/{{incident_id}}/seen | {ALL}
POST /api/v1/incidents/{{incident_id}}/acknowledge | {ALL}
POST /api/v1/incidents/{{incident_id}}/claim | admin security_operator
POST /api/v1/incidents/{{incident_id}}/dispatch | admin security_operator
POST /api/v1/incidents/{{incident_id}}/arrive | admin security_operator
POST /api/v1/incidents/{{incident_id}}/request-police | admin officer security_operator
POST /api/v1/incidents/{{incident_id}}/resolve | admin officer security_operator
POST /api/v1/incidents/{{incident_id}}/police/{{step}} | admin dispatcher
POST /api/v1/incidents/{{incident_id}}/guards | admin security_operator
POST /api/v1/me/sos | protected_person
POST /api/v1/me/location | protected_person
GET /api/v1/me/app-lock | protected_person
PUT /api/v1/me/app-lock | protected_person
GET /api/v1/me/sos-feedback | protected_person
PUT /api/v1/me/sos-feedback | protected_person
POST /api/v1/me/unlock | protected_person
POST /api/v1/device/sos | device
POST /api/v1/device/location | device
POST /api/v1/device/monitor | device
GET /api/v1/media/{{token}} | public
GET /api/v1/stream | {ALL}
GET /api/v1/push/key | {ALL}
POST /api/v1/me/push-subscriptions | {ALL}
DELETE /api/v1/me/push-subscriptions | {ALL}
GET /api/v1/stats/response-times | admin caseworker officer security_operator
GET /api/v1/stats/cameras | admin caseworker officer security_operator
GET /api/v1/stats/disengagement | admin caseworker officer
GET /api/v1/engagement-tasks | admin caseworker officer
GET /api/v1/cases/{{case_id}}/plan | admin caseworker officer
PUT /api/v1/cases/{{case_id}}/plan | admin caseworker officer
GET /api/v1/cases/{{case_id}}/plan/picture | admin caseworker officer
PUT /api/v1/cases/{{case_id}}/plan/picture | admin caseworker officer
POST /api/v1/engagement-tasks/{{task_id}}/close | admin caseworker officer
GET /healthz | public
"""


def _expected() -> dict[tuple[str, str], str]:
    table = {}
    for line in EXPECTED.strip().splitlines():
        route, policy = (p.strip() for p in line.split("|"))
        method, path = route.split(" ")
        table[(method, path)] = policy
    return table


def _policy(route: object) -> str:
    p = route_policy(route)  # type: ignore[arg-type]
    return p if isinstance(p, str) else " ".join(sorted(r.value for r in p or ()))


ROUTES = [(m, path, r) for path, r in api_routes() for m in sorted(r.methods or ())]
SIDE_A_USER = {
    Role.admin: "admin",
    Role.officer: "officer_a",
    Role.caseworker: "caseworker_a",
    Role.security_operator: "security_a",
    Role.dispatcher: "dispatcher",
    Role.protected_person: "victim_a",
}


def test_route_table_matches_written_policy() -> None:
    actual = {(m, path): _policy(r) for m, path, r in ROUTES}
    assert actual == _expected()


def test_openapi_lists_exactly_the_checked_routes(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == {(m, path) for m, path, _ in ROUTES}


def _fill(world: World, path: str, side: str) -> str:
    with world.factory() as s:
        from safewatch.models import Case

        case = s.get(Case, world.cases[side])
        assert case is not None
        offender_id = case.offenders[0].id
    values = {
        "case_id": world.cases[side],
        "offender_id": offender_id,
        "kind": "smartwatch",
        "user_id": world.users[f"victim_{side}"],
        "step": "accept",
        "media": "snapshot",
    }
    url = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), uuid.uuid4())), path)
    return url + "?follow=false" if path.endswith("/stream") else url  # the live stream never ends


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p, _ in ROUTES], ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_each_role_allowed_or_denied(world: World, method: str, path: str) -> None:
    policy = _expected()[(method, path)]
    url = _fill(world, path, "a")
    if policy != "public":
        anonymous = world.client.request(method, url)
        assert anonymous.status_code == 401, anonymous.text
    for role, user in SIDE_A_USER.items():
        r = world.client.request(method, url, headers=world.h(user))
        if policy == "public":  # no sign-in needed (a signed link may still be refused)
            assert r.status_code != 401 and "may not do this" not in r.text, (user, r.text)
        elif role.value in policy.split():
            assert r.status_code not in (401, 403), (user, r.status_code, r.text)
        else:
            assert r.status_code == (401 if policy == "device" else 403), (user, r.text)
            if policy != "device":
                assert r.json()["detail"] == f"a {role.value} may not do this"


CASE_READS = [
    (m, p)
    for m, p, _ in ROUTES
    if m == "GET" and re.fullmatch(r"/api/v1/cases/\{case_id\}(/[a-z-]+)?", p)
]


@pytest.mark.parametrize(("method", "path"), CASE_READS, ids=[p for _, p in CASE_READS])
def test_case_routes_own_versus_others_object(world: World, method: str, path: str) -> None:
    allowed = _expected()[(method, path)].split()
    for role, user in SIDE_A_USER.items():
        if role.value not in allowed:
            continue
        own = world.client.request(method, _fill(world, path, "a"), headers=world.h(user))
        assert own.status_code == 200, (user, own.text)
        other = world.client.request(method, _fill(world, path, "b"), headers=world.h(user))
        expected = 200 if role is Role.admin else 403
        assert other.status_code == expected, (user, other.text)
        if expected == 403:
            assert other.json()["detail"] == "this case is not shared with you"


@pytest.mark.parametrize(
    ("user", "method", "suffix", "body"),
    [
        ("officer_b", "PATCH", "", {"summary": "x"}),
        ("caseworker_b", "PATCH", "", {"summary": "x"}),
        ("officer_b", "POST", "/assessments", {"answers": {}, "decided_level": "normal"}),
        (
            "caseworker_b",
            "POST",
            "/stays",
            {
                "place_name": "p",
                "address": "addr",
                "check_in": "2026-01-01",
                "planned_check_out": "2026-01-20",
            },
        ),
        ("officer_b", "POST", "/offenders", {"full_name": "y"}),
        ("caseworker_b", "POST", "/measures", {"kind": "security_first_response"}),
        (
            "officer_b",
            "POST",
            "/patrol-plans",
            {"place": "home", "windows": [{"weekdays": [1], "start": "20:00", "end": "21:00"}]},
        ),
        ("caseworker_b", "POST", "/relocation-steps", {"title": "find flat"}),
    ],
)
def test_writes_to_another_agencys_case_are_refused(
    world: World, user: str, method: str, suffix: str, body: dict[str, object]
) -> None:
    url = f"/api/v1/cases/{world.cases['a']}{suffix}"
    r = world.client.request(method, url, headers=world.h(user), json=body)
    assert r.status_code == 403, r.text
    assert r.json()["detail"] == "this case is not shared with you"


def test_security_operator_sees_only_company_cases(world: World) -> None:
    assert world.get("security_a", f"/api/v1/cases/{world.cases['a']}").status_code == 200
    assert world.get("security_a", f"/api/v1/cases/{world.cases['b']}").status_code == 403


def test_dispatcher_reads_no_case_file(world: World) -> None:
    r = world.get("dispatcher", f"/api/v1/cases/{world.cases['a']}")
    assert r.status_code == 403


# --- Access that ended (issue 19): every route and every device path, generated as above ---


def _end_every_sign_in(world: World, how: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from safewatch.models import LoginToken, User

    now = datetime.now(UTC)
    with world.factory() as s, s.begin():
        if how == "signed out":
            s.execute(update(LoginToken).values(revoked_at=now))
        elif how == "expired":
            s.execute(update(LoginToken).values(expires_at=now - timedelta(seconds=1)))
        else:  # the accounts disabled
            s.execute(update(User).values(active=False))


@pytest.mark.parametrize("how", ["signed out", "expired", "disabled"])
def test_no_route_answers_a_sign_in_that_ended(world: World, how: str) -> None:
    _end_every_sign_in(world, how)
    for method, path, _ in ROUTES:
        if _expected()[(method, path)] in ("public", "device"):
            continue
        for user in SIDE_A_USER.values():
            r = world.client.request(method, _fill(world, path, "a"), headers=world.h(user))
            assert r.status_code == 401, (how, method, path, user, r.text)


@pytest.mark.parametrize("how", ["credential revoked", "returned to stock", "moved to case B"])
def test_no_device_path_answers_a_credential_that_ended(world: World, how: str) -> None:
    secret = world.device("camera", "CAM-ENDED")
    [camera] = world.get("admin", "/api/v1/devices?kind=camera").json()["items"]
    base = f"/api/v1/devices/{camera['id']}"
    if how == "credential revoked":
        assert (
            world.client.delete(f"{base}/credential", headers=world.h("admin")).status_code == 204
        )
    else:
        back = {"status": "in_stock", "note": how}
        assert world.post("admin", f"{base}/status", back).status_code == 200
        if how == "moved to case B":
            r = world.post("admin", f"{base}/assign", {"case_id": str(world.cases["b"])})
            assert r.status_code == 201, r.text
    device_paths = [(m, p) for m, p, _ in ROUTES if _expected()[(m, p)] == "device"]
    assert set(device_paths) == set(DEVICE_BODIES), "a new device path needs a body here"
    for (method, path), body in DEVICE_BODIES.items():
        headers = {"Authorization": f"Bearer {secret}", **body.get("headers", {})}
        sent = {k: v for k, v in body.items() if k != "headers"}
        # A valid request: refused for the credential, not for its body.
        r = world.client.request(method, _fill(world, path, "a"), headers=headers, **sent)
        assert r.status_code == 401, (how, method, path, r.text)


def _device_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    e = event()
    item = {"camera": 0, "event": e.model_dump(mode="json"), "snapshot": None}
    return {
        ("POST", "/api/v1/device/heartbeat"): {"json": {}},
        ("PUT", "/api/v1/device/view"): {"content": jpeg()},
        ("GET", "/api/v1/device/zones"): {},
        ("POST", "/api/v1/device/events"): {"data": {"event": e.model_dump_json()}},
        ("POST", "/api/v1/device/events/batch"): {"json": {"events": [item]}},
        ("GET", "/api/v1/device/face-lists"): {},
        ("PUT", "/api/v1/device/events/{event_id}/clip"): {
            "content": b"\x00\x00\x00\x18ftypmp42",
            "headers": {"Content-Type": "video/mp4"},
        },
        ("PUT", "/api/v1/device/events/{event_id}/original/{media}"): {"content": jpeg()},
        ("POST", "/api/v1/device/events/{event_id}/clip-missing"): {"json": {"reason": "disk"}},
        ("POST", "/api/v1/device/sos"): {"json": {"latitude": 33.5, "longitude": 126.5}},
        ("POST", "/api/v1/device/location"): {"json": {"latitude": 33.5, "longitude": 126.5}},
        ("POST", "/api/v1/device/monitor"): {"json": {"latitude": 33.5, "longitude": 126.5}},
    }


DEVICE_BODIES = _device_bodies()


PHOTO_UPLOADS = [p for m, p, _ in ROUTES if m == "POST" and p.endswith("/photos")]


@pytest.mark.parametrize("path", PHOTO_UPLOADS)
def test_every_photo_upload_refuses_a_bomb_from_its_header(world: World, path: str) -> None:
    """Uploads (issue 19): each photo route, present and future, refuses a decompression
    bomb's header with 422 and stores nothing."""
    from tests.test_bad_input import _png_claiming

    url = _fill(world, path.replace("{person_id}", _allowed_person(world)), "a")
    r = world.client.post(
        url,
        headers=world.h("officer_a"),
        files={"file": ("x.png", _png_claiming(65535, 65535), "image/png")},
    )
    assert r.status_code == 422 and "too large" in r.json()["detail"], r.text


def _allowed_person(world: World) -> str:
    r = world.post(
        "caseworker_a",
        f"/api/v1/cases/{world.cases['a']}/allowed-people",
        {"full_name": "Mother", "relation": "mother"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])
