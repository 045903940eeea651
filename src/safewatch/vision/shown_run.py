"""One shared blurred encode of a camera's stream (``shown.py`` runs it): the packets decoded
in decoding order, no further than the analysis has got; each second of frames looked at for
faces with the whole look that starts the next second; scaled, blurred and encoded again; and
the clips cut from it by remux, to the frame, with an MP4 edit list."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.stream import VideoStream

from safewatch.vision.clip_source import PendingClip
from safewatch.vision.clips import EDGE, SCALING, decoder_of, fitted, write_remux, x264_options
from safewatch.vision.privacy import Redactor, Sighting, frame_edit, moved
from safewatch.vision.ring import Packet, TimedPacket, decode_time

TIME_BASE = Fraction(1, 90_000)  # the encode's clock: a live camera's frame times jitter
GOP_SECONDS = 1.0  # a cut carries at most this much before its start, hidden by the edit list
CHUNK_SECONDS = 1.0  # frames are looked at for faces a second at a time
# How much later than a clip's start the shared encode may begin and still give it (the two
# streams' clocks are matched again as packets come: a start moves by milliseconds).
START_SLACK = 0.5


@dataclass(frozen=True)
class Codec:
    """What the shared encode needs to decode a stream, taken on the analysis thread."""

    name: str
    width: int
    height: int
    extradata: bytes | None
    rate: Fraction

    @classmethod
    def of(cls, stream: VideoStream) -> Codec:
        ctx = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or Fraction(10)
        return cls(ctx.name, ctx.width, ctx.height, ctx.extradata, Fraction(rate))


class EncodeRun:
    """One shared encode, from a clip's start on, continuously while clips want it."""

    def __init__(self, key: str, codec: Codec, start: float, redactor: Redactor) -> None:
        self.key, self.codec, self.start, self.redactor = key, codec, start, redactor
        self.decoder = decoder_of(codec.name, codec.width, codec.height, codec.extradata)
        self.size = (codec.width, codec.height)
        if redactor.clip_max_side is not None:
            self.size = fitted(self.size, redactor.clip_max_side)
        self._holder = av.open(io.BytesIO(), "w", format="mp4")  # makes the stream's header
        enc = self._holder.add_stream("libx264", rate=codec.rate)
        enc.width, enc.height = self.size
        enc.pix_fmt = "yuv420p"
        enc.codec_context.time_base = TIME_BASE
        gop = max(1, round(codec.rate * Fraction(GOP_SECONDS)))
        enc.options = x264_options(gop, redactor.clip_max_kbps)
        self._holder.start_encoding()
        self.stream = enc
        self.fed_until = -1e18  # the newest packet handed to the decoder
        self.waiting: list[TimedPacket] = []  # fed, not yet decoded (ahead of the analysis)
        # Decoded frames not yet looked at, scaled as they come to the size faces are looked
        # for at (or the clip's, if larger): a second of them at 720p is less than half the
        # memory of 1080p (issue 21: RSS per busy camera).
        self.frames: list[tuple[float, av.VideoFrame]] = []
        self.held = fitted(
            (codec.width, codec.height), max(self.size[0], self.size[1], redactor.finder.max_side)
        )
        self.scale = (self.held[0] / codec.width, self.held[1] / codec.height)
        # The faces its whole looks found are remembered under its own name: they are in the
        # held frames' pixels, not the camera's (a clip blurred alone looks at the original).
        self.looks_key = f"{key}@{self.held[0]}x{self.held[1]}"
        self.time_base: Fraction | None = None  # the stream's: its packets carry it
        self.sightings: list[Sighting] = []
        self.encoded: list[tuple[float, Packet]] = []  # (time on the stream's clock, packet)
        self.position = start - 1.0  # the last frame encoded
        self.frames_encoded = 0

    def take(self, packets: list[TimedPacket], sightings: list[Sighting]) -> None:
        fresh = [p for p in packets if decode_time(p) > self.fed_until]
        if fresh:
            self.waiting.extend(fresh)
            self.fed_until = decode_time(fresh[-1])
            self.time_base = self.time_base or fresh[0].packet.time_base
        known = self.sightings[-1].t if self.sightings else -1e18
        self.sightings.extend(s for s in sightings if s.t > known)

    def advance(self, upto: float, final: bool = False) -> None:
        """Decodes what the analysis has passed and encodes it a chunk at a time, never
        holding more than a chunk of decoded frames (a pre-roll of 1080p frames is 450 MB)."""
        ready = 0
        while ready < len(self.waiting) and decode_time(self.waiting[ready]) <= upto + EDGE:
            ready += 1
        packets, self.waiting = self.waiting[:ready], self.waiting[ready:]
        for item in packets:
            self._decoded(self.decoder.decode(item.packet))  # type: ignore[attr-defined]
            self._encode_chunks(final=False)
        if final:
            self._decoded(self.decoder.decode(None))  # type: ignore[attr-defined]
            self._encode_chunks(final=True)
            self._got(self.stream.encode(None))
        self._trim()

    def _time(self, frame: av.VideoFrame) -> float | None:
        """On the stream's clock (frames flushed from the decoder carry no time base)."""
        if frame.pts is None or self.time_base is None:
            return None
        return float(frame.pts * self.time_base)

    def _decoded(self, frames: list[av.VideoFrame]) -> None:
        for frame in frames:
            t = self._time(frame)
            if t is not None and t >= self.start - EDGE:
                held = self._scaled(frame, self.held)
                held.pts = frame.pts
                self.frames.append((t, held))

    def _encode_chunks(self, final: bool) -> None:
        """A second of frames at a time, with the frame that starts the next second: that one
        is searched whole here (and remembered for the next chunk), so the frames before it
        have a whole look after them too — someone the person detector missed is covered
        from either side, as in a clip blurred whole."""
        while self.frames:
            first = self.frames[0][0]
            ends = [i for i, (t, _) in enumerate(self.frames) if t >= first + CHUNK_SECONDS - EDGE]
            if ends:  # the chunk, and the next one's first frame
                self._encode(self.frames[: ends[0] + 1], whole_last=ends[0])
                self.frames = self.frames[ends[0] :]
            elif final:
                self._encode(self.frames, whole_last=None)
                self.frames = []
            else:
                return

    def _encode(self, frames: list[tuple[float, av.VideoFrame]], whole_last: int | None) -> None:
        """Looks for faces in ``frames`` and encodes them, but for the last one when it is
        the next chunk's (``whole_last``)."""
        window = self.redactor.sighting_window
        first, last = frames[0][0], frames[-1][0]
        seen = [s for s in self.sightings if first - window <= s.t <= last + window]
        pictures = [f for _, f in frames]
        for picture in pictures:  # the redactor reads each frame's time
            picture.time_base = self.time_base
        plan = self.redactor.clip(
            self.looks_key, pictures, moved(seen, 0.0, self.scale), whole_last=whole_last
        )
        edit = frame_edit(plan, self.held[0])
        chunk = frames if whole_last is None else frames[:whole_last]
        for i, (t, frame) in enumerate(chunk):
            out = edit(i, self._scaled(frame, self.size)).reformat(format="yuv420p")
            out.pts, out.time_base = round((t - self.start) / TIME_BASE), TIME_BASE
            self._got(self.stream.encode(out))
            self.position = t
            self.frames_encoded += 1

    @staticmethod
    def _scaled(frame: av.VideoFrame, size: tuple[int, int]) -> av.VideoFrame:
        if (frame.width, frame.height) == size and frame.format.name == "yuv420p":
            return frame
        return frame.reformat(
            width=size[0], height=size[1], format="yuv420p", interpolation=SCALING
        )

    def _got(self, packets: list[Packet]) -> None:
        for packet in packets:
            if packet.pts is not None and packet.time_base is not None:
                self.encoded.append((self.start + float(packet.pts * packet.time_base), packet))

    def _trim(self) -> None:
        """Keeps a little more than a pre-roll of the encode: a clip starts 10 s back."""
        keep_from = self.position - 30.0
        keys = [i for i, (t, p) in enumerate(self.encoded) if p.is_keyframe and t <= keep_from]
        if keys:
            self.encoded = self.encoded[keys[-1] :]
        self.sightings = [s for s in self.sightings if s.t >= self.position - 5.0]

    def gives(self, clip: PendingClip, key: str) -> bool:
        return key == self.key and self.start <= clip.start + START_SLACK

    def cut(self, clip: PendingClip, path: Path, stream_ended: bool) -> None:
        """The clip from the encode: its frames from ``clip.start`` to ``clip.end`` (as far as
        the encode went when the stream ended), with the GOP before the start hidden by an
        edit list. Refused (ValueError) when the encode does not hold the whole window."""
        frame = 1 / float(self.codec.rate)
        times = [t for t, _ in self.encoded if t >= clip.start - EDGE]
        if not times or times[0] > clip.start + START_SLACK + EDGE:
            raise ValueError("the shared encode does not reach back to the clip's start")
        if not stream_ended and self.position < clip.end - frame - EDGE:
            raise ValueError("the shared encode stopped before the clip's end")
        end = min(clip.end, self.position)
        first = times[0]
        keys = [i for i, (t, p) in enumerate(self.encoded) if p.is_keyframe and t <= first + EDGE]
        if not keys:
            raise ValueError("the shared encode no longer holds the clip's first keyframe")
        packets = [p for t, p in self.encoded[keys[-1] :] if t <= end + EDGE]
        base = round((first - self.start) / TIME_BASE)
        write_remux(self.stream, packets, path, base)

    def close(self) -> None:
        with contextlib.suppress(av.FFmpegError):  # nothing was muxed: no trailer to write
            self._holder.close()
