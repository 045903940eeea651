"""Opening, finding, reading and changing cases, with access checks and audit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from safewatch.cases.access import can_manage_case, can_see_case
from safewatch.cases.measures import MeasureKind, MeasureStatus, plan_measures
from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from safewatch.core.roles import AgencyKind, Role
from safewatch.models import (
    Agency,
    Case,
    CaseCounter,
    HouseholdMember,
    Offender,
    ProtectedPerson,
    ProtectionOrder,
    User,
)
from safewatch.schemas.cases import (
    CaseCreate,
    CaseUpdate,
    OffenderIn,
    OffenderUpdate,
    ProtectedPersonUpdate,
    ProtectionOrderIn,
)
from safewatch.services.access import agency_address, end_access, user_address
from safewatch.services.context import Caller
from safewatch.services.measures import active_measures
from safewatch.store.base import table
from safewatch.store.paging import page_of


def today() -> date:
    return datetime.now(UTC).date()


def get_case(
    session: Session, caller: Caller, case_id: uuid.UUID, purpose: str, manage: bool = False
) -> Case:
    """A case the caller may see (or change, with ``manage``); the read is audited."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("no such case")
    allowed = can_manage_case if manage else can_see_case
    if not allowed(caller.actor, case.scope):
        raise Forbidden("this case is not shared with you")
    caller.record(session, "update" if manage else "read", "case", case.id, purpose, case.id)
    return case


def scope_filter(caller: Caller) -> ColumnElement[bool]:
    """The cases a caller may list (SQL condition on Case)."""
    match caller.role:
        case Role.admin:
            return true()
        case Role.officer:
            return Case.police_station_id == caller.agency_id
        case Role.caseworker:
            return Case.support_centre_id == caller.agency_id
        case Role.security_operator:
            return Case.security_company_id == caller.agency_id
        case Role.protected_person:
            return Case.protected_person.has(ProtectedPerson.user_id == caller.user_id)
    raise Forbidden("your role has no case list")


def list_cases(
    session: Session,
    caller: Caller,
    page: int,
    size: int,
    risk_level: str | None = None,
    open_only: bool = True,
) -> tuple[list[Case], int]:
    where = [scope_filter(caller)]
    if risk_level:
        where.append(Case.risk_level == risk_level)
    if open_only:
        where.append(Case.closed_at.is_(None))
    cases, total = page_of(session, Case, where, [Case.created_at.desc(), Case.id], page, size)
    caller.record(session, "read", "case", None, f"case list page {page} ({len(cases)} cases)")
    return cases, total


def missing_measures(case: Case) -> list[MeasureKind]:
    return sorted(plan_measures(case.risk_level, active_measures(case)).missing)


def _agency(session: Session, agency_id: uuid.UUID | None, kind: AgencyKind) -> uuid.UUID | None:
    if agency_id is None:
        return None
    agency = session.get(Agency, agency_id)
    if agency is None or agency.kind is not kind:
        raise Invalid(f"agency {agency_id} is not a known {kind.value.replace('_', ' ')}")
    return agency.id


def _staff(session: Session, user_id: uuid.UUID | None, role: Role) -> uuid.UUID | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.role is not role or not user.active:
        raise Invalid(f"user {user_id} is not an active {role.value}")
    return user.id


def next_reference(session: Session, prefix: str) -> str:
    """The next number of the year for this prefix (cases: the region; incidents: INC)."""
    return next_references(session, prefix, 1)[0]


