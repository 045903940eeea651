"""The protected person who drifts away (issue 23, point 5; Daegu, June 2025: she had returned
her watch the month before she was killed). Disengagement is a risk signal: a watch returned
or silent for days, a camera offline for a day, the app not opened for a week, no phone that
rings for an alert. Each opens a task for the caseworker and asks for a new assessment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Drift(StrEnum):
    watch_returned = "watch_returned"  # her watch came back to stock and none replaced it
    watch_silent = "watch_silent"  # worn no more: silent for days
    camera_offline = "camera_offline"  # a home camera unplugged for a day
    app_unused = "app_unused"  # the app not opened for a week
    no_push = "no_push"  # no phone of hers rings for an alert (notifications off)


@dataclass(frozen=True)
class Limits:
    watch_silent: timedelta = timedelta(days=2)
    camera_offline: timedelta = timedelta(days=1)
    app_unused: timedelta = timedelta(days=7)
    returned_within: timedelta = timedelta(days=7)  # a return older than this was seen to
    push_grace: timedelta = timedelta(days=1)  # time to set her phone up after the case began


@dataclass(frozen=True)
class Issued:
    """A device issued to her: since when, and when it was last heard (None: never)."""

    serial: str
    since: datetime
    last_seen_at: datetime | None


@dataclass(frozen=True)
class Engagement:
    """What a case's devices and app say of her (an open case)."""

    case_id: uuid.UUID
    watches: list[Issued] = field(default_factory=list)
    cameras: list[Issued] = field(default_factory=list)
    returned_watches: list[tuple[str, datetime]] = field(default_factory=list)
    has_app: bool = False  # she has a login of her own
    app_opened_at: datetime | None = None
    app_since: datetime | None = None  # when the case began (a new login is not "unused")
    push_phones: int = 0


@dataclass(frozen=True)
class Signal:
    drift: Drift
    subject: str = ""  # the device's serial, for a device's signal


def _silent(device: Issued, now: datetime, limit: timedelta) -> bool:
    heard = device.last_seen_at or device.since
    return now - heard > limit


def drifts(e: Engagement, now: datetime, limits: Limits = Limits()) -> list[Signal]:
    """The signals a case shows now (each opens one task until a person closes it)."""
    found = [
        Signal(Drift.watch_silent, w.serial)
        for w in e.watches
        if _silent(w, now, limits.watch_silent)
    ]
    found += [
        Signal(Drift.camera_offline, c.serial)
        for c in e.cameras
        if _silent(c, now, limits.camera_offline)
    ]
    if not e.watches:
        found += [
            Signal(Drift.watch_returned, serial)
            for serial, at in e.returned_watches
            if now - at <= limits.returned_within
        ]
    if e.has_app:
        opened = e.app_opened_at or e.app_since
        if opened is not None and now - opened > limits.app_unused:
            found.append(Signal(Drift.app_unused))
        if e.push_phones == 0 and e.app_since and now - e.app_since > limits.push_grace:
            found.append(Signal(Drift.no_push))
    return found
