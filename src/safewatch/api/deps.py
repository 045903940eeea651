"""Dependencies every route uses: settings, the one transaction, and who is calling.

Deny by default: a route must name the roles that may call it with ``allow(...)``, or declare
itself ``public`` or ``device_only``; ``check_route_policies`` refuses to start an app otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from safewatch.alerts.hub import Alerting
from safewatch.alerts.intake import EventIntake
from safewatch.api.throttle import Throttle
from safewatch.core import security
from safewatch.core.config import Settings
from safewatch.core.errors import Forbidden, Invalid, Unauthorized
from safewatch.core.roles import Role
from safewatch.models import Device
from safewatch.schemas.common import Page
from safewatch.schemas.events import MAX_BATCH_CAMERAS
from safewatch.services import accounts, devices
from safewatch.services.context import Caller
from safewatch.services.enrolment import Enrolment
from safewatch.store.clips import ClipStore
from safewatch.store.db import discard_after_commit, run_after_commit, transaction
from safewatch.store.photos import PhotoStore
from safewatch.store.sealing import KeyRing

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")
_bearer = HTTPBearer(auto_error=False, description="A sign-in token or a device credential.")


def _app_state(name: str) -> Callable[[Request], Any]:
    """A dependency that hands out one of the app's singletons (settings, stores)."""

    def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"get_{name}"
    return get


DB_CONCURRENCY = 16  # well under the worker threads (40): see get_session


