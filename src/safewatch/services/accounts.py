"""Sign-in, bearer tokens and user accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.cases.access import Actor
from safewatch.core import security
from safewatch.core.errors import Conflict, Invalid, NotFound, Unauthorized
from safewatch.core.roles import ROLE_AGENCY
from safewatch.models import Agency, LoginToken, User
from safewatch.schemas.people import UserCreate, UserUpdate
from safewatch.services.context import system_record

LOGIN_FAILED = "wrong username or password"


def login(session: Session, username: str, password: str, ttl: timedelta) -> tuple[str, LoginToken]:
    """Check a password and issue a token. Same answer and same work for unknown users."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    ok, upgraded = security.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.active:
        system_record(session, "login_failed", "user", user.id if user else None, "login refused")
        raise Unauthorized(LOGIN_FAILED)
    if upgraded:
        user.password_hash = upgraded
    secret = security.new_secret(security.USER_TOKEN_PREFIX)
    token = LoginToken(
        token_hash=security.secret_digest(secret),
        user_id=user.id,
        expires_at=datetime.now(UTC) + ttl,
        user=user,
    )
    session.add(token)
    session.flush()
    system_record(session, "login", "user", user.id, f"signed in as {user.role.value}")
    return secret, token


def user_for_token(session: Session, secret: str) -> User:
    if not secret.startswith(security.USER_TOKEN_PREFIX):
        raise Unauthorized("not a sign-in token")
    token = session.scalar(
        select(LoginToken).where(LoginToken.token_hash == security.secret_digest(secret))
    )
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("the sign-in has expired or was revoked; sign in again")
    if not token.user.active:
        raise Unauthorized("this account is disabled")
    return token.user


def logout(session: Session, secret: str) -> None:
    token = session.scalar(
        select(LoginToken).where(LoginToken.token_hash == security.secret_digest(secret))
    )
    if token is not None and token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, agency_id=user.agency_id)


def create_user(session: Session, data: UserCreate) -> User:
    needed = ROLE_AGENCY[data.role]
    if needed is None and data.agency_id is not None:
        raise Invalid(f"a {data.role.value} does not belong to an agency")
    if needed is not None:
        agency = session.get(Agency, data.agency_id) if data.agency_id else None
        if agency is None or agency.kind is not needed:
            raise Invalid(f"a {data.role.value} must belong to a {needed.value.replace('_', ' ')}")
    username = data.username.lower()
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the username '{username}' is taken")
    try:
        password_hash = security.hash_password(data.password)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    user = User(
        username=username,
        full_name=data.full_name,
        password_hash=password_hash,
        role=data.role,
        agency_id=data.agency_id,
        language=data.language,
    )
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, user_id: uuid.UUID, data: UserUpdate) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.language is not None:
        user.language = data.language
    if data.active is not None:
        user.active = data.active
        if not data.active:
            # A disabled account's open sessions end at once.
            now = datetime.now(UTC)
            for token in session.scalars(
                select(LoginToken).where(
                    LoginToken.user_id == user.id, LoginToken.revoked_at.is_(None)
                )
            ):
                token.revoked_at = now
    session.flush()
    return user


def names_of(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Full names by user id (for trails and timelines that store only the id)."""
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}
