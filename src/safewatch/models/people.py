"""Agencies, the people who sign in, and their login tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safewatch.core.roles import AgencyKind, Role
from safewatch.store.base import Base, CreatedMixin, IdMixin, text_enum


class Agency(IdMixin, CreatedMixin, Base):
    __tablename__ = "agency"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(text_enum(AgencyKind, 32))
    region: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(text_enum(Role, 32))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="ko")
    # The protected person's app lock (argon2, as passwords): the PIN, and the duress PIN that
    # unlocks the same way and raises a silent SOS.
    app_pin_hash: Mapped[str | None] = mapped_column(String(300))
    duress_pin_hash: Mapped[str | None] = mapped_column(String(300))

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class LoginToken(IdMixin, CreatedMixin, Base):
    """A bearer token: only its SHA-256 is stored, so a database leak logs nobody in."""

    __tablename__ = "login_token"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class SignInFailures(Base):
    """Failed sign-ins per username, known or not (the answer must not tell which): after
    too many, the name is locked for a while, on every replica and across restarts."""

    __tablename__ = "sign_in_failures"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
