"""Retention: video of people's homes and offenders' face templates are kept no longer than
they are needed. Snapshots and clips go after the retention period unless their incident is
held as evidence; an offender's templates go when the last protection order has ended. Each
deletion is an audit entry; the files go only once the records saying so are committed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.models import (
    CameraEventRecord,
    GuardPosition,
    Incident,
    IncidentFix,
    ProtectedPerson,
)
from safewatch.services import engagement
from safewatch.services.context import system_record
from safewatch.services.enrolment import FaceTemplates
from safewatch.store.clips import ClipStore
from safewatch.store.db import first_of_replicas, on_commit, transaction

log = logging.getLogger(__name__)

PURGE_JOB = 0x5AFE_9E7E  # the template purge's advisory lock (one replica at a time)
FIRST_PASS_AFTER = 60.0  # s after the hub starts
ENGAGEMENT_JOB = 0x5AFE_E4A6  # the disengagement sweep's advisory lock
LAST_FIX_KEPT = timedelta(days=1)
BATCH = 500  # events per transaction: a first purge of a year's video must not hold the lock


@dataclass
class Purged:
    snapshots: int = 0
    clips: int = 0
    templates: int = 0
    positions: int = 0  # incidents whose track and guards' positions went, and last fixes


def purge_media(session: Session, store: ClipStore, now: datetime, retention_days: int) -> Purged:
    """One batch of snapshots and clips past the retention period (call until it returns
    nothing)."""
    cutoff = now - timedelta(days=retention_days)
    e = CameraEventRecord
    held = select(Incident.id).where(Incident.evidence_hold.is_(True))
    rows = list(
        session.scalars(
            select(e)
            .where(
                e.received_at < cutoff,
                e.media_purged_at.is_(None),
                or_(
                    e.snapshot_name.is_not(None),
                    e.clip_name.is_not(None),
                    e.original_snapshot_name.is_not(None),
                    e.original_clip_name.is_not(None),
                ),
                or_(e.incident_id.is_(None), e.incident_id.not_in(held)),
            )
            .order_by(e.received_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    done = Purged()
    names: list[str] = []
    why = f"retention: older than {retention_days} days and not held as evidence"
    for event in rows:
        for kind, name in (
            ("snapshot", event.snapshot_name),
            ("clip", event.clip_name),
            ("original_snapshot", event.original_snapshot_name),
            ("original_clip", event.original_clip_name),
        ):
            if name is None:
                continue
            names.append(name)
            system_record(session, "delete", f"event_{kind}", event.id, why)
            if kind.endswith("snapshot"):
                done.snapshots += 1
            else:
                done.clips += 1
        event.snapshot_name = event.clip_name = None
        event.original_snapshot_name = event.original_clip_name = None
        event.media_purged_at = now
    session.flush()
    on_commit(session, lambda: _delete_files(store, names))
    return done


def _delete_files(store: ClipStore, names: list[str]) -> None:
    for name in names:
        try:
            store.delete(name)
        except Exception:  # the record already says deleted; an operator must see this one
            log.exception("retention: could not delete %s from the clip store", name)


def purge_templates(session: Session, templates: FaceTemplates, now: datetime) -> int:
    """Face templates whose protection order has ended (allowed people's have no end)."""
    count = 0
    today = now.date()
    for t in templates.store.load_all():
        if t.expires_on is None or t.expires_on >= today:
            continue
        system_record(
            session,
            "delete",
            "face_template",
            t.person,
            f"retention: the protection order ended on {t.expires_on.isoformat()}",
        )
        on_commit(session, partial(templates.store.delete, t.person))
        count += 1
    return count


def purge_positions(session: Session, now: datetime, retention_days: int) -> int:
    """Where she went (an SOS's track) and where the guards were, for incidents closed past
    the retention period and not held; and her last known place once it is a day old (it
    counts for minutes: an offender's monitor is measured against it while fresh)."""
    cutoff = now - timedelta(days=retention_days)
    closed = select(Incident.id).where(
        Incident.closed_at < cutoff, Incident.evidence_hold.is_(False)
    )
    ids = set(
        session.scalars(select(IncidentFix.incident_id).where(IncidentFix.incident_id.in_(closed)))
    ) | set(
        session.scalars(
            select(GuardPosition.incident_id).where(GuardPosition.incident_id.in_(closed))
        )
    )
    why = f"retention: closed more than {retention_days} days ago and not held as evidence"
    for incident_id in sorted(ids):
        system_record(session, "delete", "incident_positions", incident_id, why)
    if ids:
        session.execute(delete(IncidentFix).where(IncidentFix.incident_id.in_(ids)))
        session.execute(delete(GuardPosition).where(GuardPosition.incident_id.in_(ids)))
    stale = list(
        session.scalars(
            select(ProtectedPerson).where(ProtectedPerson.last_fix_at < now - LAST_FIX_KEPT)
        )
    )
    for person in stale:
        system_record(session, "delete", "last_fix", person.id, "retention: a day old")
        person.last_latitude = person.last_longitude = person.last_accuracy_m = None
        person.last_fix_source = person.last_fix_at = None
    return len(ids) + len(stale)


def purge(
    factory: sessionmaker[Session],
    store: ClipStore,
    templates: FaceTemplates,
    retention_days: int,
    now: datetime,
) -> Purged:
    """Everything due, batch by batch, each in its own transaction."""
    total = Purged()
    while True:
        with transaction(factory) as session:
            done = purge_media(session, store, now, retention_days)
        total.snapshots += done.snapshots
        total.clips += done.clips
        if done.snapshots + done.clips == 0:
            break
    with transaction(factory) as session:
        if first_of_replicas(session, PURGE_JOB):
            total.templates = purge_templates(session, templates, now)
            total.positions = purge_positions(session, now, retention_days)
    return total


class RetentionJob:
    """The hub's hourly housekeeping, every ``every``: the purge (one replica at a time does
    the templates) and the look for protected people drifting away (one replica)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        store: ClipStore,
        templates: FaceTemplates,
        retention_days: int,
        clock: Callable[[], datetime],
        every: timedelta = timedelta(hours=1),
    ) -> None:
        self.factory, self.store, self.templates = factory, store, templates
        self.retention_days, self.clock, self.every = retention_days, clock, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        if self._stop.wait(FIRST_PASS_AFTER):  # not in the rush of a start
            return
        while True:
            try:
                done = purge(
                    self.factory, self.store, self.templates, self.retention_days, self.clock()
                )
                if done.snapshots or done.clips or done.templates or done.positions:
                    log.info("retention: %s", done)
            except Exception:  # an outage: the next round tries again
                log.exception("retention pass failed; trying again later")
            try:
                with transaction(self.factory) as session:
                    if first_of_replicas(session, ENGAGEMENT_JOB):
                        opened = engagement.sweep(session, self.clock())
                        if opened:
                            log.info("engagement: %d new task(s)", len(opened))
            except Exception:
                log.exception("engagement sweep failed; trying again later")
            if self._stop.wait(self.every.total_seconds()):
                return
