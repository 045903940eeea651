"""Donations and expenditures of a support centre's fund; the balance never goes below zero."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from safewatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from safewatch.core.roles import AgencyKind, Role
from safewatch.models import Agency, Case, Fund, FundEntry
from safewatch.models.fund import EntryKind
from safewatch.schemas.fund import CaseTotal, CategoryTotal, DonationIn, ExpenditureIn, FundReport
from safewatch.services.context import Caller
from safewatch.store.paging import page_of


def fund_of(session: Session, caller: Caller, centre_id: uuid.UUID | None) -> Fund:
    """The fund of the caller's centre (admins name one). Created empty on first use."""
    if caller.role is not Role.admin:
        if centre_id not in (None, caller.agency_id):
            raise Forbidden("you can see only your own centre's fund")
        centre_id = caller.agency_id
    if centre_id is None:
        raise Invalid("centre_id is required")
    centre = session.get(Agency, centre_id)
    if centre is None or centre.kind is not AgencyKind.support_centre:
        raise NotFound("no such support centre")
    fund = session.scalar(select(Fund).where(Fund.centre_id == centre_id))
    if fund is None:
        fund = Fund(centre_id=centre_id, balance_krw=0)
        session.add(fund)
        session.flush()
    return fund


def donate(session: Session, caller: Caller, fund: Fund, data: DonationIn) -> FundEntry:
    session.execute(
        update(Fund)
        .where(Fund.id == fund.id)
        .values(balance_krw=Fund.balance_krw + data.amount_krw)
    )
    entry = FundEntry(
        fund_id=fund.id,
        kind=EntryKind.donation,
        amount_krw=data.amount_krw,
        on_date=data.on_date,
        donor=data.donor,
        description=data.description,
        recorded_by=caller.user_id,
    )
    session.add(entry)
    session.flush()
    session.refresh(fund)
    caller.record(session, "create", "fund_entry", entry.id, "donation")
    return entry


def spend(session: Session, caller: Caller, fund: Fund, data: ExpenditureIn) -> FundEntry:
    if data.case_id is not None:
        case = session.get(Case, data.case_id)
        if case is None or case.support_centre_id != fund.centre_id:
            raise Invalid("an expenditure can be booked only to a case of this centre")
    # One conditional UPDATE: two spends racing for the last won can never both pass.
    done = session.execute(
        update(Fund)
        .where(Fund.id == fund.id, Fund.balance_krw >= data.amount_krw)
        .values(balance_krw=Fund.balance_krw - data.amount_krw)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(fund)
        raise Conflict(
            f"the fund holds {fund.balance_krw:,} KRW; an expenditure of "
            f"{data.amount_krw:,} KRW would overspend it"
        )
    entry = FundEntry(
        fund_id=fund.id,
        kind=EntryKind.expenditure,
        amount_krw=data.amount_krw,
        on_date=data.on_date,
        category=data.category,
        case_id=data.case_id,
        description=data.description,
        recorded_by=caller.user_id,
    )
    session.add(entry)
    session.flush()
    session.refresh(fund)
    caller.record(session, "create", "fund_entry", entry.id, "expenditure", data.case_id)
    return entry


def list_entries(
    session: Session,
    fund: Fund,
    page: int,
    size: int,
    period_from: date | None = None,
    period_to: date | None = None,
) -> tuple[list[FundEntry], int]:
    """The ledger, newest first; within a period (both days included) when one is given."""
    where: list[ColumnElement[bool]] = [FundEntry.fund_id == fund.id]
    if period_from:
        where.append(FundEntry.on_date >= period_from)
    if period_to:
        where.append(FundEntry.on_date <= period_to)
    order = [FundEntry.on_date.desc(), FundEntry.created_at.desc()]
    return page_of(session, FundEntry, where, order, page, size)


def report(
    session: Session, fund: Fund, period_from: date | None, period_to: date | None
) -> FundReport:
    where: list[ColumnElement[bool]] = [FundEntry.fund_id == fund.id]
    if period_from:
        where.append(FundEntry.on_date >= period_from)
    if period_to:
        where.append(FundEntry.on_date <= period_to)
    spent = [*where, FundEntry.kind == EntryKind.expenditure]

    def total(kind: EntryKind) -> int:
        return (
            session.scalar(
                select(func.coalesce(func.sum(FundEntry.amount_krw), 0)).where(
                    *where, FundEntry.kind == kind
                )
            )
            or 0
        )

    by_category = [
        CategoryTotal(category=c, amount_krw=int(a), entries=n)
        for c, a, n in session.execute(
            select(FundEntry.category, func.sum(FundEntry.amount_krw), func.count())
            .where(*spent)
            .group_by(FundEntry.category)
            .order_by(FundEntry.category)
        )
    ]
    by_case = [
        CaseTotal(case_id=cid, case_reference=ref, amount_krw=int(a), entries=n)
        for cid, ref, a, n in session.execute(
            select(FundEntry.case_id, Case.reference, func.sum(FundEntry.amount_krw), func.count())
            .outerjoin(Case, Case.id == FundEntry.case_id)
            .where(*spent)
            .group_by(FundEntry.case_id, Case.reference)
            .order_by(Case.reference)
        )
    ]
    return FundReport(
        centre_id=fund.centre_id,
        period_from=period_from,
        period_to=period_to,
        donations_krw=total(EntryKind.donation),
        expenditures_krw=total(EntryKind.expenditure),
        balance_krw=fund.balance_krw,
        by_category=by_category,
        by_case=by_case,
    )
