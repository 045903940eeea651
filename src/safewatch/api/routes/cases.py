from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import or_

from safewatch.api.deps import (
    STAFF,
    EnrolmentDep,
    PageDep,
    PhotoStoreDep,
    SessionDep,
    SettingsDep,
    allow,
)
from safewatch.api.presenters import case_public, case_summary
from safewatch.cases.risk import RiskLevel
from safewatch.core.errors import Invalid
from safewatch.core.roles import Role
from safewatch.models import AuditEntry
from safewatch.schemas.audit import AuditEntryPublic, named_entries
from safewatch.schemas.cases import (
    AllowedPersonIn,
    AllowedPersonPublic,
    CaseCreate,
    CasePublic,
    CaseSummary,
    CaseUpdate,
    OffenderIn,
    OffenderPublic,
    OffenderUpdate,
    PhotoPublic,
    ProtectedPersonPublic,
    ProtectedPersonUpdate,
    ProtectionOrderIn,
    ProtectionOrderPublic,
)
from safewatch.schemas.common import Page
from safewatch.services import accounts, cases, photos
from safewatch.services.context import Caller
from safewatch.services.enrolment import order_end
from safewatch.store.paging import page_of

router = APIRouter(prefix="/cases", tags=["cases"])

CASE_READERS = (*STAFF, Role.security_operator, Role.protected_person)
NOTED_READS = ("event_original",)  # readings a case's history lists among its changes
Reader = Annotated[Caller, allow(*CASE_READERS)]
Manager = Annotated[Caller, allow(*STAFF)]
Police = Annotated[Caller, allow(Role.admin, Role.officer)]


@router.get("")
def list_cases(
    session: SessionDep,
    caller: Reader,
    paging: PageDep,
    risk_level: RiskLevel | None = None,
    include_closed: bool = False,
) -> Page[CaseSummary]:
    items, total = cases.list_cases(
        session, caller, paging.page, paging.size, risk_level, open_only=not include_closed
    )
    return Page(
        items=[case_summary(c) for c in items], total=total, page=paging.page, size=paging.size
    )


@router.post("", status_code=201)
def open_case(
    session: SessionDep, caller: Police, settings: SettingsDep, data: CaseCreate
) -> CasePublic:
    case = cases.create_case(session, caller, data, settings.case_reference_prefix)
    return case_public(case, caller.role)


@router.get("/{case_id}")
def read_case(session: SessionDep, caller: Reader, case_id: uuid.UUID) -> CasePublic:
    return case_public(cases.get_case(session, caller, case_id, "case viewed"), caller.role)


@router.patch("/{case_id}")
def update_case(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, data: CaseUpdate
) -> CasePublic:
    case = cases.get_case(session, caller, case_id, "case changed", manage=True)
    return case_public(cases.update_case(session, caller, case, data), caller.role)


@router.patch("/{case_id}/person")
def update_person(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, data: ProtectedPersonUpdate
) -> ProtectedPersonPublic:
    """Change the protected person's contact, address (e.g. after relocation) or household."""
    case = cases.get_case(session, caller, case_id, "person changed", manage=True)
    return ProtectedPersonPublic.model_validate(cases.update_person(session, caller, case, data))


@router.patch("/{case_id}/offenders/{offender_id}")
def update_offender(
    session: SessionDep,
    caller: Police,
    case_id: uuid.UUID,
    offender_id: uuid.UUID,
    data: OffenderUpdate,
) -> OffenderPublic:
    case = cases.get_case(session, caller, case_id, "offender changed", manage=True)
    offender = cases.find_offender(case, offender_id)
    return OffenderPublic.model_validate(
        cases.update_offender(session, caller, case, offender, data)
    )


@router.post("/{case_id}/offenders", status_code=201)
def add_offender(
    session: SessionDep, caller: Police, case_id: uuid.UUID, data: OffenderIn
) -> OffenderPublic:
    case = cases.get_case(session, caller, case_id, "offender added", manage=True)
    return OffenderPublic.model_validate(cases.add_offender(session, caller, case, data))


@router.post("/{case_id}/offenders/{offender_id}/orders", status_code=201)
def add_order(
    session: SessionDep,
    caller: Police,
    case_id: uuid.UUID,
    offender_id: uuid.UUID,
    data: ProtectionOrderIn,
    enrolment: EnrolmentDep,
) -> ProtectionOrderPublic:
    """Link an order; the offender's face templates live as long as the latest order."""
    case = cases.get_case(session, caller, case_id, "order linked", manage=True)
    offender = cases.find_offender(case, offender_id)
    order = cases.add_order(session, caller, case, offender, data)
    enrolment.templates.set_expiry(offender.id, order_end(offender))
    return ProtectionOrderPublic.model_validate(order)


