"""The support centre's fund."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from safewatch.models.fund import EntryKind, ExpenseCategory
from safewatch.schemas.common import Name, Schema, Text

MAX_KRW = 10**13


class DonationIn(Schema):
    donor: Name
    amount_krw: int = Field(gt=0, le=MAX_KRW)
    on_date: date
    description: Text = ""


class ExpenditureIn(Schema):
    category: ExpenseCategory
    amount_krw: int = Field(gt=0, le=MAX_KRW)
    on_date: date
    case_id: uuid.UUID | None = None
    description: Text = ""


class FundEntryPublic(Schema):
    id: uuid.UUID
    kind: EntryKind
    amount_krw: int
    on_date: date
    donor: str | None
    category: ExpenseCategory | None
    case_id: uuid.UUID | None
    description: str
    recorded_by: uuid.UUID
    created_at: datetime


class FundPublic(Schema):
    id: uuid.UUID
    centre_id: uuid.UUID
    balance_krw: int


class CategoryTotal(Schema):
    category: ExpenseCategory
    amount_krw: int
    entries: int


class CaseTotal(Schema):
    case_id: uuid.UUID | None
    case_reference: str | None
    amount_krw: int
    entries: int


class FundReport(Schema):
    centre_id: uuid.UUID
    period_from: date | None
    period_to: date | None
    donations_krw: int
    expenditures_krw: int
    balance_krw: int
    by_category: list[CategoryTotal]
    by_case: list[CaseTotal]
