"""The record stream's frame at an event's trigger, decoded only when an event happens.

A frame of an H.264 or H.265 stream is decoded from its GOP's keyframe on: at 1080p that is
up to a GOP (2 s) of frames for each snapshot, on the alert's path. A camera with people in
view raises its events a few frames apart, most of them in the GOP of the one before (or in
the very same frame: two people on the lawn at once), so the decoder of the last snapshot is
kept and carries on from where it stopped (issue 21: trigger → outbox p99).
"""

from __future__ import annotations

from collections.abc import Sequence

import av
import numpy as np
from av.video.stream import VideoStream

from safewatch.vision.clips import decoded
from safewatch.vision.ring import TimedPacket

# The decoder is let go once this many keyframes have come after its GOP: no snapshot will
# be asked for there any more (the analysis is not that far behind), and a 1080p decoder's
# frames are ~30 MB held for nothing.
KEYFRAMES_KEPT = 2


class GopDecoder:
    """Decodes the last of a GOP's packets, carrying on from the last call's packets when
    they lead up to these (the same GOP, a later or the same frame); anything else starts
    again from the keyframe."""

    def __init__(self) -> None:
        self._stream: VideoStream | None = None
        self._decoder: av.CodecContext | None = None
        self._fed: list[TimedPacket] = []
        self._frame: av.VideoFrame | None = None  # the newest frame out of the decoder
        self._picture: tuple[int, np.ndarray] | None = None  # the last one asked for, BGR
        self._keyframes_after = 0

    @property
    def holding(self) -> bool:
        return self._decoder is not None

    def picture(self, stream: VideoStream, packets: Sequence[TimedPacket]) -> np.ndarray | None:
        """The frame of the last packet (BGR), ``packets`` running from its GOP's keyframe in
        decoding order (``PacketRing.frame_at``); None when nothing decodes. Raises
        ``av.FFmpegError`` as the decoder does."""
        if not packets:
            return None
        target = packets[-1].packet.pts
        if target is None:  # nothing to tell the frame by: decoded whole, flushed
            self.release()
            return _decoded_whole(stream, packets)
        if (
            self._picture is not None
            and self._picture[0] == target
            and self._goes_on(stream, packets)
        ):
            return self._picture[1]
        if not self._goes_on(stream, packets):
            self._start(stream)
        decoder = self._decoder
        assert decoder is not None
        try:
            for item in packets[len(self._fed) :]:
                for frame in decoder.decode(item.packet):  # type: ignore[attr-defined]
                    self._frame = frame
                self._fed.append(item)
        except av.FFmpegError:
            self.release()
            raise
        if self._frame is None or self._frame.pts != target:  # held back (B-frames): flush
            self.release()
            return _decoded_whole(stream, packets)
        picture = self._frame.to_ndarray(format="bgr24")
        picture.setflags(write=False)  # shared by the events of its frame: drawn on copies
        self._picture = (target, picture)
        return picture

    def keyframe_came(self) -> None:
        """The stream has moved on by a GOP."""
        self._keyframes_after += 1
        if self._keyframes_after >= KEYFRAMES_KEPT:
            self.release()

    def release(self) -> None:
        self._stream, self._decoder, self._fed = None, None, []
        self._frame, self._picture, self._keyframes_after = None, None, 0

    def _goes_on(self, stream: VideoStream, packets: Sequence[TimedPacket]) -> bool:
        """Whether ``packets`` lead on from (or up to) the ones fed, on the same stream."""
        fed = len(self._fed)
        return (
            self._decoder is not None
            and stream is self._stream
            and 0 < fed <= len(packets)
            and packets[0] is self._fed[0]
            and packets[fed - 1] is self._fed[-1]
        )

    def _start(self, stream: VideoStream) -> None:
        self.release()
        decoder = av.CodecContext.create(stream.codec_context.name, "r")
        decoder.width, decoder.height = stream.codec_context.width, stream.codec_context.height  # type: ignore[attr-defined]
        if stream.codec_context.extradata:
            decoder.extradata = stream.codec_context.extradata
        self._stream, self._decoder = stream, decoder


def _decoded_whole(stream: VideoStream, packets: Sequence[TimedPacket]) -> np.ndarray | None:
    """The frame of the last packet, decoded from the keyframe and flushed out: with
    B-frames a later frame (its reference) comes out after it."""
    target, found, last = packets[-1].packet.pts, None, None
    for frame in decoded(stream, packets):
        last = frame
        if target is not None and frame.pts == target:
            found = frame
    picture = found or last
    return None if picture is None else picture.to_ndarray(format="bgr24")
