"""Interpreter settings for processes that move alerts: an alert must not wait for the
interpreter's own housekeeping."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# CPython's default young generation (700 allocations) is collected so often that the objects
# of events still in flight, a few milliseconds old, survive into the old generation; each
# time those promotions reach a quarter of it, a full collection walks every object the open
# streams hold. With 2,000 streams that was ~660,000 objects and a 300 ms pause every 3 s
# in which no alert moved (docs/performance.md, "Pauses"). A young generation of 50,000 lets
# them die young; full collections become rare.
YOUNG_GENERATION = 50_000


def tune_for_alerts() -> None:
    """For the life of a hub process."""
    # An alert crosses threads (the writer, its sender, the event loop that holds the open
    # screens): a thread woken for it should not wait out another's default 5 ms turn.
    sys.setswitchinterval(0.001)
    gc.freeze()  # what start-up made (modules, the app) is never garbage: never walk it
    gc.set_threshold(YOUNG_GENERATION, 20, 100)


@contextmanager
def tuned_for_alerts() -> Iterator[None]:
    """The same for a while (a benchmark's clients in a test's process), then as before."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(0.001)
    gc.set_threshold(YOUNG_GENERATION, 20, 100)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
