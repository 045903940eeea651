"""The pre-roll: compressed packets of the last seconds, kept whole GOPs at a time."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from av.packet import Packet as AnyPacket
from av.video.stream import VideoStream

if TYPE_CHECKING:
    Packet = AnyPacket[VideoStream]  # generic only in the type stubs
else:
    Packet = AnyPacket


@dataclass(frozen=True)
class TimedPacket:
    t: float  # seconds on the stream's clock
    keyframe: bool
    packet: Packet


def packet_time(packet: Packet) -> float | None:
    ts = packet.pts if packet.pts is not None else packet.dts
    if ts is None or packet.time_base is None:
        return None
    return float(ts * packet.time_base)


class PacketRing:
    """Keeps at least ``seconds`` of packets, starting on a keyframe so any cut can decode.

    Memory is bounded by the stream's bit rate: 30 s of a 1 Mbps camera is about 4 MB.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._gops: deque[list[TimedPacket]] = deque()

    def push(self, packet: Packet) -> TimedPacket | None:
        t = packet_time(packet)
        if t is None or packet.size == 0:
            return None
        item = TimedPacket(t, bool(packet.is_keyframe), packet)
        if item.keyframe or not self._gops:
            if not item.keyframe and not self._gops:
                return item  # nothing decodable before the first keyframe
            self._gops.append([item])
        else:
            self._gops[-1].append(item)
        # Drop a whole GOP once the next one alone still covers the window.
        while len(self._gops) > 1 and self._gops[1][0].t <= t - self.seconds:
            self._gops.popleft()
        return item

    @property
    def newest(self) -> float | None:
        """The latest frame's time (with B-frames, not always the last packet's)."""
        return max(p.t for p in self._gops[-1]) if self._gops else None

    @property
    def oldest(self) -> float | None:
        return self._gops[0][0].t if self._gops else None

    def window(self, start: float, end: float) -> list[TimedPacket]:
        """Packets from the last keyframe at or before ``start`` up to ``end``."""
        first = 0
        for i, gop in enumerate(self._gops):
            if gop[0].t <= start:
                first = i
        out: list[TimedPacket] = []
        for gop in list(self._gops)[first:]:
            out.extend(p for p in gop if p.t <= end)
        return out

    def frame_at(self, t: float) -> list[TimedPacket]:
        """What decodes the last frame at or before ``t``: its GOP's packets in decoding
        order, up to its own. With B-frames a frame's later reference comes before it, and
        packets after it may show earlier: ``window`` would cut by time."""
        gop = next((g for g in reversed(self._gops) if g[0].t <= t), None)
        if gop is None:
            return []
        last = max((i for i, p in enumerate(gop) if p.t <= t), key=lambda i: gop[i].t)
        return gop[: last + 1]

    def clear(self) -> None:
        self._gops.clear()

    def __len__(self) -> int:
        return sum(len(g) for g in self._gops)