def _insert_for(session: Session) -> Any:
    """The dialect's INSERT (both have ON CONFLICT DO NOTHING)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def next_references(session: Session, prefix: str, count: int) -> list[str]:
    """``count`` consecutive numbers, taken in one statement on the year's counter (the
    alert path takes one per batch of incidents)."""
    year = today().year
    c = table(CaseCounter)
    last = session.scalar(
        update(c)
        .where(c.c.prefix == prefix, c.c.year == year)
        .values(last=c.c.last + count)
        .returning(c.c.last)
    )
    if last is None:  # the year's first; another replica may be making it at the same time
        session.execute(
            _insert_for(session)(c)
            .values(prefix=prefix, year=year, last=0)
            .on_conflict_do_nothing()
        )
        return next_references(session, prefix, count)
    return [f"{prefix}-{year}-{n:04d}" for n in range(last - count + 1, last + 1)]


def create_case(session: Session, caller: Caller, data: CaseCreate, prefix: str) -> Case:
    station_id = data.police_station_id
    if caller.role is Role.officer:
        if station_id not in (None, caller.agency_id):
            raise Forbidden("officers open cases for their own police station")
        station_id = caller.agency_id
    if station_id is None:
        raise Invalid("police_station_id is required")
    station = _agency(session, station_id, AgencyKind.police_station)
    assert station is not None
    person_in = data.protected_person
    person = ProtectedPerson(
        full_name=person_in.full_name,
        phone=person_in.phone,
        email=person_in.email,
        address=person_in.address,
        latitude=person_in.latitude,
        longitude=person_in.longitude,
        language=person_in.language,
        user_id=_protected_login(session, data.protected_user_id),
        household=[HouseholdMember(**m.model_dump()) for m in person_in.household],
    )
    session.add(person)
    case = Case(
        reference=next_reference(session, prefix),
        protected_person=person,
        police_station_id=station,
        support_centre_id=_agency(session, data.support_centre_id, AgencyKind.support_centre),
        security_company_id=_agency(session, data.security_company_id, AgencyKind.security_company),
        officer_id=caller.user_id if caller.role is Role.officer else None,
        summary=data.summary,
        offenders=[],
        measures=[],
    )
    session.add(case)
    session.flush()
    caller.record(session, "create", "case", case.id, "case opened", case.id)
    if data.offender is not None:
        add_offender(session, caller, case, data.offender)
    return case


def _protected_login(session: Session, user_id: uuid.UUID | None) -> uuid.UUID | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.role is not Role.protected_person:
        raise Invalid("protected_user_id must be the login of a protected person")
    taken = session.scalar(select(ProtectedPerson.id).where(ProtectedPerson.user_id == user_id))
    if taken is not None:
        raise Conflict("that login already belongs to another protected person")
    return user.id


def update_case(session: Session, caller: Caller, case: Case, data: CaseUpdate) -> Case:
    fields = data.model_fields_set
    before = (case.security_company_id, case.officer_id, case.closed_at)
    if "support_centre_id" in fields:
        case.support_centre_id = _agency(session, data.support_centre_id, AgencyKind.support_centre)
    if "security_company_id" in fields:
        case.security_company_id = _agency(
            session, data.security_company_id, AgencyKind.security_company
        )
    if "officer_id" in fields:
        case.officer_id = _staff(session, data.officer_id, Role.officer)
    if "caseworker_id" in fields:
        case.caseworker_id = _staff(session, data.caseworker_id, Role.caseworker)
    if data.summary is not None:
        case.summary = data.summary
    if "proximity_radius_m" in fields:
        case.proximity_radius_m = data.proximity_radius_m
    if data.closed is not None:
        if data.closed and case.closed_at is None:
            _refuse_close_with_devices(case)
            case.closed_at = datetime.now(UTC)
        elif not data.closed:
            case.closed_at = None
    _end_access_taken(session, case, *before)
    session.flush()
    return case


def _end_access_taken(
    session: Session,
    case: Case,
    company: uuid.UUID | None,
    officer: uuid.UUID | None,
    closed_at: datetime | None,
) -> None:
    """Whoever the case was taken from has their open screens end (they reconnect to what is
    theirs now): a security company or officer replaced, everyone at its close."""
    closing = case.closed_at is not None and closed_at is None
    taken = []
    if company and (closing or company != case.security_company_id):
        taken.append(agency_address(company))
    if officer and (closing or officer != case.officer_id):
        taken.append(user_address(officer))
    person = case.protected_person.user_id
    if person and closing:
        taken.append(user_address(person))
    what = "closed" if closing else "given to someone else"
    end_access(session, taken, f"case {case.reference} {what}")


def update_person(
    session: Session, caller: Caller, case: Case, data: ProtectedPersonUpdate
) -> ProtectedPerson:
    person = case.protected_person
    changes = data.model_dump(exclude_unset=True, exclude={"household"})
    for name in ("full_name", "phone", "address", "language"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be emptied")
    for name, value in changes.items():
        setattr(person, name, value)
    if data.household is not None:
        person.household = [HouseholdMember(**m.model_dump()) for m in data.household]
    session.flush()
    fields = sorted(data.model_fields_set)
    caller.record(
        session, "update", "protected_person", person.id, "changed " + ", ".join(fields), case.id
    )
    return person


def update_offender(
    session: Session, caller: Caller, case: Case, offender: Offender, data: OffenderUpdate
) -> Offender:
    changes = data.model_dump(exclude_unset=True)
    if "full_name" in changes and changes["full_name"] is None:
        raise Invalid("full_name cannot be emptied")
    for name, value in changes.items():
        setattr(offender, name, value)
    session.flush()
    caller.record(
        session, "update", "offender", offender.id, "changed " + ", ".join(sorted(changes)), case.id
    )
    return offender


def _refuse_close_with_devices(case: Case) -> None:
    live = [m.kind.value for m in active_measures(case) if m.status is MeasureStatus.in_place]
    if live:
        raise Conflict(
            "end the measures still in place before closing the case: " + ", ".join(sorted(live))
        )


def add_offender(session: Session, caller: Caller, case: Case, data: OffenderIn) -> Offender:
    offender = Offender(
        case_id=case.id,
        full_name=data.full_name,
        description=data.description,
        birth_year=data.birth_year,
        relation_to_victim=data.relation_to_victim,
        photos=[],
        orders=[],
    )
    session.add(offender)
    case.offenders.append(offender)
    session.flush()
    caller.record(session, "create", "offender", offender.id, "offender recorded", case.id)
    if data.order is not None:
        add_order(session, caller, case, offender, data.order)
    return offender


def find_offender(case: Case, offender_id: uuid.UUID) -> Offender:
    for offender in case.offenders:
        if offender.id == offender_id:
            return offender
    raise NotFound("no such offender in this case")


def add_order(
    session: Session, caller: Caller, case: Case, offender: Offender, data: ProtectionOrderIn
) -> ProtectionOrder:
    order = ProtectionOrder(offender_id=offender.id, **data.model_dump())
    session.add(order)
    offender.orders.append(order)
    session.flush()
    caller.record(session, "create", "protection_order", order.id, "order linked", case.id)
    return order
