"""The protected person who drifts away (issue 23, point 5): the caseworker's tasks, and the
dashboard's count of the signs week by week."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from safewatch.api.deps import STAFF, AlertingDep, SessionDep, SettingsDep, allow
from safewatch.cases.engagement import Drift
from safewatch.models import Case, EngagementTask
from safewatch.schemas.common import Schema
from safewatch.schemas.incidents import Note
from safewatch.services import engagement
from safewatch.services.context import Caller

router = APIRouter(tags=["cases"])
Staff = Annotated[Caller, allow(*STAFF)]


class EngagementTaskPublic(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    kind: Drift
    subject: str
    created_at: datetime
    closed_at: datetime | None
    note: str


class TaskCloseIn(Schema):
    note: Note = ""


class DriftWeek(Schema):
    week: str  # ISO week, 2026-W49
    counts: dict[Drift, int]


def _public(task: EngagementTask, case: Case) -> EngagementTaskPublic:
    return EngagementTaskPublic(
        id=task.id,
        case_id=task.case_id,
        case_reference=case.reference,
        kind=task.kind,
        subject=task.subject,
        created_at=task.created_at,
        closed_at=task.closed_at,
        note=task.note,
    )


@router.get("/engagement-tasks")
def list_tasks(
    session: SessionDep, caller: Staff, open_only: bool = True
) -> list[EngagementTaskPublic]:
    """Signs that a protected person is drifting away (a watch returned or silent for days, a
    camera offline for a day, the app unused for a week, no phone that rings), newest first,
    among the caller's cases: each is a task until someone closes it with what was done."""
    return [_public(t, c) for t, c in engagement.list_tasks(session, caller, open_only)]


@router.post("/engagement-tasks/{task_id}/close")
def close_task(
    session: SessionDep, caller: Staff, alerting: AlertingDep, task_id: uuid.UUID, data: TaskCloseIn
) -> EngagementTaskPublic:
    task = engagement.close_task(session, caller, task_id, data.note, alerting.clock())
    case = session.get(Case, task.case_id)
    assert case is not None
    return _public(task, case)


@router.get("/stats/disengagement")
def disengagement_by_week(
    session: SessionDep,
    caller: Staff,
    alerting: AlertingDep,
    settings: SettingsDep,
    weeks: Annotated[int, Query(ge=1, le=104)] = 8,
) -> list[DriftWeek]:
    """How many signs of disengagement opened per ISO week, by kind, over the caller's cases."""
    zone = ZoneInfo(settings.timezone)
    rows = engagement.weekly_counts(session, caller, alerting.clock(), weeks, zone)
    return [DriftWeek(week=week, counts=dict(counts)) for week, counts in rows]
