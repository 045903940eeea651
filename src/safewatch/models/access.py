"""Access that has ended, for the open streams to hear: a sign-in revoked, an account disabled
or changed, a case taken from a company or a person. Every hub replica reads the new rows
every few seconds and ends the streams listening at those addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from safewatch.store.base import Base, utcnow


class AccessEnded(Base):
    __tablename__ = "access_ended"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # A stream's address: token:<hash> (one sign-in), user:<id>, agency:<id>
    address: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(200))