def _db_gate(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "db_gate", None) is None:
        state.db_gate = anyio.CapacityLimiter(DB_CONCURRENCY)
    gate: anyio.CapacityLimiter = state.db_gate
    return gate


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One request, one transaction: committed when the route returns, rolled back on error.

    At most DB_CONCURRENCY requests hold a transaction at once; the others wait here, on the
    event loop, not in a worker thread. Otherwise a burst fills every worker thread with
    requests blocked on the database (the SQLite write lock, the connection pool) while the
    request holding the lock waits for a thread to finish in: a deadlock until timeouts.
    For the same reason an ``async`` route never touches the session on the event loop: it
    hands its database work to a thread (``run_in_threadpool``).

    Steps registered with ``on_commit`` (publishing an alert to open screens) run here, on
    the event loop, as soon as the commit returns; the deliveries the request wrote are
    among them (``_commit``)."""
    async with _db_gate(request):
        session = request.app.state.session_factory()
        try:
            session.begin()
            yield session
            await run_in_threadpool(_commit, request, session)
        except BaseException:
            discard_after_commit(session)
            await run_in_threadpool(session.rollback)
            raise
        finally:
            await run_in_threadpool(session.close)
    run_after_commit(session)


def _commit(request: Request, session: Session) -> None:
    """The alerts the request's incidents wrote go out as it commits (one way for every
    route: ``AlertDispatcher.send_after_commit``)."""
    request.app.state.alerting.dispatcher.send_after_commit(session)
    session.commit()


async def in_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """``work`` in its own transaction on a worker thread, behind the same gate as requests
    (a stream's backlog: 2,000 phones reconnecting must not fill every thread)."""
    factory = request.app.state.session_factory

    def run() -> T:
        with transaction(factory) as session:
            done = work(session)
            request.app.state.alerting.dispatcher.send_after_commit(session)
            return done

    async with _db_gate(request):
        return await run_in_threadpool(run)


SettingsDep = Annotated[Settings, Depends(_app_state("settings"))]
# scope="function": commit before the response is sent, so a failed commit is never reported
# to the client as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
PhotoStoreDep = Annotated[PhotoStore, Depends(_app_state("photo_store"))]
ClipStoreDep = Annotated[ClipStore, Depends(_app_state("clip_store"))]
EnrolmentDep = Annotated[Enrolment, Depends(_app_state("enrolment"))]
AlertingDep = Annotated[Alerting, Depends(_app_state("alerting"))]
IntakeDep = Annotated[EventIntake, Depends(_app_state("intake"))]
ThrottleDep = Annotated[Throttle, Depends(_app_state("throttle"))]
KeysDep = Annotated[KeyRing, Depends(_app_state("keys"))]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


SESSION_COOKIE = "safewatch_session"
APP_HEADER = "X-Safewatch-App"  # screens send it; a forged cross-site form cannot


def _secret(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("sign in first (Authorization: Bearer <token>)")
    return credentials.credentials


def request_secret(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The bearer token, or the screens' session cookie. A change made with the cookie must
    carry the app header: the cookie alone could come from another site's form (CSRF)."""
    if credentials is not None:
        return _secret(credentials)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return _secret(None)
    if request.method not in ("GET", "HEAD") and request.headers.get(APP_HEADER) != "1":
        raise Forbidden(f"a change from a screen needs the {APP_HEADER} header")
    return cookie


def allow(*roles: Role) -> Any:
    """The roles that may call a route; everyone else gets 403 with the reason."""
    allowed = frozenset(roles)

    def current_caller(
        request: Request,
        session: SessionDep,
        credentials: Credentials,
        reason: Annotated[str | None, Header(alias="X-Safewatch-Reason", max_length=200)] = None,
    ) -> Caller:
        user = accounts.user_for_token(session, request_secret(request, credentials))
        if user.role not in allowed:
            raise Forbidden(f"a {user.role.value} may not do this")
        return Caller(actor=accounts.actor_of(user), stated_reason=reason)

    current_caller.allowed_roles = allowed  # type: ignore[attr-defined]
    return Depends(current_caller)


def _public() -> None:
    """Marks a route anyone may call (sign-in, health)."""


_public.public = True  # type: ignore[attr-defined]
public = Depends(_public)


def _device_only(session: SessionDep, credentials: Credentials) -> Device:
    return devices.device_for_secret(session, _secret(credentials))


_device_only.device_only = True  # type: ignore[attr-defined]
DeviceDep = Annotated[Device, Depends(_device_only)]


@dataclass(frozen=True)
class DeviceSecrets:
    """The device credentials a request carries, checked where its events are written
    (``alerts/intake.py``: the credentials of many requests in one query)."""

    secrets: list[str]


def _device_secrets(credentials: Credentials) -> DeviceSecrets:
    """``Authorization: Bearer <credential>`` — or, for a camera worker's batch,
    ``<credential>,<credential>,…``, one per camera whose events are in it."""
    secrets = [s.strip() for s in _secret(credentials).split(",")]
    if not any(s.startswith(security.DEVICE_TOKEN_PREFIX) for s in secrets):
        raise Unauthorized("not a device credential")  # a person's sign-in token, say
    if len(secrets) > MAX_BATCH_CAMERAS:
        raise Invalid(f"at most {MAX_BATCH_CAMERAS} camera credentials in one request")
    return DeviceSecrets(secrets)


_device_secrets.device_only = True  # type: ignore[attr-defined]
DeviceSecretsDep = Annotated[DeviceSecrets, Depends(_device_secrets)]

ALL_ROLES = tuple(Role)
STAFF = (Role.admin, Role.officer, Role.caseworker)


def _calls(route: APIRoute) -> list[Callable[..., Any]]:
    out: list[Callable[..., Any]] = []
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            out.append(dep.call)
        stack.extend(dep.dependencies)
    return out


def route_policy(route: APIRoute) -> frozenset[Role] | str | None:
    """The roles a route allows, 'public', 'device', or None when it declares nothing."""
    for call in _calls(route):
        if getattr(call, "public", False):
            return "public"
        if getattr(call, "device_only", False):
            return "device"
        roles = getattr(call, "allowed_roles", None)
        if roles is not None:
            return frozenset(roles)
    return None


def check_route_policies(routes: list[tuple[str, APIRoute]]) -> None:
    undeclared = [
        f"{sorted(r.methods or ())} {path}" for path, r in routes if route_policy(r) is None
    ]
    if undeclared:
        raise RuntimeError("routes without an access policy: " + ", ".join(undeclared))


class PageParams:
    def __init__(
        self,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> None:
        self.page, self.size = page, size

    def wrap(self, schema: type[S], rows: Iterable[object], total: int) -> Page[S]:
        return Page(
            items=[schema.model_validate(r) for r in rows],
            total=total,
            page=self.page,
            size=self.size,
        )


PageDep = Annotated[PageParams, Depends()]
