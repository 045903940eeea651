"""Who receives a real-time notice: recipients → bus addresses, and a connection's addresses."""

from __future__ import annotations

from safewatch.cases.access import Actor, CaseScope
from safewatch.core.roles import Role
from safewatch.incidents.lifecycle import Recipient

DISPATCHERS = "role:dispatcher"


def user_address(user_id: object) -> str:
    return f"user:{user_id}"


def agency_address(agency_id: object) -> str:
    return f"agency:{agency_id}"


def recipient_address(recipient: Recipient, case: CaseScope, officer: object | None) -> str | None:
    """The address a recipient group is reached at, or None when it has nobody to reach."""
    match recipient:
        case Recipient.victim:
            return user_address(case.protected_user_id) if case.protected_user_id else None
        case Recipient.security:
            return agency_address(case.security_company_id) if case.security_company_id else None
        case Recipient.police:
            return DISPATCHERS
        case Recipient.officer:
            return user_address(officer) if officer else None
    return None


def listener_addresses(actor: Actor) -> frozenset[str]:
    """What a signed-in person's stream listens to."""
    addresses = {user_address(actor.user_id)}
    if actor.role is Role.security_operator and actor.agency_id:
        addresses.add(agency_address(actor.agency_id))
    if actor.role is Role.dispatcher:
        addresses.add(DISPATCHERS)
    if actor.role is Role.admin:
        addresses.add("role:admin")
    return frozenset(addresses)


def recipient_of(actor: Actor, case: CaseScope, officer: object | None) -> Recipient | None:
    """Which recipient group a person answers for on this case."""
    if actor.role is Role.protected_person and actor.user_id == case.protected_user_id:
        return Recipient.victim
    if actor.role is Role.security_operator and actor.agency_id == case.security_company_id:
        return Recipient.security
    if actor.role is Role.dispatcher:
        return Recipient.police
    if actor.role is Role.officer and (
        actor.user_id == officer or actor.agency_id == case.police_station_id
    ):
        return Recipient.officer
    return None
