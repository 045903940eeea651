from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import PageDep, SessionDep, allow
from safewatch.core.roles import Role
from safewatch.models import AuditEntry
from safewatch.schemas.audit import AuditEntryPublic, ChainReportPublic, named_entries
from safewatch.schemas.common import Page
from safewatch.services import accounts
from safewatch.services.context import Caller
from safewatch.store import audit
from safewatch.store.paging import page_of

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Caller, allow(Role.admin)]


@router.get("")
def list_audit(session: SessionDep, caller: Admin, paging: PageDep) -> Page[AuditEntryPublic]:
    order = [AuditEntry.seq.desc()]
    rows, total = page_of(session, AuditEntry, [], order, paging.page, paging.size)
    caller.record(session, "read", "audit", None, "audit trail viewed")
    names = accounts.names_of(session, (r.actor_id for r in rows))
    items = named_entries(rows, names)
    return Page(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/verify")
def verify(session: SessionDep, _caller: Admin) -> ChainReportPublic:
    report = audit.verify(session)
    return ChainReportPublic(ok=report.ok, entries=report.entries, problems=report.problems)
