"""Every long-running part of the camera worker runs supervised.

A part (a camera's reader, the outbox sender, the views, the heartbeats) is a function that
loops until told to stop. If it raises — anything: a network error, a model's own exception,
a full disk — or returns early, the supervisor logs it with the part's name, marks the part
``restarting`` with the reason, waits (1 s doubling to 30 s; back to 1 s once the part has run
a minute) and runs it again. Nothing a camera or the network does ends the process, and the
state a part reports is the state it is in.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from safewatch.bus.messages import CameraHealth

log = logging.getLogger(__name__)
FIRST_WAIT, MAX_WAIT = 1.0, 30.0
HEALTHY_AFTER = 60.0  # a part that ran this long without failing starts its backoff afresh


@dataclass(frozen=True)
class PartState:
    health: CameraHealth
    note: str = ""  # why it is not ok, in words
    failures: int = 0  # restarts since it was last healthy

    @property
    def healthy(self) -> bool:
        """Running as it should (or still starting)."""
        return self.health in (CameraHealth.ok, CameraHealth.starting)

    def __str__(self) -> str:
        return f"{self.health.value}: {self.note}" if self.note else self.health.value


class Supervised:
    """One part in a thread of its own, started again whenever it fails.

    ``body(stop)`` runs the part's loop; it may call ``report`` to say how it is."""

    def __init__(
        self,
        name: str,
        body: Callable[[threading.Event], None],
        stop: threading.Event,
        first_wait: float = FIRST_WAIT,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.name, self.body, self.stop = name, body, stop
        self.first_wait, self.max_wait = first_wait, max_wait
        self.state = PartState(CameraHealth.starting)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def report(self, health: CameraHealth, note: str = "") -> None:
        self.state = PartState(health, note, self.state.failures)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread.ident is not None:  # started
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def current(self) -> PartState:
        """The state to show: a part whose thread is gone is never "ok"."""
        if self._thread.ident is not None and not self.alive and not self.stop.is_set():
            return PartState(CameraHealth.degraded, "stopped", self.state.failures)
        return self.state

    def _run(self) -> None:
        wait = self.first_wait
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.body(self.stop)
                if self.stop.is_set():
                    return
                reason = "ended unexpectedly"
                log.error("%s %s: starting it again", self.name, reason)
            except Exception as exc:  # whatever it was, the part comes back
                reason = f"{type(exc).__name__}: {exc}"
                log.exception(
                    "%s failed (%s): starting it again in %.0f s", self.name, reason, wait
                )
            failures = self.state.failures + 1
            if time.monotonic() - started >= HEALTHY_AFTER:  # it had been well: a new fault
                wait, failures = self.first_wait, 1
            self.state = PartState(CameraHealth.restarting, reason[:200], failures)
            self.stop.wait(wait)
            wait = min(wait * 2, self.max_wait)


# Clip and blur work yields the cores to the analysis: an alert must not wait behind a clip
# (added to the worker's own niceness).
BACKGROUND_NICENESS = 10


def in_background() -> None:
    """Lowers the calling thread's priority (Linux: niceness is per thread). For the
    threads that cut and blur clips, beside the analysis that raises the alerts."""
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, now + BACKGROUND_NICENESS))
    except OSError as exc:  # not permitted here: the work still runs, at normal priority
        log.warning("a background thread kept its priority: %s", exc)
