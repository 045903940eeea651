"""Each camera's recognition threshold at the hub, and the "not the offender" feedback that
tightens it. The camera fetches its threshold with its face lists."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.core.errors import Conflict, Invalid
from safewatch.models import CameraEventRecord, FaceThresholdChange
from safewatch.services.context import Caller
from safewatch.services.devices import raised_where_it_is
from safewatch.vision.faces.matching import SCORING
from safewatch.vision.faces.thresholds import SiteThreshold, scoring_of


def camera_threshold(session: Session, device_id: uuid.UUID) -> float:
    """The latest tightened value of the current scoring, else the calibrated default (a
    value in another scoring's units means nothing to the camera)."""
    latest = session.scalar(
        select(FaceThresholdChange.after)
        .where(FaceThresholdChange.device_id == device_id, FaceThresholdChange.scoring == SCORING)
        .order_by(FaceThresholdChange.id.desc())
        .limit(1)
    )
    return SiteThreshold().threshold if latest is None else latest


def not_the_offender(
    session: Session, caller: Caller, event: CameraEventRecord, reason: str
) -> FaceThresholdChange:
    """The person named by this ``offender_recognized`` event was someone else: the camera's
    threshold moves below the false match's score (if it is not already). Recorded and
    audited; the stranger's face goes into no model."""
    if event.type != "offender_recognized" or event.score is None:
        raise Invalid("only an offender recognition can be marked as not the offender")
    if not raised_where_it_is(session, event.device_id, event.case_id, event.occurred_at):
        raise Conflict(
            "the camera has been moved since this recognition: its threshold is now another "
            "home's, and this case's feedback no longer changes it"
        )
    if session.scalar(
        select(FaceThresholdChange.id).where(FaceThresholdChange.event_id == event.id)
    ):
        raise Conflict("this recognition has already been marked as not the offender")
    site = SiteThreshold(camera_threshold(session, event.device_id))
    before = site.threshold
    # A recognition from before issue 20 was scored in z: recorded as that scoring's history,
    # it leaves today's threshold alone (SiteThreshold ignores it).
    site.not_the_offender(event.score, reason)  # unchanged when already below: still recorded
    change = FaceThresholdChange(
        device_id=event.device_id,
        event_id=event.id,
        before=before,
        after=site.threshold,
        reason=reason[:300],
        by_user=caller.user_id,
        scoring=scoring_of(event.score),
    )
    session.add(change)
    session.flush()
    caller.record(
        session,
        "update",
        "face_threshold",
        event.device_id,
        f"not the offender: threshold {before:.3f} -> {site.threshold:.3f}: {reason}",
        event.case_id,
    )
    return change
