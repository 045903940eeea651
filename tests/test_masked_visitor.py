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
