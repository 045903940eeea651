"""Case management through the API as officers and caseworkers use it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import update

from safewatch.models import Case
from tests.live import event
from tests.world import World

V1 = "/api/v1"


def test_officer_opens_case_with_offender_and_order(world: World) -> None:
    body = {
        "protected_person": {
            "full_name": "김민지",
            "phone": "010-9876-5432",
            "address": "제주시 노형동 1",
            "latitude": 33.48,
            "longitude": 126.48,
            "household": [{"full_name": "김하준", "relation": "son"}],
        },
        "support_centre_id": str(world.agencies["centre_a"]),
        "offender": {
            "full_name": "박철수",
            "description": "scar on left cheek",
            "order": {
                "kind": "restraining order",
                "issued_by": "court",
                "starts_on": "2026-11-01",
                "ends_on": "2027-05-01",
                "keep_away_metres": 100,
            },
        },
    }
    r = world.post("officer_a", f"{V1}/cases", body)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["reference"].startswith("TT-") is False  # API uses the configured prefix
    assert case["reference"].startswith("JJ-")
    assert case["police_station_id"] == str(world.agencies["station_a"])
    assert case["risk_level"] is None
    assert case["reassessment_due"] == "not yet assessed"
    assert case["protected_person"]["household"][0]["relation"] == "son"
    assert case["offenders"][0]["orders"][0]["keep_away_metres"] == 100
    # The next case gets the next number.
    r2 = world.post("officer_a", f"{V1}/cases", body)
    n1, n2 = (int(c["reference"].rsplit("-", 1)[1]) for c in (case, r2.json()))
    assert n2 == n1 + 1


def test_officer_cannot_open_case_for_another_station(world: World) -> None:
    body = {
        "protected_person": {"full_name": "X", "phone": "010-1234-5678", "address": "Somewhere"},
        "police_station_id": str(world.agencies["station_b"]),
    }
    r = world.post("officer_a", f"{V1}/cases", body)
    assert r.status_code == 403
    assert "own police station" in r.json()["detail"]


def test_assessment_sets_level_and_required_measures(world: World) -> None:
    r = world.assess("officer_a", "a", "very_high", "threats_to_kill", "stalking")
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["assessment"]["suggested_level"] == "very_high"
    assert result["assessment"]["score"] == 5
    assert set(result["missing_measures"]) == {
        "emergency_line_registration",
        "patrol_plan",
        "smartwatch",
        "safe_accommodation",
        "relocation_support",
        "ai_cctv",
    }
    assert result["review_due_on"] == (date.today() + timedelta(days=30)).isoformat()
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    assert case["risk_level"] == "very_high"
    assert case["reassessment_due"] is None
    assert {m["kind"] for m in case["measures"] if m["status"] == "required"} == set(
        result["missing_measures"]
    )


def test_decision_against_suggestion_needs_reason(world: World) -> None:
    r = world.assess("officer_a", "a", "very_high", "stalking")
    assert r.status_code == 422
    assert "differs from the suggested 'normal'" in r.json()["detail"]
    case = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    assert case["risk_level"] is None and case["measures"] == []  # nothing half-written

    r = world.assess(
        "officer_a",
        "a",
        "very_high",
        "stalking",
        reason="he bought a knife last week, per neighbour",
    )
    assert r.status_code == 201
    assert r.json()["assessment"]["override_reason"].startswith("he bought a knife")


def test_lowering_level_recomputes_and_lists_what_is_missing(world: World) -> None:
    world.assess("officer_a", "a", "high", "stalking", "prior_violence", "substance_abuse")
    # Put a watch in place for real: a device assigned to the case.
    dev = world.post("officer_a", f"{V1}/devices", {"kind": "smartwatch", "serial": "SW-1"}).json()
    assert (
        world.post(
            "officer_a", f"{V1}/devices/{dev['id']}/assign", {"case_id": str(world.cases["a"])}
        ).status_code
        == 201
    )
    r = world.patch(
        "officer_a", f"{V1}/cases/{world.cases['a']}/measures/smartwatch", {"status": "in_place"}
    )
    assert r.status_code == 200, r.text

    r = world.assess("officer_a", "a", "normal", reason="offender moved abroad, confirmed")
    assert r.status_code == 201
    assert r.json()["no_longer_required"] == ["smartwatch"]
    assert set(r.json()["missing_measures"]) == {"emergency_line_registration", "patrol_plan"}

    r = world.assess("officer_a", "a", "very_high", "threats_to_kill")
    missing = set(r.json()["missing_measures"])
    assert "smartwatch" not in missing  # still in place from before
    assert {"safe_accommodation", "relocation_support", "ai_cctv"} <= missing


def test_measure_in_place_needs_evidence(world: World) -> None:
    world.assess("officer_a", "a", "high", "stalking", "prior_violence", "substance_abuse")
    url = f"{V1}/cases/{world.cases['a']}/measures"
    r = world.patch("officer_a", f"{url}/smartwatch", {"status": "in_place"})
    assert r.status_code == 409
    assert r.json()["detail"] == "'smartwatch' cannot be marked in place: no smartwatch is assigned"
    r = world.patch("officer_a", f"{url}/patrol_plan", {"status": "in_place"})
    assert "no active patrol plan" in r.json()["detail"]
    r = world.patch("officer_a", f"{url}/emergency_line_registration", {"status": "in_place"})
    assert r.status_code == 200 and r.json()["in_place_since"]
    r = world.patch("officer_a", f"{url}/emergency_line_registration", {"status": "required"})
    assert r.status_code == 409 and "cannot go from 'in_place' to 'required'" in r.json()["detail"]
    r = world.patch("officer_a", f"{url}/ai_cctv", {"status": "in_place"})
    assert r.status_code == 409 and "no open 'ai_cctv' measure" in r.json()["detail"]


def test_first_response_available_without_a_level(world: World) -> None:
    url = f"{V1}/cases/{world.cases['a']}/measures"
    r = world.post("caseworker_a", url, {"kind": "security_first_response"})
    assert r.status_code == 201
    r = world.post("caseworker_a", url, {"kind": "smartwatch"})
    assert r.status_code == 422 and "follows from the risk level" in r.json()["detail"]
    r = world.patch("caseworker_a", f"{url}/security_first_response", {"status": "in_place"})
    assert r.status_code == 200  # the case has a security company


def test_review_date_and_incident_prompt_reassessment(world: World) -> None:
    world.assess("officer_a", "a", "normal")
    with world.factory() as s, s.begin():
        s.execute(
            update(Case)
            .where(Case.id == world.cases["a"])
            .values(review_due_on=date.today() - timedelta(days=1))
        )
    rows = world.get("officer_a", f"{V1}/cases").json()["items"]
    row = next(c for c in rows if c["id"] == str(world.cases["a"]))
    assert row["reassessment_due"].startswith("review date")
    world.assess("officer_a", "a", "normal")
    rows = world.get("officer_a", f"{V1}/cases").json()["items"]
    assert next(c for c in rows if c["id"] == str(world.cases["a"]))["reassessment_due"] is None

    # An incident at the home (the camera sees someone on the lawn) calls for a new one.
    camera = world.device("camera", "CAM-LAWN")
    r = world.client.post(
        f"{V1}/device/events",
        data={"event": event(camera="lawn").model_dump_json()},
        headers={"Authorization": f"Bearer {camera}"},
    )
    assert r.status_code == 201, r.text
    row = world.get("officer_a", f"{V1}/cases/{world.cases['a']}").json()
    assert re.fullmatch(r"incident INC-\d{4}-\d{4} \(intrusion\)", row["reassessment_due"])


def test_lists_are_paginated_and_scoped(world: World) -> None:
    with world.factory() as s, s.begin():
        for _ in range(3):
            world.open_case(s, "a", link_user=False)
    page = world.get("officer_a", f"{V1}/cases", params={"size": 2, "page": 2}).json()
    assert page["total"] == 4 and page["page"] == 2 and len(page["items"]) == 2
    assert world.get("officer_b", f"{V1}/cases").json()["total"] == 1
    assert world.get("admin", f"{V1}/cases").json()["total"] == 5
    victim = world.get("victim_a", f"{V1}/cases").json()
    assert [c["id"] for c in victim["items"]] == [str(world.cases["a"])]
    assert world.get("security_b", f"{V1}/cases").json()["total"] == 1


def test_closing_needs_measures_ended(world: World) -> None:
    world.assess("officer_a", "a", "normal")
    url = f"{V1}/cases/{world.cases['a']}"
    world.patch("officer_a", f"{url}/measures/emergency_line_registration", {"status": "in_place"})
    r = world.patch("officer_a", url, {"closed": True})
    assert r.status_code == 409 and "emergency_line_registration" in r.json()["detail"]
    world.patch("officer_a", f"{url}/measures/emergency_line_registration", {"status": "ended"})
    r = world.patch("officer_a", url, {"closed": True})
    assert r.status_code == 200 and r.json()["closed_at"]
    assert world.get("officer_a", f"{V1}/cases").json()["total"] == 0
    assert (
        world.get("officer_a", f"{V1}/cases", params={"include_closed": True}).json()["total"] == 1
    )


def test_protected_person_sees_own_case_guidance_and_measures(world: World) -> None:
    world.assess("officer_a", "a", "very_high", "threats_to_kill")
    r = world.get("victim_a", f"{V1}/me/case", params={"language": "en"})
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["risk_level"] == "very_high"
    assert any("Do not return home" in g for g in me["guidance"])
    assert "safe_accommodation" in me["missing_measures"]
    ko = world.get("victim_a", f"{V1}/me/case").json()
    assert any("112" in g for g in ko["guidance"]) and ko["guidance"] != me["guidance"]
    assert world.get("victim_a", f"{V1}/cases/{world.cases['b']}").status_code == 403


def test_person_and_offender_details_can_change(world: World) -> None:
    url = f"{V1}/cases/{world.cases['a']}"
    r = world.patch(
        "caseworker_a",
        f"{url}/person",
        {
            "address": "서귀포시 새주소 9",
            "latitude": 33.25,
            "household": [
                {"full_name": "Min", "relation": "son"},
                {"full_name": "Ara", "relation": "mother", "phone": "010-2222-3333"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    person = world.get("officer_a", url).json()["protected_person"]
    assert person["address"] == "서귀포시 새주소 9" and person["latitude"] == 33.25
    assert person["phone"] == "010-1111-0001"  # untouched
    assert sorted(m["full_name"] for m in person["household"]) == ["Ara", "Min"]
    r = world.patch("caseworker_a", f"{url}/person", {"phone": None})
    assert r.status_code == 422 and "phone cannot be emptied" in r.json()["detail"]
    offender_id = world.get("officer_a", url).json()["offenders"][0]["id"]
    r = world.patch(
        "officer_a", f"{url}/offenders/{offender_id}", {"description": "now has a beard"}
    )
    assert r.status_code == 200 and r.json()["description"] == "now has a beard"
    trail = world.get("officer_a", f"{url}/audit", params={"action": "update"}).json()["items"]
    assert any(e["entity"] == "protected_person" and "address" in e["reason"] for e in trail)


def test_the_checklist_suggestion_is_shown_before_deciding(world: World) -> None:
    from tests.world import answers

    r = world.post("officer_a", "/api/v1/risk/suggestion", {"answers": answers("threats_to_kill")})
    assert r.status_code == 200, r.text
    suggestion = r.json()
    assert suggestion["level"] == "very_high"
    assert "ai_cctv" in suggestion["required_measures"]
    r = world.post("officer_a", "/api/v1/risk/suggestion", {"answers": answers()})
    assert r.json()["level"] == "normal" and "ai_cctv" not in r.json()["required_measures"]
    r = world.post("officer_a", "/api/v1/risk/suggestion", {"answers": {"threats_to_kill": True}})
    assert r.status_code == 422 and "every question must be answered" in r.json()["detail"]
