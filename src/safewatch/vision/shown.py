"""The clip the victim sees, made once for all the clips of a camera that overlap: a camera
with people in view raises an event every few seconds, and their 20 s clips cover the same
video. From an event's trigger on, the camera's stream is decoded, its bystanders' faces
blurred and the picture encoded again *as the video comes* (one shared encode, on a thread
of its own); each clip is then cut from that encode by remux, to the frame (an MP4 edit list
hides the part of the first GOP before its start), as soon as the encode passes its end.

The analysis thread hands over what it has (``want``, ``feed``: packets and where people
were, on the stream's clock); the encode never runs ahead of the analysis, whose sightings
tell whose face to keep clear. Whatever the shared encode cannot give (another connection,
a failure) falls back to blurring the clip from its original on disk."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.stream import VideoStream

from safewatch.vision.clip_source import ClipSource, PendingClip
from safewatch.vision.clips import EDGE, fitted, write_remux
from safewatch.vision.ports import ClipSink
from safewatch.vision.privacy import Redactor, Sighting, frame_edit
from safewatch.vision.ring import Packet, TimedPacket
from safewatch.vision.supervisor import in_background

log = logging.getLogger(__name__)
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


@dataclass
class ShownStats:
    """What the shared encode did: frames encoded once, clips cut from them, clips that
    fell back to a blur of their own."""

    frames: int = 0
    runs: int = 0
    cut: int = 0
    fell_back: int = 0


@dataclass(frozen=True)
class Delivery:
    """A clip to cut from the shared encode once it passes its end, to ``path``; ``fallback``
    blurs it from its original when the encode cannot give it."""

    clip: PendingClip
    stream_key: str
    path: Path
    original: Path
    fallback: Callable[[], None]


class _Run:
    """One shared encode, from a clip's start on, continuously while clips want it."""

    def __init__(self, key: str, codec: Codec, start: float, redactor: Redactor) -> None:
        self.key, self.codec, self.start, self.redactor = key, codec, start, redactor
        self.decoder = av.CodecContext.create(codec.name, "r")
        self.decoder.width, self.decoder.height = codec.width, codec.height  # type: ignore[attr-defined]
        if codec.extradata:
            self.decoder.extradata = codec.extradata
        self.size = (codec.width, codec.height)
        if redactor.clip_max_side is not None:
            self.size = fitted(self.size, redactor.clip_max_side)
        self._holder = av.open(io.BytesIO(), "w", format="mp4")  # makes the stream's header
        enc = self._holder.add_stream("libx264", rate=codec.rate)
        enc.width, enc.height = self.size
        enc.pix_fmt = "yuv420p"
        enc.codec_context.time_base = TIME_BASE
        enc.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "g": str(max(1, round(codec.rate * Fraction(GOP_SECONDS)))),
            "threads": "1",
        }
        self._holder.start_encoding()
        self.stream = enc
        self.fed_until = -1e18  # the newest packet handed to the decoder
        self.waiting: list[TimedPacket] = []  # fed, not yet decoded (ahead of the analysis)
        self.frames: list[av.VideoFrame] = []  # decoded, not yet looked at
        self.sightings: list[Sighting] = []
        self.encoded: list[tuple[float, Packet]] = []  # (time on the stream's clock, packet)
        self.position = start - 1.0  # the last frame encoded
        self.frames_encoded = 0

    def take(self, packets: list[TimedPacket], sightings: list[Sighting]) -> None:
        fresh = [p for p in packets if p.t > self.fed_until]
        if fresh:
            self.waiting.extend(fresh)
            self.fed_until = fresh[-1].t
        known = self.sightings[-1].t if self.sightings else -1e18
        self.sightings.extend(s for s in sightings if s.t > known)

    def advance(self, upto: float, final: bool = False) -> None:
        """Decodes what the analysis has passed and encodes it a chunk at a time, never
        holding more than a chunk of decoded frames (a pre-roll of 1080p frames is 450 MB)."""
        ready = [p for p in self.waiting if p.t <= upto + EDGE]
        self.waiting = self.waiting[len(ready) :]
        for item in ready:
            self._decoded(self.decoder.decode(item.packet))  # type: ignore[attr-defined]
            self._encode_chunks(final=False)
        if final:
            self._decoded(self.decoder.decode(None))  # type: ignore[attr-defined]
            self._encode_chunks(final=True)
            self._got(self.stream.encode(None))
        self._trim()

    def _encode_chunks(self, final: bool) -> None:
        while self.frames:
            first = float(self.frames[0].time or 0)
            if not final and float(self.frames[-1].time or 0) - first < CHUNK_SECONDS - EDGE:
                return
            chunk = [f for f in self.frames if float(f.time or 0) <= first + CHUNK_SECONDS - EDGE]
            self.frames = self.frames[len(chunk) :]
            self._encode(chunk)

    def _decoded(self, frames: list[av.VideoFrame]) -> None:
        for frame in frames:
            if frame.time is not None and frame.time >= self.start - EDGE:
                self.frames.append(frame)

    def _encode(self, chunk: list[av.VideoFrame]) -> None:
        window = self.redactor.sighting_window
        first, last = float(chunk[0].time or 0), float(chunk[-1].time or 0)
        seen = [s for s in self.sightings if first - window <= s.t <= last + window]
        plan = self.redactor.clip(self.key, chunk, seen)
        edit = frame_edit(plan, self.codec.width)
        for i, frame in enumerate(chunk):
            t = float(frame.time or 0)
            small = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
            out = edit(i, small).reformat(format="yuv420p")
            out.pts, out.time_base = round((t - self.start) / TIME_BASE), TIME_BASE
            self._got(self.stream.encode(out))
            self.position = t
            self.frames_encoded += 1

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

    def cut(self, clip: PendingClip, path: Path) -> None:
        """The clip from the encode: its frames from ``clip.start`` to ``clip.end`` (or as far
        as the encode went), with the GOP before the start hidden by an edit list."""
        end = min(clip.end, self.position)
        times = [t for t, _ in self.encoded if t >= clip.start - EDGE]
        if not times or times[0] > end + EDGE:
            raise ValueError("the shared encode holds no frame of the clip")
        first = times[0]
        keys = [i for i, (t, p) in enumerate(self.encoded) if p.is_keyframe and t <= first + EDGE]
        if not keys:
            raise ValueError("the shared encode no longer holds the clip's first keyframe")
        key = keys[-1]
        packets = [(t, p) for t, p in self.encoded[key:] if t <= end + EDGE]
        base = round((first - self.start) / TIME_BASE)
        write_remux(self.stream, [p for _, p in packets], path, base)

    def close(self) -> None:
        with contextlib.suppress(av.FFmpegError):  # nothing was muxed: no trailer to write
            self._holder.close()


