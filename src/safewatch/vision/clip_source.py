"""An event's clip window and what it is cut from, on the clock of the stream it comes from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from av.video.stream import VideoStream

from safewatch.vision.privacy import Sighting
from safewatch.vision.ring import PacketRing


@dataclass(frozen=True)
class PendingClip:
    """An event's clip waiting for its post-roll, on the clock of the stream it is cut from."""

    event_id: uuid.UUID
    start: float
    end: float

    def moved(self, by: float) -> PendingClip:
        """The same clip on another clock, ``by`` seconds ahead."""
        return PendingClip(self.event_id, self.start + by, self.end + by)


@dataclass(frozen=True)
class ClipSource:
    """What a clip is cut from: the stream, its pre-roll, where people were (for the blur),
    all on the ring's clock."""

    stream: VideoStream | None
    ring: PacketRing
    sightings: Sequence[Sighting]
    stream_key: str  # names the connection: frame times restart with each
