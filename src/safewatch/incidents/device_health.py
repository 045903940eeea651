"""How a device is doing, as the screens show it: pure rules, no database.

A device's last word (its heartbeat's state and note) is only as good as its age: a camera
that has not been heard from for ``silent_after`` is offline, whatever it last said. What a
camera could not deliver (items the hub refused for good, kept on the camera) is said in one
line a person can act on. Stream addresses and credentials never reach a screen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from safewatch.bus.messages import CameraHealth


class DeviceCondition(StrEnum):
    ok = "ok"
    starting = "starting"
    degraded = "degraded"
    restarting = "restarting"
    late = "late"  # a heartbeat or two missed
    offline = "offline"  # silent for ``silent_after``: the camera_offline rule's threshold
    never_seen = "never seen"


@dataclass(frozen=True)
class Silence:
    """How long a device may be silent before it counts as offline, per kind."""

    camera: timedelta = timedelta(seconds=60)
    other: timedelta = timedelta(minutes=30)  # watches and bells save their batteries

    def after(self, is_camera: bool) -> timedelta:
        return self.camera if is_camera else self.other


def condition(
    last_seen_at: datetime | None,
    state: CameraHealth | None,
    now: datetime,
    silent_after: timedelta,
    outage_open: bool = False,
) -> DeviceCondition:
    """What a screen shows for a device: an open ``camera_offline`` incident first (the
    worker may heartbeat while its camera gives no picture: the screens must not say "ok"
    beside an open outage), then its age, then what it said.

    >>> from datetime import UTC
    >>> t = datetime(2026, 12, 1, tzinfo=UTC)
    >>> condition(t, CameraHealth.ok, t + timedelta(seconds=61), timedelta(seconds=60))
    <DeviceCondition.offline: 'offline'>
    >>> condition(t, CameraHealth.ok, t, timedelta(seconds=60), outage_open=True)
    <DeviceCondition.offline: 'offline'>
    """
    if outage_open:
        return DeviceCondition.offline
    if last_seen_at is None:
        return DeviceCondition.never_seen
    age = now - last_seen_at
    if age >= silent_after:
        return DeviceCondition.offline
    if age >= silent_after / 2:
        return DeviceCondition.late
    if state is None:
        return DeviceCondition.ok  # an old worker, a watch: no state, heard recently
    return DeviceCondition(state.value)


_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S*[^\s:;,.)]")  # not its trailing ":"
_SECRET = re.compile(r"\bsw[ud]_\S+")


def redact(text: str) -> str:
    """A camera's note or reason without stream addresses (which may carry the camera's
    password and the home's network) or credentials.

    >>> redact("cannot open rtsp://admin:pw@192.168.0.20:554/s1: timed out")
    'cannot open rtsp://…: timed out'
    """
    text = _URL.sub(lambda m: m.group(0).split("://", 1)[0] + "://…", text)
    return _SECRET.sub("[credential]", text)


def problem(
    name: str, count: int, items: Sequence[Mapping[str, Any]] | None, limit: int = 3
) -> str | None:
    """One line for what a camera could not deliver, or None.

    >>> problem("door", 3, [{"kind": "event", "reason": "422: too large"}] * 3)
    'door: 3 events could not be delivered: 422: too large'
    """
    items = list(items or [])
    count = max(count, len(items))
    if count == 0:
        return None
    events = len(items) == count and all(i.get("kind") == "event" for i in items)
    noun = ("event" if events else "item") + ("s" if count > 1 else "")
    reasons = list(dict.fromkeys(str(i.get("reason", "")) for i in items if i.get("reason")))
    said = "; ".join(reasons[:limit]) + (
        f"; +{len(reasons) - limit} more" if len(reasons) > limit else ""
    )
    return f"{name}: {count} {noun} could not be delivered" + (f": {said}" if said else "")
