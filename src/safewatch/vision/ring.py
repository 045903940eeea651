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


def decode_time(packet: TimedPacket) -> float:
    """Where the packet stands in decoding order (its presentation time without B-frames)."""
    p = packet.packet
    if p.dts is None or p.time_base is None:
        return packet.t
    return float(p.dts * p.time_base)


class PacketRing:
    """Keeps at least ``seconds`` of packets, starting on a keyframe so any cut can decode.

    Memory is bounded by the stream's bit rate: 30 s of a 1 Mbps camera is about 4 MB.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._gops: deque[list[TimedPacket]] = deque()
        self._newest: float | None = None

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
        # the latest frame so far; a clock that jumped back starts it again (the shared
        # encode and the clips tell a jump by it)
        jumped = self._newest is not None and t < self._newest - 1.0
        self._newest = t if self._newest is None or jumped else max(self._newest, t)
        # Drop a whole GOP once the next one alone still covers the window.
        while len(self._gops) > 1 and self._gops[1][0].t <= t - self.seconds:
            self._gops.popleft()
        return item

    @property
    def newest(self) -> float | None:
        """The latest frame's time (with B-frames, not always the last packet's)."""
        return self._newest

    @property
    def decoded_to(self) -> float | None:
        """Where the last packet stands in decoding order: every frame up to here has come
        (with B-frames, a frame before ``newest`` may still be on its way)."""
        return decode_time(self._gops[-1][-1]) if self._gops else None

    @property
    def oldest(self) -> float | None:
        return self._gops[0][0].t if self._gops else None

    def window(self, start: float, end: float) -> list[TimedPacket]:
        """Packets from the last keyframe at or before ``start`` up to the last frame at or
        before ``end``, in decoding order: with B-frames that takes in the later frames
        they refer to (cut by time, the clip's last B-frames lost their reference)."""
        first = 0
        for i, gop in enumerate(self._gops):
            if gop[0].t <= start:
                first = i
        out = [p for gop in list(self._gops)[first:] for p in gop]
        last = max((i for i, p in enumerate(out) if p.t <= end), default=-1)
        return out[: last + 1]

    def frame_at(self, t: float) -> tuple[list[TimedPacket], int] | None:
        """What decodes the last frame at or before ``t``: the packets from its GOP's keyframe
        in decoding order, as far as the next GOP's (with B-frames a frame comes out of a
        decoder only after later packets, the next keyframe's for the GOP's last), and that
        frame's place among them. ``window`` cuts by time, and a B-frame's later reference
        comes before it."""
        gops = list(self._gops)
        at = next((k for k in range(len(gops) - 1, -1, -1) if gops[k][0].t <= t), None)
        if at is None:
            return None
        gop, after = gops[at], gops[at + 1] if at + 1 < len(gops) else []
        index = max((i for i, p in enumerate(gop) if p.t <= t), key=lambda i: gop[i].t)
        return [*gop, *after], index

    def clear(self) -> None:
        self._gops.clear()
        self._newest = None

    def __len__(self) -> int:
        return sum(len(g) for g in self._gops)
