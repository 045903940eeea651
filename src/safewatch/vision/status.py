"""What a running camera worker says of itself, for ``safewatch camera status``.

The worker writes ``status.json`` beside its outbox every few seconds; the command reads it
with the outbox. A file that has not been written for a while means the worker is not
running: then nothing is shown as "ok".
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from safewatch.bus.messages import CameraHealth, Undelivered

FILE = "status.json"
STALE_AFTER_PERIODS = 3  # reports missed before the worker counts as stopped


class CameraStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    health: CameraHealth
    note: str = ""
    seconds_since_frame: float | None = None


class HubReach(StrEnum):
    not_configured = "not configured"  # a site without a hub (analysis only)
    not_tried = "not tried yet"
    reachable = "reachable"
    unreachable = "not reachable"  # no answer: the network, or the hub is down
    refusing = "refusing"  # it answers, but refuses the worker's heartbeats


class PartStatus(BaseModel):
    """One supervised part of the worker (the sender, the views, the heartbeats)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    health: CameraHealth
    note: str = ""

    def __str__(self) -> str:
        return f"{self.health.value}: {self.note}" if self.note else self.health.value


class HubStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reach: HubReach
    note: str = ""  # why not, in words

    def __str__(self) -> str:
        return f"{self.reach.value}: {self.note}" if self.note else self.reach.value


class WorkerStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str
    pid: int
    written_at: datetime
    every_seconds: float
    cameras: list[CameraStatus]
    parts: dict[str, PartStatus]  # by name: the outbox sender, the views, the heartbeats
    outbox: dict[str, int]  # items by state
    hub: HubStatus
    stopped: bool = False  # written as the worker stopped


def write(folder: Path, status: WorkerStatus) -> None:
    """Atomically: a reader never sees half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{FILE}.{os.getpid()}"
    tmp.write_text(status.model_dump_json(indent=1))
    os.replace(tmp, folder / FILE)


def read(folder: Path) -> WorkerStatus | None:
    try:
        return WorkerStatus.model_validate_json((folder / FILE).read_text())
    except (OSError, ValidationError):
        return None


def render(
    status: WorkerStatus | None,
    quarantined: list[Undelivered],
    quarantined_count: int,
    now: datetime | None = None,
) -> list[str]:
    """The lines ``camera status`` prints."""
    now = now or datetime.now(UTC)
    if status is None:
        lines = ["worker: has not run here yet (no status file)"]
    else:
        age = (now - status.written_at).total_seconds()
        running = not status.stopped and age <= STALE_AFTER_PERIODS * status.every_seconds
        when = f"{status.written_at:%Y-%m-%d %H:%M:%S}Z"
        gone = (
            f"stopped at {when}"
            if status.stopped
            else f"last report {when}; or it cannot write here (a full disk?)"
        )
        lines = [
            f"worker: site {status.site}, pid {status.pid}, last report {age:.0f} s ago"
            + ("" if running else f" — NOT RUNNING ({gone})"),
            f"hub: {status.hub}",
        ]
        for camera in status.cameras:
            state = f"{camera.health.value}" + (f": {camera.note}" if camera.note else "")
            if not running:
                state = f"unknown, the worker is not running (last: {state})"
            lines.append(f"camera {camera.name}: {state}")
        lines += [f"{name}: {state}" for name, state in status.parts.items()]
        counts = ", ".join(f"{n} {state}" for state, n in sorted(status.outbox.items()))
        lines.append(f"outbox: {counts or 'empty'}")
    if quarantined_count:
        lines.append(f"could not be delivered ({quarantined_count}, kept here):")
        lines += [
            f"  {u.since:%Y-%m-%d %H:%M:%S}Z {u.kind.value} {u.event_id}: {u.reason}"
            for u in quarantined
        ]
        lines.append("  after mending the cause: safewatch camera retry --site …")
    return lines
