from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from safewatch.api.deps import (
    ALL_ROLES,
    Credentials,
    SessionDep,
    _secret,
    allow,
    public,
)
from safewatch.api.sign_in import sign_in
from safewatch.schemas.people import LoginRequest, TokenPublic
from safewatch.services import accounts
from safewatch.services.context import Caller

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", dependencies=[public])
async def login(data: LoginRequest, request: Request) -> TokenPublic:
    """A person's token. Refused with 429 for a while after repeated failures (per name and
    per client address)."""
    secret, token = await sign_in(request, data.username, data.password)
    return TokenPublic(access_token=secret, expires_at=token.expires_at, role=token.user.role)


@router.post("/logout", status_code=204)
def logout(
    session: SessionDep,
    credentials: Credentials,
    _caller: Annotated[Caller, allow(*ALL_ROLES)],
) -> None:
    accounts.logout(session, _secret(credentials))
