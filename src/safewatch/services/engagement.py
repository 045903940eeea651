"""The protected person who drifts away (issue 23, point 5): an hourly sweep reads what each
open case's devices and app say of her (``cases.engagement``), opens a task for the caseworker
per new sign and asks for a new assessment; people close the tasks with what they did; the
dashboard counts the signs week by week."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from safewatch.cases.engagement import Drift, Engagement, Issued, Limits, drifts
from safewatch.core.errors import Conflict, NotFound
from safewatch.models import (
    Case,
    Device,
    DeviceAssignment,
    EngagementTask,
    ProtectedPerson,
    PushSubscription,
)
from safewatch.models.resources import DeviceKind, DeviceStatus
from safewatch.services.cases import scope_filter
from safewatch.services.context import Caller
from safewatch.services.devices import installed_since
from safewatch.store.base import table

# A task a person closed is not opened again for the same sign for this long (she said she
# would wear the watch again; the next look is in a week, not in an hour).
QUIET_AFTER_CLOSE = timedelta(days=7)
APP_OPEN_EVERY = timedelta(hours=1)  # how often "she opened the app" is written at most
REASONS = {
    Drift.watch_returned: "disengagement: her smartwatch was returned",
    Drift.watch_silent: "disengagement: her smartwatch has been silent for days",
    Drift.camera_offline: "disengagement: a home camera has been offline for a day",
    Drift.app_unused: "disengagement: the app has not been opened for a week",
    Drift.no_push: "disengagement: no phone of hers rings for an alert",
}


def opened_app(person: ProtectedPerson, now: datetime) -> None:
    """Her app asked for her case: she is still with us (written once an hour at most)."""
    if person.app_opened_at is None or now - person.app_opened_at > APP_OPEN_EVERY:
        person.app_opened_at = now


def engagement_of(session: Session, now: datetime) -> list[Engagement]:
    """What every open case's devices and app say of her, in a few set-based queries."""
    c, p = table(Case).c, table(ProtectedPerson).c
    cases = session.execute(
        select(c.id, c.created_at, p.user_id, p.app_opened_at)
        .join(table(ProtectedPerson), p.id == c.protected_person_id)
        .where(c.closed_at.is_(None))
    ).all()
    ids = [row.id for row in cases]
    d = table(Device).c
    issued = session.execute(
        select(d.id, d.case_id, d.kind, d.serial, d.last_seen_at).where(
            d.case_id.in_(ids),
            d.status == DeviceStatus.assigned,
            d.kind.in_([DeviceKind.smartwatch, DeviceKind.camera]),
        )
    ).all()
    since = installed_since(session, (row.id for row in issued))
    watches: dict[uuid.UUID, list[Issued]] = defaultdict(list)
    cameras: dict[uuid.UUID, list[Issued]] = defaultdict(list)
    for row in issued:
        into = watches if row.kind is DeviceKind.smartwatch else cameras
        into[row.case_id].append(Issued(row.serial, since.get(row.id, now), row.last_seen_at))
    a = table(DeviceAssignment).c
    returned: dict[uuid.UUID, list[tuple[str, datetime]]] = defaultdict(list)
    for back in session.execute(
        select(a.case_id, d.serial, a.returned_at)
        .join(table(Device), d.id == a.device_id)
        .where(
            a.case_id.in_(ids),
            d.kind == DeviceKind.smartwatch,
            a.returned_at >= now - Limits().returned_within,
        )
    ):
        returned[back.case_id].append((back.serial, back.returned_at))
    s = table(PushSubscription).c
    phones: dict[uuid.UUID, int] = {
        user_id: count
        for user_id, count in session.execute(select(s.user_id, func.count()).group_by(s.user_id))
    }
    return [
        Engagement(
            case_id=row.id,
            watches=watches[row.id],
            cameras=cameras[row.id],
            returned_watches=returned[row.id],
            has_app=row.user_id is not None,
            app_opened_at=row.app_opened_at,
            app_since=row.created_at,
            push_phones=phones.get(row.user_id, 0),
        )
        for row in cases
    ]


def sweep(session: Session, now: datetime, limits: Limits = Limits()) -> list[EngagementTask]:
    """Open a task per sign not already open (nor closed by a person this past week), and ask
    for a new assessment of its case (unless one is asked for already)."""
    t = table(EngagementTask).c
    known = {
        (row.case_id, row.kind, row.subject)
        for row in session.execute(
            select(t.case_id, t.kind, t.subject).where(
                (t.closed_at.is_(None)) | (t.closed_at >= now - QUIET_AFTER_CLOSE)
            )
        )
    }
    opened = []
    for e in engagement_of(session, now):
        for signal in drifts(e, now, limits):
            if (e.case_id, signal.drift, signal.subject) in known:
                continue
            task = EngagementTask(
                case_id=e.case_id, kind=signal.drift, subject=signal.subject, created_at=now
            )
            session.add(task)
            opened.append(task)
            session.execute(
                update(table(Case))
                .where(table(Case).c.id == e.case_id, table(Case).c.reassessment_reason.is_(None))
                .values(reassessment_reason=REASONS[signal.drift])
            )
    session.flush()
    return opened


def list_tasks(
    session: Session, caller: Caller, open_only: bool
) -> list[tuple[EngagementTask, Case]]:
    query = (
        select(EngagementTask, Case)
        .join(Case, Case.id == EngagementTask.case_id)
        .where(scope_filter(caller))
        .order_by(EngagementTask.created_at.desc())
        .limit(500)
    )
    if open_only:
        query = query.where(EngagementTask.closed_at.is_(None))
    return [(task, case) for task, case in session.execute(query)]


def close_task(
    session: Session, caller: Caller, task_id: uuid.UUID, note: str, now: datetime
) -> EngagementTask:
    found = session.execute(
        select(EngagementTask)
        .join(Case, Case.id == EngagementTask.case_id)
        .where(EngagementTask.id == task_id, scope_filter(caller))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("no such task among your cases")
    if found.closed_at is not None:
        raise Conflict("this task is closed already")
    found.closed_at, found.closed_by, found.note = now, caller.user_id, note
    caller.record(session, "update", "engagement_task", found.id, "task closed", found.case_id)
    return found


def weekly_counts(
    session: Session, caller: Caller, now: datetime, weeks: int, zone: ZoneInfo
) -> list[tuple[str, Counter[Drift]]]:
    """The signs opened per ISO week (oldest first), by kind, among the caller's cases."""
    start = now - timedelta(weeks=weeks)
    rows = session.execute(
        select(EngagementTask.kind, EngagementTask.created_at)
        .join(Case, Case.id == EngagementTask.case_id)
        .where(scope_filter(caller), EngagementTask.created_at >= start)
    ).all()
    by_week: dict[str, Counter[Drift]] = defaultdict(Counter)
    for kind, at in rows:
        year, week, _ = at.astimezone(zone).isocalendar()
        by_week[f"{year}-W{week:02d}"][kind] += 1
    return sorted(by_week.items())
