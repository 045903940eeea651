"""Signing in, for the API and the screens alike: rate-limited per client address, locked per
name after repeated failures, each failure audited even though the request fails."""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from safewatch.api.deps import in_transaction
from safewatch.api.throttle import Throttle
from safewatch.bus.base import Notice
from safewatch.core import security
from safewatch.core.config import Settings
from safewatch.core.errors import Unauthorized
from safewatch.models import LoginToken
from safewatch.services import accounts
from safewatch.services.context import system_record

log = logging.getLogger(__name__)


def client_address(request: Request) -> str:
    # Behind a configured proxy (SAFEWATCH_TRUSTED_PROXIES) uvicorn puts the real one here.
    return request.client.host if request.client else "unknown"


async def sign_in(request: Request, username: str, password: str) -> tuple[str, LoginToken]:
    settings: Settings = request.app.state.settings
    throttle: Throttle = request.app.state.throttle
    now = request.app.state.alerting.clock()
    address = client_address(request)
    if throttle.over("failed_sign_in", address):
        raise throttle.refusal("failed_sign_in", address)
    throttle.hit("sign_in", address)
    who = await in_transaction(request, lambda s: accounts.sign_in_candidate(s, username, now))
    ok, upgraded = await run_in_threadpool(security.verify_password, password, who.password_hash)
    if ok and who.active:
        ttl = timedelta(minutes=settings.token_ttl_minutes)
        return await in_transaction(request, lambda s: accounts.issue_token(s, who, ttl, upgraded))
    lock = timedelta(minutes=settings.sign_in_lock_minutes)
    locked_until = await in_transaction(
        request,
        lambda s: accounts.record_failed_sign_in(
            s, who, address, now, settings.failed_sign_ins_before_lock, lock
        ),
    )
    throttle.allows("failed_sign_in", address)  # counted; the next attempt is refused above
    if throttle.over("failed_sign_in", address):
        await _credential_stuffing(request, address)
    if locked_until is not None:  # the same answer for a name that does not exist
        raise accounts.locked(locked_until, now)
    raise Unauthorized(accounts.LOGIN_FAILED)


async def _credential_stuffing(request: Request, address: str) -> None:
    """Many failed sign-ins from one address: refused from now on, and the operators told."""
    log.warning("credential stuffing suspected from %s: its sign-ins are refused", address)
    await in_transaction(
        request,
        lambda s: system_record(
            s,
            "credential_stuffing",
            "address",
            address,
            f"too many failed sign-ins from {address}; its sign-ins are refused for a while",
        ),
    )
    # The administrators' open screens show it at once (and the audit trail keeps it).
    notice = Notice(
        frozenset({"role:admin"}),
        {
            "kind": "security",
            "what": "credential_stuffing",
            "address": address,
            "at": request.app.state.alerting.clock().isoformat(),
        },
    )
    try:
        await run_in_threadpool(request.app.state.alerting.bus.publish, notice)
    except Exception:  # the bus is down: the refusal and the audit entry stand
        log.exception("could not tell the administrators of the credential stuffing")
    raise request.app.state.throttle.refusal("failed_sign_in", address)