class ShownStream:
    """One camera's shared encode. ``want``, ``feed`` and ``deliver`` are called on the
    analysis thread (``deliver`` also from the clip thread); the work is done on the
    camera's own "shown" thread, in the order it was asked for."""

    def __init__(self, redactor: Redactor, camera: str, sink: ClipSink) -> None:
        self.redactor, self.camera, self.sink = redactor, camera, sink
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="shown", initializer=in_background
        )
        self._lock = threading.Lock()
        self._wanted: set[uuid.UUID] = set()  # clips waiting for it (analysis-side record)
        self._key: str | None = None  # the stream the run now follows
        self._start = 0.0
        self._run_no = 0
        self._fed = -1e18  # the newest packet handed over
        self._seen = -1e18  # the newest sighting handed over
        # On the shown thread only:
        self._run: _Run | None = None
        self._run_of = 0
        self._parked: list[Delivery] = []
        self._queued: dict[Future[None], Delivery] = {}
        self.stats = ShownStats()

    @property
    def active(self) -> bool:
        with self._lock:
            return bool(self._wanted)

    @property
    def key(self) -> str | None:
        """The stream the encode follows."""
        with self._lock:
            return self._key

    # -- the analysis thread -------------------------------------------------------------------
    def want(self, clip: PendingClip, source: ClipSource, upto: float) -> None:
        """An event's clip (on the source's clock): the encode starts at its start unless the
        running one already covers it."""
        if source.stream is None:
            return
        with self._lock:
            same = self._key == source.stream_key and self._start <= clip.start + START_SLACK
            if not (self._wanted and same):
                self._run_no += 1
                self._key, self._start, self._fed, self._seen = (
                    source.stream_key,
                    clip.start,
                    -1e18,
                    -1e18,
                )
            self._wanted.add(clip.event_id)
            run = self._run_no
        packets = source.ring.window(clip.start, upto)
        self._hand(run, source, packets, upto, clip.start, Codec.of(source.stream))

    def feed(self, source: ClipSource, upto: float) -> None:
        """What came since the last feed, while a clip wants the encode."""
        with self._lock:
            if not self._wanted or source.stream_key != self._key or source.stream is None:
                return
            run = self._run_no
        packets = [p for p in source.ring.window(self._fed, upto) if p.t > self._fed]
        self._hand(run, source, packets, upto, self._start, Codec.of(source.stream))

    def _hand(
        self,
        run: int,
        source: ClipSource,
        packets: list[TimedPacket],
        upto: float,
        start: float,
        codec: Codec,
    ) -> None:
        sightings = [s for s in source.sightings if s.t > self._seen]
        if packets:
            self._fed = max(self._fed, packets[-1].t)
        if sightings:
            self._seen = sightings[-1].t
        key = source.stream_key
        self._submit(self._take, run, key, codec, start, packets, sightings, upto)

    def deliver(self, delivery: Delivery) -> bool:
        """The clip's turn (its original is on disk): cut from the encode once it passes the
        clip's end. False when the encode was never asked for this clip."""
        with self._lock:
            if delivery.clip.event_id not in self._wanted:
                return False
            self._wanted.discard(delivery.clip.event_id)
            done = not self._wanted
        future = self._submit(self._deliver, delivery)
        if future is None:
            return False  # stopped: the clip is blurred alone, or told why
        with self._lock:
            if not future.done():  # else its callback has run: nothing to keep
                self._queued[future] = delivery
        if done:
            self._submit(self._finish, None)
        return True

    def reset(self) -> None:
        """A new connection of the analysed stream: its pending clips were told it broke;
        the run ends."""
        with self._lock:
            self._key = None
            self._wanted.clear()
        self._submit(self._finish, None)

    def finish(self) -> None:
        """The stream ended: everything handed over is encoded and the waiting clips cut."""
        self._submit(self._finish, None)

    def wait(self) -> None:
        """Until the work asked for so far is done."""
        if (future := self._submit(lambda: None)) is not None:
            future.result()

    def close(self) -> None:
        """At a stop: the work under way ends, the rest is dropped; each clip still waiting
        is told why, with its original (an event the full disk kept in memory is not in the
        outbox for the next start to report)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            dropped = [d for f, d in self._queued.items() if f.cancelled()]
            self._queued.clear()
        for delivery in [*self._parked, *dropped]:
            kept = delivery.original if delivery.original.is_file() else None
            reason = "the camera worker stopped before the clip was blurred"
            self.sink.clip(delivery.clip.event_id, None, reason, kept)
        self._parked.clear()
        self._close_run()

    def _submit(self, job: Callable[..., None], *args: object) -> Future[None] | None:
        """None once stopped (``close``): nothing more is done."""

        def guarded() -> None:
            try:
                job(*args)
            except Exception:  # PyAV, onnxruntime, the disk: the run ends, its clips fall back
                log.exception("%s: the shared blurred encode failed", self.camera)
                self._drop_run()

        try:
            future = self._executor.submit(guarded)
        except RuntimeError:  # shut down
            return None
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[None]) -> None:
        if future.cancelled():  # dropped at a stop: ``close`` tells its clip
            return
        with self._lock:
            self._queued.pop(future, None)

    # -- the shown thread ----------------------------------------------------------------------
    def _take(
        self,
        run_no: int,
        key: str,
        codec: Codec,
        start: float,
        packets: list[TimedPacket],
        sightings: list[Sighting],
        upto: float,
    ) -> None:
        if self._run is None or self._run_of != run_no:
            self._end_run()
            if not packets or not packets[0].keyframe:
                return  # nothing decodable yet: the clips fall back
            self._run, self._run_of = _Run(key, codec, start, self.redactor), run_no
            self.stats.runs += 1
        self._run.take(packets, sightings)
        self._run.advance(upto)
        self._deliver_due()

    def _deliver(self, delivery: Delivery) -> None:
        run = self._run
        if run is None or not run.gives(delivery.clip, delivery.stream_key):
            self._fall_back(delivery)
            return
        self._parked.append(delivery)
        self._deliver_due()

    def _deliver_due(self, final: bool = False) -> None:
        run = self._run
        for delivery in list(self._parked):
            if run is None or not run.gives(delivery.clip, delivery.stream_key):
                self._parked.remove(delivery)
                self._fall_back(delivery)
            elif final or run.position >= delivery.clip.end - EDGE:
                self._parked.remove(delivery)
                try:
                    run.cut(delivery.clip, delivery.path)
                except Exception:  # PyAV's errors, the disk: blurred from its original
                    log.exception(
                        "%s: clip %s not cut from the shared encode",
                        self.camera,
                        delivery.clip.event_id,
                    )
                    self._fall_back(delivery)
                    continue
                self.stats.cut += 1
                self.sink.clip(delivery.clip.event_id, delivery.path, None, delivery.original)

    def _finish(self, _: None) -> None:
        if self._run is not None:
            self._run.advance(float("inf"), final=True)
            self._deliver_due(final=True)
        self._end_run()

    def _end_run(self) -> None:
        for delivery in self._parked:  # the run that was to give them has ended
            self._fall_back(delivery)
        self._parked.clear()
        self._close_run()

    def _fall_back(self, delivery: Delivery) -> None:
        self.stats.fell_back += 1
        delivery.fallback()

    def _close_run(self) -> None:
        if self._run is not None:
            self.stats.frames += self._run.frames_encoded
            self._run.close()
            self._run = None

    def _drop_run(self) -> None:
        try:
            self._end_run()
        except Exception:
            log.exception("%s: the shared encode's clips could not fall back", self.camera)
            self._run = None
