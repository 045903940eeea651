from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import ALL_ROLES, PageDep, SessionDep, allow
from safewatch.core.errors import NotFound
from safewatch.core.roles import Role
from safewatch.models import User
from safewatch.schemas.common import Page
from safewatch.schemas.people import UserCreate, UserPublic, UserUpdate
from safewatch.services import accounts
from safewatch.services.context import Caller
from safewatch.store.paging import page_of

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Caller, allow(Role.admin)]


@router.get("/me")
def me(session: SessionDep, caller: Annotated[Caller, allow(*ALL_ROLES)]) -> UserPublic:
    user = session.get(User, caller.user_id)
    if user is None:
        raise NotFound("no such user")
    return UserPublic.model_validate(user)


@router.get("")
def list_users(session: SessionDep, caller: Admin, paging: PageDep) -> Page[UserPublic]:
    users, total = page_of(session, User, [], [User.username], paging.page, paging.size)
    caller.record(session, "read", "user", None, "user list")
    return paging.wrap(UserPublic, users, total)


@router.post("", status_code=201)
def create_user(session: SessionDep, caller: Admin, data: UserCreate) -> UserPublic:
    user = accounts.create_user(session, data)
    caller.record(session, "create", "user", user.id, f"account for a {user.role.value}")
    return UserPublic.model_validate(user)


@router.patch("/{user_id}")
def update_user(
    session: SessionDep, caller: Admin, user_id: uuid.UUID, data: UserUpdate
) -> UserPublic:
    user, changed = accounts.update_user(session, user_id, data, caller.user_id)
    caller.record(session, "update", "user", user.id, "; ".join(changed) or "account changed")
    return UserPublic.model_validate(user)
