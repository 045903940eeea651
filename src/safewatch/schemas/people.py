"""Agencies, users, login."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from safewatch.core.roles import AgencyKind, Role
from safewatch.schemas.common import Name, Schema

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9._-]{2,79}$")
]


class LoginRequest(Schema):
    # Bounded as the sign-in page's form is: a name is stored with each failed sign-in.
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenPublic(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: Role


class AgencyCreate(Schema):
    name: Name
    kind: AgencyKind
    region: Name
    phone: str | None = None


class AgencyPublic(Schema):
    id: uuid.UUID
    name: str
    kind: AgencyKind
    region: str
    phone: str | None


class UserCreate(Schema):
    username: Username
    full_name: Name
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    role: Role
    agency_id: uuid.UUID | None = None
    language: Annotated[str, StringConstraints(pattern="^(ko|en)$")] = "ko"


class UserUpdate(Schema):
    full_name: Name | None = None
    active: bool | None = None
    language: Annotated[str, StringConstraints(pattern="^(ko|en)$")] | None = None
    role: Role | None = None  # with the agency the new role needs (none for an admin)
    agency_id: uuid.UUID | None = None


class UserPublic(Schema):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    agency_id: uuid.UUID | None
    active: bool
    language: str
