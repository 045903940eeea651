"""The offender's electronic monitor and the protected person's whereabouts (issue 23, point
4): her phone's and watch's fixes are kept as her last known place; each position the
monitoring centre's feed sends for the offender's device is measured against her places
(``incidents.proximity``), and within the case's radius it opens — or joins — the case's one
``proximity`` incident, on the same timeline as its camera events and SOS."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import IncidentStatus
from safewatch.incidents.location import Fix, FixSource, Place, Trust, replaces
from safewatch.incidents.policy import Routing
from safewatch.incidents.proximity import Spot, nearest_within, places_to_watch
from safewatch.models import Case, Device, Incident, ProtectedPerson, Stay
from safewatch.services import incidents

MONITOR_STALE = timedelta(minutes=5)


def stale(fix: Fix, now: datetime) -> bool:
    return fix.taken_at is not None and now - fix.taken_at > MONITOR_STALE


def her_fix(person: ProtectedPerson) -> Fix | None:
    if person.last_latitude is None or person.last_longitude is None:
        return None
    return Fix(
        person.last_latitude,
        person.last_longitude,
        person.last_accuracy_m,
        person.last_fix_source,
        person.last_fix_at,
    )


def keep_her_fix(person: ProtectedPerson, fix: Fix, now: datetime, trust: Trust) -> None:
    """Her phone or watch said where she is: the newest fix is her last known place, unless
    it is coarser than a fresh precise one (a cell fix does not move her 800 m)."""
    taken_at = fix.taken_at or now
    kept = her_fix(person)
    if kept is not None and kept.taken_at is not None and taken_at < kept.taken_at:
        return  # an older fix arriving late
    if not replaces(kept, fix, person.last_fix_at, now, trust):
        return
    person.last_latitude, person.last_longitude = fix.latitude, fix.longitude
    person.last_accuracy_m, person.last_fix_source = fix.accuracy_m, fix.source
    person.last_fix_at = taken_at


def her_places(session: Session, case: Case) -> list[Spot]:
    person = case.protected_person
    spots = []
    if person.latitude is not None and person.longitude is not None:
        spots.append(Spot(Place.home, person.latitude, person.longitude))
    stay = session.scalar(
        select(Stay)
        .where(Stay.case_id == case.id, Stay.check_out.is_(None))
        .order_by(Stay.check_in.desc())
        .limit(1)
    )
    if stay is not None and stay.latitude is not None and stay.longitude is not None:
        spots.append(Spot(Place.safe_stay, stay.latitude, stay.longitude))
    fix = her_fix(person)
    if fix is not None:
        spots.append(Spot(Place.last_fix, fix.latitude, fix.longitude, fix.taken_at))
    return spots


def _open_proximity(session: Session, case: Case) -> bool:
    found = session.scalar(
        select(Incident.id).where(
            Incident.case_id == case.id,
            Incident.join_key == f"proximity:{case.id}",
            Incident.status != IncidentStatus.closed,
        )
    )
    return found is not None


def monitor_position(
    session: Session,
    routing: Routing,
    device: Device,
    fix: Fix,
    now: datetime,
    radius_m: int,
    fresh_for: timedelta,
) -> Incident | None:
    """One position of the offender's monitor: a proximity incident when he is within the
    case's radius of one of her places (the nearest one named); outside it, the open one (if
    any) follows him, else nothing. A position
    fixed more than ``MONITOR_STALE`` ago (a feed catching up) says nothing of where he is
    now: it opens nothing and does not move the incident."""
    if device.case_id is None or stale(fix, now):
        return None
    case = incidents.alert_case(session, device.case_id)
    if case is None or case.closed_at is not None:
        return None
    spots = places_to_watch(her_places(session, case), now, fresh_for)
    near = nearest_within(fix, spots, case.proximity_radius_m or radius_m)
    if near is None and _open_proximity(session, case):
        # Outside the radius again: the open incident still follows him as he goes, so the
        # guards see him leave (it opens nothing new; people close it).
        near = nearest_within(fix, spots, math.inf)
    if near is None:
        return None
    offender = case.offenders[0].full_name if len(case.offenders) == 1 else None
    facts = IncidentFacts(
        kind=IncidentKind.proximity,
        source=SignalSource.monitor,
        serial=device.serial,
        identity=offender,
        latitude=fix.latitude,
        longitude=fix.longitude,
        accuracy_m=fix.accuracy_m,
        fix_source=fix.source,
        distance_m=near.distance_m,
        near=near.place,
    )
    # Where to send the guards: the place he is near (no position: the registered home).
    where = {
        Place.last_fix: her_fix(case.protected_person),
        Place.safe_stay: Fix(
            near.spot.latitude, near.spot.longitude, None, FixSource.fixed_address
        ),
        Place.home: None,
    }[near.place]
    incident, _ = incidents.open_or_join(
        session,
        routing,
        case,
        join_key=f"proximity:{case.id}",
        now=now,
        actor=f"monitor {device.serial}",
        summary=f"offender's monitor {device.serial} {near.distance_m} m from the {near.place}",
        facts=facts,
        device=device,
        fix=where,
    )
    return incident
