"""Object-level access: who may see a case. Deny unless a rule below allows it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from safewatch.core.roles import Role


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID
    role: Role
    agency_id: uuid.UUID | None


@dataclass(frozen=True)
class CaseScope:
    """The parties a case is shared with."""

    police_station_id: uuid.UUID
    support_centre_id: uuid.UUID | None
    security_company_id: uuid.UUID | None
    protected_user_id: uuid.UUID | None


def can_see_case(actor: Actor, case: CaseScope) -> bool:
    match actor.role:
        case Role.admin:
            return True
        case Role.officer:
            return actor.agency_id == case.police_station_id
        case Role.caseworker:
            return actor.agency_id is not None and actor.agency_id == case.support_centre_id
        case Role.security_operator:
            return actor.agency_id is not None and actor.agency_id == case.security_company_id
        case Role.protected_person:
            return case.protected_user_id is not None and actor.user_id == case.protected_user_id
        case Role.dispatcher:
            # 112 sees registered persons only through the registry look-up, never the case file.
            return False
    return False


def can_manage_case(actor: Actor, case: CaseScope) -> bool:
    """Change a case's records: its police station's officers, its centre's caseworkers, admins."""
    return actor.role in (Role.admin, Role.officer, Role.caseworker) and can_see_case(actor, case)


def can_see_incident(actor: Actor, case: CaseScope, police_requested: bool) -> bool:
    """The 112 centre sees an incident once police are requested: the packet it needs to
    dispatch, still not the case file."""
    if actor.role is Role.dispatcher:
        return police_requested
    return can_see_case(actor, case)


def keeps_personal_data(
    role: Role, closed_at: datetime | None, now: datetime, keep: timedelta
) -> bool:
    """The security company holds the protected person's name, phone and address, the
    offender's description and the home's pictures and live view of an incident while it
    responds and for ``keep`` after it closes; after that the incident is a record without
    them (not a standing file of where a victim lives)."""
    if role is not Role.security_operator or closed_at is None:
        return True
    return now - closed_at <= keep
