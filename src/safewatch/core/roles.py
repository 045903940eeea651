"""Who takes part: the agencies of the programme and the roles of the people in them."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    police_station = "police_station"
    support_centre = "support_centre"
    security_company = "security_company"
    emergency_centre = "emergency_centre"  # the 112 centre


class Role(StrEnum):
    admin = "admin"
    officer = "officer"  # police victim-protection officer
    caseworker = "caseworker"  # victim support centre
    security_operator = "security_operator"
    dispatcher = "dispatcher"  # 112 centre
    protected_person = "protected_person"


# The agency a person of each role must belong to; admins and protected persons belong to none.
ROLE_AGENCY: dict[Role, AgencyKind | None] = {
    Role.admin: None,
    Role.officer: AgencyKind.police_station,
    Role.caseworker: AgencyKind.support_centre,
    Role.security_operator: AgencyKind.security_company,
    Role.dispatcher: AgencyKind.emergency_centre,
    Role.protected_person: None,
}

STAFF = (Role.admin, Role.officer, Role.caseworker)
