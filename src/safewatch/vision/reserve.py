"""Room kept on the worker's disk for alerts.

A full disk (a camera box's SD card) must not cost an alert: held in memory, an event is
lost with the process (a reboot, a kill). So the outbox keeps a reserve file beside it; when
a write fails for want of space the reserve is released and the write tried again, and the
reserve is made again once there is room. Clips, megabytes each, are not written into the
last of the space (``room_for_clips``): alerts come first.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)
RESERVE_BYTES = 16 * 1024 * 1024  # ~100 events with their snapshots
MIN_FREE_FOR_CLIPS = 32 * 1024 * 1024
CHUNK = 1024 * 1024


class DiskReserve:
    def __init__(self, folder: Path, size: int = RESERVE_BYTES) -> None:
        self.path, self.size = folder / "outbox.reserve", size

    def keep(self) -> bool:
        """The reserve is there (made now if it was not and there is room)."""
        try:
            if self.path.stat().st_size >= self.size:
                return True
        except FileNotFoundError:
            pass
        try:
            with self.path.open("wb") as f:
                for _ in range(self.size // CHUNK):
                    f.write(b"\0" * CHUNK)
                f.flush()
                os.fsync(f.fileno())
        except OSError:  # no room yet: alerts still have what is left
            self.path.unlink(missing_ok=True)
            return False
        return True

    def release(self) -> bool:
        """The disk is full: the reserve's room goes to the alerts. False if there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        log.error("the disk is full: the outbox's reserve (%d MB) is released", self.size >> 20)
        return True


def room_for_clips(folder: Path) -> str | None:
    """None when a clip may be written in ``folder``; else why not."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None  # not there yet: the write says what is wrong
    if free < MIN_FREE_FOR_CLIPS:
        return f"the disk is nearly full ({free >> 20} MB free): the space is kept for alerts"
    return None
