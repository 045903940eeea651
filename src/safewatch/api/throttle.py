"""Rate limits at the hub's edge (the ``limits`` library): sign-in per client
address, SOS per device or person, camera events per camera. Each replica counts its own
senders; what must hold across replicas and restarts (a locked name) is in the database
(``services/accounts.py``)."""

from __future__ import annotations

import time
from typing import Literal

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from safewatch.core.config import Settings
from safewatch.core.errors import TooMany

Kind = Literal["sign_in", "failed_sign_in", "sos", "camera_event", "unlock", "location"]
LOCATION_RATE = "60/minute"  # "follow me" sends one every 5 s; a watch every few seconds

MESSAGES: dict[Kind, str] = {
    "sign_in": "too many sign-in attempts from this address",
    "failed_sign_in": "too many failed sign-ins from this address (refused as credential "
    "stuffing; the operators are told)",
    "sos": "too many SOS presses from this device in a minute; the first opened the "
    "incident and help is on its way",
    "camera_event": "this camera sends more events than the hub takes from one camera",
    "unlock": "too many wrong PINs: wait before trying again",
    "location": "positions come faster than one a second: the last ones are kept",
}


class Throttle:
    def __init__(self, settings: Settings) -> None:
        people = MovingWindowRateLimiter(MemoryStorage())
        # Camera events are counted per event, for every camera of the region: a fixed window
        # (one counter per camera) instead of a moving one. The memory store sweeps every
        # moving window's timestamps each 10 ms; with 2,000 cameras that sweep took 16 % of
        # the hub's interpreter under load (py-spy, docs/performance.md).
        cameras = FixedWindowRateLimiter(MemoryStorage())
        self.limiters: dict[Kind, RateLimiter] = {
            "sign_in": people,
            "failed_sign_in": people,
            "sos": people,
            "camera_event": cameras,
            "unlock": people,
            "location": people,
        }
        self.rates: dict[Kind, RateLimitItem] = {
            "sign_in": parse(settings.sign_in_rate),
            "failed_sign_in": parse(settings.failed_sign_in_rate),
            "sos": parse(settings.sos_rate),
            "camera_event": parse(settings.camera_event_rate),
            "unlock": parse(settings.failed_sign_in_rate),  # wrong PINs, as wrong passwords
            "location": parse(LOCATION_RATE),
        }

    def allows(self, kind: Kind, sender: str) -> bool:
        """Count one; False when the sender is over its rate."""
        return self.limiters[kind].hit(self.rates[kind], kind, sender)

    def over(self, kind: Kind, sender: str) -> bool:
        """Whether the sender is over its rate now (without counting)."""
        return not self.limiters[kind].test(self.rates[kind], kind, sender)

    def hit(self, kind: Kind, sender: str) -> None:
        """Count one, or refuse with 429 and when to try again."""
        if not self.allows(kind, sender):
            raise self.refusal(kind, sender)

    def refusal(self, kind: Kind, sender: str) -> TooMany:
        stats = self.limiters[kind].get_window_stats(self.rates[kind], kind, sender)
        return TooMany(MESSAGES[kind], int(stats.reset_time - time.time()) + 1)
