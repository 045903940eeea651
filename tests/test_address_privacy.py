"""Where the protected person lives is shown only to those who need it: the case's officer,
caseworker, the person themselves and administrators. The security company gets the address
with each incident it responds to, not the standing record."""

from __future__ import annotations

from tests.world import World

V1 = "/api/v1"


def test_the_security_company_sees_the_address_only_with_an_incident(world: World) -> None:
    url = f"{V1}/cases/{world.cases['a']}"
    for user in ("officer_a", "caseworker_a", "victim_a", "admin"):
        person = world.get(user, url).json()["protected_person"]
        assert person["address"] == "A street 1, Jeju" and person["latitude"] == 33.5, user
    seen = world.get("security_a", url).json()["protected_person"]
    assert seen["address"] is None and seen["latitude"] is None and seen["longitude"] is None
    assert seen["full_name"] == "Person A"  # who to protect, yes; where they live, no

    body = {"case_id": str(world.cases["a"]), "summary": "a man at the gate"}
    incident = world.post("officer_a", f"{V1}/incidents", body).json()
    packet = world.get("security_a", f"{V1}/incidents/{incident['id']}").json()["packet"]
    assert packet["protected_person"]["address"] == "A street 1, Jeju"
