"""The record stream's frame at an event's trigger, decoded only when an event happens.

A frame of an H.264 or H.265 stream is decoded from its GOP's keyframe on: at 1080p that is
up to a GOP (2 s) of frames for each snapshot, on the alert's path. A camera with people in
view raises its events a few frames apart, most of them in the GOP of the one before (or in
the very same frame: two people on the lawn at once), so the decoder of the last snapshot is
kept and carries on from where it stopped (issue 21: trigger → outbox p99).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import av
import numpy as np
from av.video.stream import VideoStream

from safewatch.vision.clips import decoded, new_decoder
from safewatch.vision.ring import TimedPacket

log = logging.getLogger(__name__)

# The decoder is let go once this many keyframes have come after its GOP: a snapshot is
# seldom asked for there any more (the analysis is not that far behind; one that is decodes
# its GOP anew), and a 1080p decoder's frames are ~25 MB held for nothing.
KEYFRAMES_KEPT = 1
# Frames kept after they come out of the decoder: a B-frame stream gives a frame out after up
# to a few later ones (x264's default: 3 B-frames).
REORDER_KEPT = 4


class GopDecoder:
    """Decodes a GOP's frame, carrying on from the last call's packets when they lead up to it
    (the same GOP, a later or the same frame); anything else starts again from the keyframe.
    With B-frames the decoder gives a frame out only after later packets: the GOP's next
    packets are fed until it comes."""

    def __init__(self) -> None:
        self._stream: VideoStream | None = None
        self._decoder: av.CodecContext | None = None
        self._fed: list[TimedPacket] = []
        self._out: dict[int, av.VideoFrame] = {}  # the last frames out of the decoder, by pts
        self._picture: tuple[int, np.ndarray] | None = None  # the last one asked for, BGR
        self._keyframes_after = 0

    @property
    def holding(self) -> bool:
        return self._decoder is not None

    def picture(
        self, stream: VideoStream, gop: Sequence[TimedPacket], index: int
    ) -> np.ndarray | None:
        """The frame of ``gop[index]`` (BGR), ``gop`` being its GOP's packets in decoding
        order as far as they came (``PacketRing.frame_at``); None when it does not decode.
        Raises ``av.FFmpegError`` as the decoder does."""
        target = gop[index].packet.pts
        if target is None:  # nothing to tell the frame by: decoded up to it, flushed
            self.release()
            return _decoded_whole(stream, gop[: index + 1], None)
        goes_on = self._goes_on(stream, gop)
        if goes_on and self._picture is not None and self._picture[0] == target:
            return self._picture[1]
        if not (goes_on and (target in self._out or target > self._latest_out)):
            self._start(stream)
        decoder = self._decoder
        assert decoder is not None
        try:
            for item in gop[len(self._fed) :]:
                if target in self._out and len(self._fed) > index:
                    break
                for frame in decoder.decode(item.packet):  # type: ignore[attr-defined]
                    if frame.pts is not None:
                        self._out[frame.pts] = frame
                        while len(self._out) > REORDER_KEPT:
                            del self._out[min(self._out)]
                self._fed.append(item)
        except av.FFmpegError:
            self.release()
            raise
        frame = self._out.get(target)
        if frame is None:  # held back with nothing after it yet: flushed out
            self.release()
            return _decoded_whole(stream, gop, target)
        picture = frame.to_ndarray(format="bgr24")
        picture.setflags(write=False)  # shared by the events of its frame: drawn on copies
        self._picture = (target, picture)
        return picture

    @property
    def _latest_out(self) -> int:
        """The latest frame out of the decoder (a later one has not been decoded yet)."""
        return max(self._out, default=-(2**62))

    def keyframe_came(self) -> None:
        """The stream has moved on by a GOP."""
        self._keyframes_after += 1
        if self._keyframes_after >= KEYFRAMES_KEPT:
            self.release()

    def release(self) -> None:
        self._stream, self._decoder, self._fed = None, None, []
        self._out, self._picture, self._keyframes_after = {}, None, 0

    def _goes_on(self, stream: VideoStream, gop: Sequence[TimedPacket]) -> bool:
        """Whether ``gop`` leads on from the packets fed, on the same stream."""
        fed = len(self._fed)
        return (
            self._decoder is not None
            and stream is self._stream
            and 0 < fed <= len(gop)
            and gop[0] is self._fed[0]
            and gop[fed - 1] is self._fed[-1]
        )

    def _start(self, stream: VideoStream) -> None:
        self.release()
        self._stream, self._decoder = stream, new_decoder(stream)


def _decoded_whole(
    stream: VideoStream, packets: Sequence[TimedPacket], target: int | None
) -> np.ndarray | None:
    """The frame at ``target`` (pts), decoded from the keyframe and flushed out; None: the
    last frame. A frame that does not come out is None, never another frame."""
    chosen = None
    for frame in decoded(stream, packets):
        if target is None or frame.pts == target:
            chosen = frame
    if chosen is None:
        log.warning("the snapshot's frame did not decode from its GOP")
        return None
    return chosen.to_ndarray(format="bgr24")
