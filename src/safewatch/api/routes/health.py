from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from safewatch import __version__
from safewatch.api.deps import SessionDep, public

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[public])
def healthz(session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}
