"""The offender's electronic monitor (issue 23, point 4; court-ordered for stalkers in Korea
since January 2024: the victim is told when the offender comes within a set distance). A
position from the monitor's feed is measured against the protected person's places — the
registered home, the safe accommodation in use, and where her phone or watch last said she
was while that is fresh — and the nearest one within the case's radius raises ``proximity``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from safewatch.incidents.location import Fix, Place

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)


@dataclass(frozen=True)
class Spot:
    """One of her places, with where it is."""

    place: Place
    latitude: float
    longitude: float
    at: datetime | None = None  # a last fix's time (a home does not move: None)


@dataclass(frozen=True)
class Near:
    place: Place
    distance_m: int
    spot: Spot


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance (haversine): metres matter here, not the ellipsoid's
    fraction of a per cent."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def places_to_watch(spots: Sequence[Spot], now: datetime, fresh_for: timedelta) -> list[Spot]:
    """Her places that say where she may be now: a last fix older than ``fresh_for`` says
    nothing about now (she may be anywhere); a home and a safe accommodation always count."""
    return [s for s in spots if s.at is None or now - s.at <= fresh_for]


def nearest_within(offender: Fix, spots: Sequence[Spot], radius_m: float) -> Near | None:
    """The nearest of her places the monitor's position is within ``radius_m`` of (the
    position's centre: its accuracy is carried to the screens, not added to the alarm —
    a false "he is near" frightens as a missed one endangers; the radius is the margin)."""
    found = [
        Near(
            s.place,
            round(distance_m(offender.latitude, offender.longitude, s.latitude, s.longitude)),
            s,
        )
        for s in spots
    ]
    inside = [n for n in found if n.distance_m <= radius_m]
    return min(inside, key=lambda n: n.distance_m) if inside else None
