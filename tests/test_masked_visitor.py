"""The masked visitor at the hub (issue 23, point 3): a camera's ``unidentified_person`` (a
person in a boundary zone whose face was never usable) opens its own incident — not an
offender alert: nobody is named — and the routing policy tells the guards at every risk level
and the protected person from high risk up."""

from __future__ import annotations

from safewatch.cases.risk import RiskLevel
from safewatch.incidents.facts import IncidentKind
from safewatch.incidents.lifecycle import Recipient
from safewatch.incidents.policy import RoutingPolicy
from tests.test_incidents import _send
from tests.world import World

V1 = "/api/v1"


def test_an_unidentified_person_is_its_own_alert_and_names_nobody(
    world: World, camera_secret: str
) -> None:
    assessed = world.assess("officer_a", "a", "high", reason="stalking after the order")
    assert assessed.status_code == 201, assessed.text
    _send(world.client, camera_secret, type_="unidentified_person")
    [incident] = world.get("security_a", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "unidentified_person"
    d = world.get("security_a", f"{V1}/incidents/{incident['id']}").json()
    assert d["summary"]["facts"]["identity"] is None
    told = {x["recipient"] for x in d["deliveries"] if x["message"] == "alert"}
    assert told == {"victim", "security"}  # no police request: nobody is recognised


def test_who_is_told_of_an_unidentified_person_by_risk_level() -> None:
    policy = RoutingPolicy()
    kind = IncidentKind.unidentified_person
    assert policy.recipients(kind, RiskLevel.normal) == [Recipient.security]
    assert policy.recipients(kind, RiskLevel.high) == [Recipient.victim, Recipient.security]
    assert policy.recipients(kind, RiskLevel.very_high) == [Recipient.victim, Recipient.security]


def test_after_an_intrusion_a_face_never_seen_upgrades_its_incident_and_tells_her(
    world: World, camera_secret: str
) -> None:
    """The masked visitor first walks into the zone (an intrusion), then stays with his face
    hidden: the same person's incident becomes unidentified_person, and the groups that type
    adds are told (found by review: it only joined the intrusion, telling nobody)."""
    assessed = world.assess("officer_a", "a", "normal", reason="stalking after the order")
    assert assessed.status_code == 201, assessed.text
    _send(world.client, camera_secret, type_="intrusion", track=7)
    _send(world.client, camera_secret, type_="unidentified_person", track=7)
    [incident] = world.get("security_a", f"{V1}/incidents").json()["items"]
    assert incident["type"] == "unidentified_person"
    d = world.get("security_a", f"{V1}/incidents/{incident['id']}").json()
    assert [e["kind"] for e in d["timeline"]].count("upgraded") == 1


def test_a_sites_older_policy_file_takes_the_default_route_for_newer_types() -> None:
    """A routing policy written before proximity and unidentified_person existed must not stop
    the hub from starting after an upgrade (found by review)."""
    mine = {"sos": {"any": ["security"]}}
    policy = RoutingPolicy.model_validate({"routes": mine})
    assert policy.recipients(IncidentKind.sos, None) == [Recipient.security]
    assert policy.recipients(IncidentKind.proximity, RiskLevel.normal) == [
        Recipient.victim,
        Recipient.security,
    ]
