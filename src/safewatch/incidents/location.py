"""Location you can trust (issue 23; Busan 2017, Seoul 2021: a cell-tower fix sent officers
hundreds of metres from the victim). Every position the hub takes carries its accuracy
radius, its source and the time of the fix; an old client that sends none of them is taken
as coarse. A fix that is coarse or stale does not stand alone: the dispatch also goes to the
registered home and the safe accommodation in use, and the screens say why in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class FixSource(StrEnum):
    """Where a position came from, most precise first."""

    gps = "gps"
    wifi = "wifi"
    cell = "cell"
    fixed_address = "fixed_address"  # a bell at the home: its registered address


class Doubt(StrEnum):
    """Why a position cannot be trusted alone."""

    coarse = "coarse"  # its accuracy radius is wider than the setting (or unknown)
    stale = "stale"  # the fix is older than the setting
    none = "none"  # no position at all


class Place(StrEnum):
    """A place of the protected person's: where a doubted position's dispatch also goes, and
    what an offender's monitor is measured against."""

    home = "home"  # the registered home address
    safe_stay = "safe_stay"  # the safe accommodation in use
    last_fix = "last_fix"  # where her phone or watch last said she was


@dataclass(frozen=True)
class Fix:
    latitude: float
    longitude: float
    accuracy_m: float | None = None  # None: an old client that did not say (coarse)
    source: FixSource | None = None
    taken_at: datetime | None = None  # None: when the hub received it


@dataclass(frozen=True)
class Trust:
    """The settings: a fix wider than ``coarse_m`` or older than ``stale_after`` is doubted."""

    coarse_m: float = 100.0
    stale_after: timedelta = timedelta(seconds=60)


def doubts(
    fix: Fix | None, received_at: datetime | None, now: datetime, trust: Trust
) -> list[Doubt]:
    """What is wrong with a position, if anything (none: it can be trusted alone). A fixed
    address is exact and never stale: the bell does not move."""
    if fix is None:
        return [Doubt.none]
    if fix.source is FixSource.fixed_address:
        return []
    found = []
    if fix.accuracy_m is None or fix.accuracy_m > trust.coarse_m:
        found.append(Doubt.coarse)
    taken = fix.taken_at or received_at
    if taken is None or now - taken > trust.stale_after:
        found.append(Doubt.stale)
    return found


def replaces(
    current: Fix | None, new: Fix, current_at: datetime | None, now: datetime, trust: Trust
) -> bool:
    """Whether a new fix becomes the incident's position: yes, unless it is coarser than the
    current one while the current one is still fresh (a cell fix right after a GPS one
    would move the guards ~500 m the wrong way). Every fix goes on the track either way."""
    if current is None:
        return True
    if Doubt.stale in doubts(current, current_at, now, trust):
        return True
    return _radius(new) <= _radius(current)


def _radius(fix: Fix) -> float:
    if fix.source is FixSource.fixed_address:
        return 0.0
    return fix.accuracy_m if fix.accuracy_m is not None else float("inf")
