from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy import func, select

from safewatch.api.deps import PageDep, SessionDep, allow
from safewatch.core.roles import Role
from safewatch.models import AuditEntry
from safewatch.schemas.audit import AuditEntryPublic, ChainReportPublic
from safewatch.schemas.common import Page
from safewatch.services.context import Caller
from safewatch.store import audit

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Caller, allow(Role.admin)]


@router.get("")
def list_audit(session: SessionDep, caller: Admin, paging: PageDep) -> Page[AuditEntryPublic]:
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    rows = session.scalars(
        select(AuditEntry)
        .order_by(AuditEntry.seq.desc())
        .offset((paging.page - 1) * paging.size)
        .limit(paging.size)
    )
    items = [AuditEntryPublic.model_validate(r) for r in rows]
    caller.record(session, "read", "audit", None, "audit trail viewed")
    return Page(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/verify")
def verify(session: SessionDep, _caller: Admin) -> ChainReportPublic:
    report = audit.verify(session)
    return ChainReportPublic(ok=report.ok, entries=report.entries, problems=report.problems)
