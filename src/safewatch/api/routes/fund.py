from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import PageDep, SessionDep, allow
from safewatch.core.roles import Role
from safewatch.schemas.common import Page
from safewatch.schemas.fund import (
    DonationIn,
    ExpenditureIn,
    FundEntryPublic,
    FundPublic,
    FundReport,
)
from safewatch.services import fund as funds
from safewatch.services.context import Caller

router = APIRouter(prefix="/fund", tags=["fund"])
Centre = Annotated[Caller, allow(Role.admin, Role.caseworker)]


@router.get("")
def read_fund(
    session: SessionDep, caller: Centre, centre_id: uuid.UUID | None = None
) -> FundPublic:
    return FundPublic.model_validate(funds.fund_of(session, caller, centre_id))


@router.post("/donations", status_code=201)
def record_donation(
    session: SessionDep, caller: Centre, data: DonationIn, centre_id: uuid.UUID | None = None
) -> FundEntryPublic:
    fund = funds.fund_of(session, caller, centre_id)
    return FundEntryPublic.model_validate(funds.donate(session, caller, fund, data))


@router.post("/expenditures", status_code=201)
def record_expenditure(
    session: SessionDep, caller: Centre, data: ExpenditureIn, centre_id: uuid.UUID | None = None
) -> FundEntryPublic:
    """Spend from the fund; refused with 409 when the balance does not cover it."""
    fund = funds.fund_of(session, caller, centre_id)
    return FundEntryPublic.model_validate(funds.spend(session, caller, fund, data))


@router.get("/entries")
def list_entries(
    session: SessionDep,
    caller: Centre,
    paging: PageDep,
    centre_id: uuid.UUID | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> Page[FundEntryPublic]:
    """The ledger, newest first, for a period when one is given (the report's CSV export)."""
    fund = funds.fund_of(session, caller, centre_id)
    items, total = funds.list_entries(
        session, fund, paging.page, paging.size, period_from, period_to
    )
    return paging.wrap(FundEntryPublic, items, total)


@router.get("/report")
def report(
    session: SessionDep,
    caller: Centre,
    centre_id: uuid.UUID | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> FundReport:
    fund = funds.fund_of(session, caller, centre_id)
    return funds.report(session, fund, period_from, period_to)
