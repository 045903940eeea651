"""The home's plan (issue 23, point 3): a picture of it, sealed like the photos (it shows the
way in), its ways in, and each installed camera's covered area; what no camera covers is
named (``cases.coverage``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from safewatch.cases.coverage import Point, WayIn, blind_spots, seen_by
from safewatch.core.errors import Invalid, NotFound
from safewatch.models import Case, SitePlan
from safewatch.schemas.site_plan import PlanCamera, SitePlanIn, SitePlanPublic, WayInOut
from safewatch.services.context import Caller
from safewatch.services.devices import installed_cameras
from safewatch.store.db import on_commit
from safewatch.store.photos import PhotoStore

PICTURE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
MAX_PICTURE_BYTES = 4 * 1024 * 1024


def plan_of(session: Session, case: Case) -> SitePlanPublic:
    plan = session.get(SitePlan, case.id)
    cameras = installed_cameras(session, case.id)
    areas = (plan.coverage if plan else None) or {}
    coverage: dict[str, list[Point]] = {
        c.serial: [(float(x), float(y)) for x, y in areas.get(str(c.id), [])] for c in cameras
    }
    ways = [WayIn(w["name"], w["x"], w["y"]) for w in (plan.ways_in if plan else None) or []]
    return SitePlanPublic(
        has_picture=bool(plan and plan.picture_name),
        ways_in=[WayInOut(name=w.name, x=w.x, y=w.y, seen_by=seen_by(w, coverage)) for w in ways],
        cameras=[
            PlanCamera(device_id=c.id, serial=c.serial, area=coverage[c.serial]) for c in cameras
        ],
        blind_spots=[w.name for w in blind_spots(ways, coverage)],
        updated_at=plan.updated_at if plan else None,
    )


def _plan(session: Session, case: Case, caller: Caller, now: datetime) -> SitePlan:
    plan = session.get(SitePlan, case.id)
    if plan is None:
        plan = SitePlan(case_id=case.id)
        session.add(plan)
    plan.updated_at, plan.updated_by = now, caller.user_id
    return plan


def save_plan(
    session: Session, caller: Caller, case: Case, data: SitePlanIn, now: datetime
) -> SitePlanPublic:
    """The ways in and the covered areas, as drawn (cameras not installed here are refused)."""
    mine = {c.id for c in installed_cameras(session, case.id)}
    strangers = [str(c.device_id) for c in data.coverage if c.device_id not in mine]
    if strangers:
        raise Invalid(f"not a camera installed at this home: {', '.join(strangers)}")
    plan = _plan(session, case, caller, now)
    plan.ways_in = [w.model_dump() for w in data.ways_in]
    plan.coverage = {str(c.device_id): [list(p) for p in c.area] for c in data.coverage}
    caller.record(session, "update", "site_plan", case.id, "home plan drawn", case.id)
    session.flush()
    return plan_of(session, case)


def put_picture(
    session: Session, caller: Caller, store: PhotoStore, case: Case, data: bytes, now: datetime
) -> None:
    if len(data) > MAX_PICTURE_BYTES:
        raise Invalid(f"the plan's picture is at most {MAX_PICTURE_BYTES:,} bytes")
    kind = next((t for magic, t in PICTURE_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise Invalid("the plan's picture must be a JPEG or a PNG")
    plan = _plan(session, case, caller, now)
    old = plan.picture_name
    plan.picture_name, plan.picture_type = f"plan-{case.id}-{uuid.uuid4().hex}", kind
    store.put(plan.picture_name, data)
    if old:  # the old file goes only once the record no longer names it
        on_commit(session, partial(store.delete, old))
    caller.record(session, "update", "site_plan", case.id, "home plan picture", case.id)


def picture(session: Session, store: PhotoStore, case: Case) -> tuple[bytes, str]:
    plan = session.get(SitePlan, case.id)
    if plan is None or not plan.picture_name or not plan.picture_type:
        raise NotFound("this home has no plan picture")
    return store.get(plan.picture_name), plan.picture_type
