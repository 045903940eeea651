"""The support centre's fund: donations in, expenditures out, never below zero."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safewatch.store.base import Base, CreatedMixin, IdMixin, text_enum


class EntryKind(StrEnum):
    donation = "donation"
    expenditure = "expenditure"


class ExpenseCategory(StrEnum):
    safe_accommodation = "safe_accommodation"
    relocation = "relocation"
    devices = "devices"
    medical = "medical"
    legal = "legal"
    living_support = "living_support"
    other = "other"


class Fund(IdMixin, CreatedMixin, Base):
    """One fund per support centre. The balance column is checked by the database as well."""

    __tablename__ = "fund"
    __table_args__ = (CheckConstraint("balance_krw >= 0", name="balance_not_negative"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), unique=True)
    balance_krw: Mapped[int] = mapped_column(BigInteger, default=0)


class FundEntry(IdMixin, CreatedMixin, Base):
    __tablename__ = "fund_entry"
    __table_args__ = (CheckConstraint("amount_krw > 0", name="amount_positive"),)

    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fund.id"))
    kind: Mapped[EntryKind] = mapped_column(text_enum(EntryKind, 20))
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    on_date: Mapped[date]
    donor: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[ExpenseCategory | None] = mapped_column(text_enum(ExpenseCategory))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("protection_case.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
