from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import (
    ALL_ROLES,
    Credentials,
    SessionDep,
    SettingsDep,
    _secret,
    allow,
    public,
)
from safewatch.schemas.people import LoginRequest, TokenPublic
from safewatch.services import accounts
from safewatch.services.context import Caller

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", dependencies=[public])
def login(data: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenPublic:
    secret, token = accounts.login(
        session, data.username, data.password, timedelta(minutes=settings.token_ttl_minutes)
    )
    return TokenPublic(access_token=secret, expires_at=token.expires_at, role=token.user.role)


@router.post("/logout", status_code=204)
def logout(
    session: SessionDep,
    credentials: Credentials,
    _caller: Annotated[Caller, allow(*ALL_ROLES)],
) -> None:
    accounts.logout(session, _secret(credentials))