@router.post("/{case_id}/offenders/{offender_id}/photos", status_code=201)
async def add_photo(
    session: SessionDep,
    caller: Police,
    settings: SettingsDep,
    store: PhotoStoreDep,
    enrolment: EnrolmentDep,
    case_id: uuid.UUID,
    offender_id: uuid.UUID,
    file: UploadFile,
) -> PhotoPublic:
    """An enrolment photo: one face, large, sharp, looking roughly at the camera — else 422
    with the reasons. Accepted photos become the offender's face templates."""
    # Read one byte past the limit: enough to refuse an oversized upload without holding it all.
    data = await file.read(settings.max_photo_bytes + 1)

    def enrol() -> PhotoPublic:  # the database and the face models: off the event loop
        case = cases.get_case(session, caller, case_id, "enrolment photo added", manage=True)
        offender = cases.find_offender(case, offender_id)
        photo = photos.add_photo(
            session, caller, store, case, offender, data, settings.max_photo_bytes, enrolment
        )
        return PhotoPublic.model_validate(photo)

    return await run_in_threadpool(enrol)


@router.get("/{case_id}/allowed-people")
def list_allowed_people(
    session: SessionDep,
    caller: Annotated[Caller, allow(*STAFF, Role.protected_person)],
    case_id: uuid.UUID,
) -> list[AllowedPersonPublic]:
    """The case's allow list: people the camera knows as familiar."""
    case = cases.get_case(session, caller, case_id, "allow list viewed")
    return [AllowedPersonPublic.model_validate(p) for p in case.allowed_people]


@router.post("/{case_id}/allowed-people", status_code=201)
def add_allowed_person(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, data: AllowedPersonIn
) -> AllowedPersonPublic:
    """A household member or carer; add photos so the camera recognises them."""
    case = cases.get_case(session, caller, case_id, "allow list changed", manage=True)
    return AllowedPersonPublic.model_validate(
        photos.add_allowed_person(session, caller, case, data)
    )


@router.delete("/{case_id}/allowed-people/{person_id}", status_code=204)
def remove_allowed_person(
    session: SessionDep,
    caller: Manager,
    store: PhotoStoreDep,
    enrolment: EnrolmentDep,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
) -> None:
    """Off the allow list, with their photos and face templates."""
    case = cases.get_case(session, caller, case_id, "allow list changed", manage=True)
    person = photos.find_allowed_person(case, person_id)
    photos.remove_allowed_person(session, caller, store, case, person, enrolment)


@router.post("/{case_id}/allowed-people/{person_id}/photos", status_code=201)
async def add_allowed_photo(
    session: SessionDep,
    caller: Manager,
    settings: SettingsDep,
    store: PhotoStoreDep,
    enrolment: EnrolmentDep,
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    file: UploadFile,
) -> PhotoPublic:
    """The same checks as an offender's photo; accepted photos join the allow list."""
    data = await file.read(settings.max_photo_bytes + 1)

    def enrol() -> PhotoPublic:  # the database and the face models: off the event loop
        case = cases.get_case(session, caller, case_id, "allow list photo added", manage=True)
        person = photos.find_allowed_person(case, person_id)
        photo = photos.add_allowed_photo(
            session, caller, store, case, person, data, settings.max_photo_bytes, enrolment
        )
        return PhotoPublic.model_validate(photo)

    return await run_in_threadpool(enrol)


@router.get(
    "/{case_id}/photos/{photo_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def read_photo(
    session: SessionDep,
    caller: Annotated[Caller, allow(*STAFF, Role.security_operator)],
    store: PhotoStoreDep,
    case_id: uuid.UUID,
    photo_id: uuid.UUID,
) -> Response:
    case = cases.get_case(session, caller, case_id, "offender photo viewed")
    photo = photos.read_photo(session, caller, store, case, photo_id)
    return Response(
        store.get(photo.stored_name),
        media_type=photo.content_type,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/{case_id}/audit")
def case_audit(
    session: SessionDep,
    caller: Manager,
    case_id: uuid.UUID,
    paging: PageDep,
    action: Annotated[str | None, Query(max_length=40)] = None,
    changes: bool = False,
) -> Page[AuditEntryPublic]:
    """Who viewed or changed this case, newest first; ``changes=true``: what changed it, and
    each opening of an unblurred original (a reading that must never go unnoticed)."""
    case = cases.get_case(session, caller, case_id, "case audit trail viewed")
    where = [AuditEntry.case_id == case.id]
    if changes:
        where.append(or_(AuditEntry.action != "read", AuditEntry.entity.in_(NOTED_READS)))
    if action:
        if not action.isidentifier():
            raise Invalid("action is a word such as read or update")
        where.append(AuditEntry.action == action)
    order = [AuditEntry.seq.desc()]
    rows, total = page_of(session, AuditEntry, where, order, paging.page, paging.size)
    names = accounts.names_of(session, (r.actor_id for r in rows))
    items = named_entries(rows, names)
    return Page(items=items, total=total, page=paging.page, size=paging.size)
