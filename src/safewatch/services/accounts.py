"""Sign-in, bearer tokens and user accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safewatch.cases.access import Actor
from safewatch.core import security
from safewatch.core.errors import Conflict, Invalid, NotFound, TooMany, Unauthorized
from safewatch.core.roles import ROLE_AGENCY, Role
from safewatch.models import Agency, LoginToken, PushSubscription, SignInFailures, User
from safewatch.schemas.people import UserCreate, UserUpdate
from safewatch.services.access import end_access, sign_in_address, user_address
from safewatch.services.context import system_record

LOGIN_FAILED = "wrong username or password"
FAILURE_WINDOW = timedelta(minutes=15)  # failures older than this are forgotten


@dataclass(frozen=True)
class Candidate:
    """Who a sign-in names: the stored hash to check outside any transaction (argon2 takes
    tens of milliseconds; the database's write lock must not wait for it)."""

    username: str
    user_id: uuid.UUID | None
    password_hash: str | None
    active: bool


def sign_in_candidate(session: Session, username: str, now: datetime) -> Candidate:
    """The account a sign-in names, unless the name is locked (known or not: the answer
    must not tell an attacker which names exist)."""
    name = username.strip().lower()
    failures = session.get(SignInFailures, name)
    if failures is not None and failures.locked_until is not None and failures.locked_until > now:
        raise locked(failures.locked_until, now)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        return Candidate(name, None, None, False)
    return Candidate(name, user.id, user.password_hash, user.active)


def locked(until: datetime, now: datetime) -> TooMany:
    """The answer to a locked name (known or not)."""
    return TooMany(
        f"too many failed sign-ins for this name: it is locked until {until:%H:%M} UTC; wait, "
        "or ask an administrator to unlock it",
        int((until - now).total_seconds()) + 1,
    )


def record_failed_sign_in(
    session: Session, who: Candidate, address: str, now: datetime, lock_after: int, lock: timedelta
) -> datetime | None:
    """Count a failed sign-in of the name (in its own transaction: the request's is rolled
    back); when this one locked it, until when."""
    failures = session.get(SignInFailures, who.username, with_for_update=True)
    if failures is None:
        failures = SignInFailures(username=who.username, failures=0, first_failed_at=now)
        session.add(failures)
    elif failures.first_failed_at < now - FAILURE_WINDOW:
        failures.failures, failures.first_failed_at = 0, now
    failures.failures += 1
    why = f"sign-in refused (from {address}, failure {failures.failures})"
    system_record(session, "login_failed", "user", who.user_id, why[:300])
    if failures.failures >= lock_after:
        failures.locked_until, failures.failures = now + lock, 0
        system_record(
            session,
            "lock",
            "user",
            who.user_id,
            f"'{who.username}' locked for {lock} after {lock_after} failed sign-ins"[:300],
        )
        return failures.locked_until
    return None


def unlock(session: Session, username: str) -> bool:
    """An administrator ends a lock (the person was identified another way)."""
    failures = session.get(SignInFailures, username.strip().lower())
    if failures is None or failures.locked_until is None:
        return False
    session.delete(failures)
    system_record(session, "unlock", "user", None, f"'{failures.username}' unlocked")
    return True


def issue_token(
    session: Session, who: Candidate, ttl: timedelta, upgraded_hash: str | None
) -> tuple[str, LoginToken]:
    """The token of a checked sign-in; the name's failures are forgotten."""
    user = session.get(User, who.user_id)
    if user is None or not user.active:
        raise Unauthorized(LOGIN_FAILED)  # disabled between the check and now
    if upgraded_hash:
        user.password_hash = upgraded_hash
    failures = session.get(SignInFailures, who.username)
    if failures is not None:
        session.delete(failures)
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


def expiry_of(session: Session, secret: str) -> datetime:
    """When a sign-in still valid now ends by itself (an open stream ends then too);
    Unauthorized if it has ended already (revoked, expired, its account disabled)."""
    user_for_token(session, secret)
    expires_at = session.scalar(
        select(LoginToken.expires_at).where(LoginToken.token_hash == security.secret_digest(secret))
    )
    assert expires_at is not None  # user_for_token found it
    return expires_at


def logout(session: Session, secret: str) -> None:
    token = session.scalar(
        select(LoginToken).where(LoginToken.token_hash == security.secret_digest(secret))
    )
    if token is not None and token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        end_access(session, [sign_in_address(token.token_hash)], "signed out")


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, agency_id=user.agency_id)


def create_user(session: Session, data: UserCreate) -> User:
    _check_agency(session, data.role, data.agency_id)
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


def _check_agency(session: Session, role: Role, agency_id: uuid.UUID | None) -> None:
    needed = ROLE_AGENCY[role]
    if needed is None and agency_id is not None:
        raise Invalid(f"a {role.value} does not belong to an agency")
    if needed is not None:
        agency = session.get(Agency, agency_id) if agency_id else None
        if agency is None or agency.kind is not needed:
            raise Invalid(f"a {role.value} must belong to a {needed.value.replace('_', ' ')}")


def update_user(
    session: Session, user_id: uuid.UUID, data: UserUpdate, by: uuid.UUID | None = None
) -> tuple[User, list[str]]:
    """The account changed as asked; returns it with what changed, in words for the trail.
    An administrator cannot disable or demote their own account (no one would be left to
    undo it)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    changed: list[str] = []
    ends: list[str] = []  # the changes after which the account must sign in afresh
    if user.id == by and (data.active is False or (data.role and data.role is not user.role)):
        raise Conflict("you cannot disable or change the role of your own account")
    if data.role is not None or "agency_id" in data.model_fields_set:
        role = data.role or user.role
        agency_id = data.agency_id if "agency_id" in data.model_fields_set else user.agency_id
        if ROLE_AGENCY[role] is None and "agency_id" not in data.model_fields_set:
            agency_id = None  # an admin or a protected person belongs to no agency
        _check_agency(session, role, agency_id)
        if role is not user.role:
            changed.append(f"role {user.role.value} → {role.value}")
            ends.append(changed[-1])
        if agency_id != user.agency_id:
            changed.append("agency changed")
            ends.append(changed[-1])
        user.role, user.agency_id = role, agency_id
    if data.full_name is not None and data.full_name != user.full_name:
        user.full_name = data.full_name
        changed.append("name changed")
    if data.language is not None:
        user.language = data.language
    if data.active is not None and data.active != user.active:
        changed.append("enabled" if data.active else "disabled")
        if not data.active:
            ends.append("disabled")
        user.active = data.active
    if ends:
        # A disabled account's open sessions end at once, its open screens too; a new role or
        # agency signs in afresh (a screen must not keep listening for the old company).
        now = datetime.now(UTC)
        for token in session.scalars(
            select(LoginToken).where(LoginToken.user_id == user.id, LoginToken.revoked_at.is_(None))
        ):
            token.revoked_at = now
        end_access(session, [user_address(user.id)], "account " + ", ".join(ends))
        if not user.active:  # its phones ring no more for anyone's alerts
            session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id))
    session.flush()
    return user, changed


def names_of(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Full names by user id (for trails and timelines that store only the id)."""
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}
