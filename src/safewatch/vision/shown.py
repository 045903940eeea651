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
# A run this many seconds behind what it was handed (the node past its limit) ends: its clips
# are blurred alone, and the packets it holds are let go.
MAX_BEHIND = 30.0


def decode_time(packet: TimedPacket) -> float:
    """Where the packet stands in decoding order (its presentation time without B-frames)."""
    p = packet.packet
    if p.dts is None or p.time_base is None:
        return packet.t
    return float(p.dts * p.time_base)


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
        self.frames: list[tuple[float, av.VideoFrame]] = []  # decoded, not yet looked at
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
                self.frames.append((t, frame))

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
        plan = self.redactor.clip(self.key, pictures, seen, whole_last=whole_last)
        edit = frame_edit(plan, self.codec.width)
        chunk = frames if whole_last is None else frames[:whole_last]
        for i, (t, frame) in enumerate(chunk):
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
        self._fed = -1e18  # the newest packet handed over (decoding order)
        self._seen = -1e18  # the newest sighting handed over
        self._done_to = -1e18  # how far the shown thread has decoded (for MAX_BEHIND)
        self._ended = False  # the stream ended: clips are cut as far as it went
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
                self._key, self._start = source.stream_key, clip.start
                self._fed = self._seen = -1e18
                self._done_to = clip.start  # where the run starts: it has done nothing yet
                self._ended = False
            self._wanted.add(clip.event_id)
            run, start = self._run_no, self._start
        packets = source.ring.window(clip.start, upto)
        self._hand(run, source, packets, upto, start, creates=True)

    def feed(self, source: ClipSource, upto: float) -> None:
        """What came since the last feed, while a clip wants the encode. A run that cannot
        go on — its stream reconnected, its clock jumped back, or it fell ``MAX_BEHIND``
        seconds behind (a node past its limit) — ends: its clips are blurred alone."""
        with self._lock:
            if not self._wanted or source.stream is None or self._key is None:
                return
            run, start, key = self._run_no, self._start, self._key
        newest = source.ring.newest
        jumped = newest is not None and newest < self._fed - 1.0
        behind = self._fed - self._done_to > MAX_BEHIND
        if source.stream_key != key or jumped or behind:
            why = "reconnected" if source.stream_key != key else "jumped" if jumped else "behind"
            log.warning("%s: the shared blurred encode ends (%s)", self.camera, why)
            with self._lock:
                self._key = None
            self._submit(self._finish, run, False)
            return
        window = source.ring.window(self._fed, upto)
        packets = [p for p in window if decode_time(p) > self._fed]
        self._hand(run, source, packets, upto, start, creates=False)

    def _hand(
        self,
        run: int,
        source: ClipSource,
        packets: list[TimedPacket],
        upto: float,
        start: float,
        creates: bool,
    ) -> None:
        assert source.stream is not None
        sightings = [s for s in source.sightings if s.t > self._seen]
        if packets:
            self._fed = max(self._fed, decode_time(packets[-1]))
        if sightings:
            self._seen = sightings[-1].t
        codec = Codec.of(source.stream)
        job = _Take(run, source.stream_key, codec, start, packets, sightings, upto, creates)
        self._submit(self._take, job)

    def deliver(self, delivery: Delivery) -> bool:
        """The clip's turn (its original is on disk): cut from the encode once it passes the
        clip's end. False when the encode was never asked for this clip."""
        with self._lock:
            if delivery.clip.event_id not in self._wanted:
                return False
            self._wanted.discard(delivery.clip.event_id)
            done, run, ended = not self._wanted, self._run_no, self._ended
        future = self._submit(self._deliver, delivery)
        if future is None:
            return False  # stopped: the clip is blurred alone, or told why
        with self._lock:
            if not future.done():  # else its callback has run: nothing to keep
                self._queued[future] = delivery
        if done:  # the run ends with its last clip (unless a new event came meanwhile)
            self._submit(self._finish, run, ended)
        return True

    def forget(self, event_id: uuid.UUID) -> None:
        """The clip will not come here (its original could not be saved): the encode does
        not go on for it."""
        with self._lock:
            self._wanted.discard(event_id)

    def reset(self) -> None:
        """A new connection of the analysed stream: its pending clips were told it broke;
        the run ends."""
        with self._lock:
            self._key = None
            self._wanted.clear()
            self._ended = False
            run = self._run_no
        self._submit(self._finish, run, True)

    def ending(self) -> None:
        """The stream is ending: the clips delivered from now on are cut as far as it went."""
        with self._lock:
            self._ended = True

    def finish(self) -> None:
        """The stream ended: everything handed over is encoded and the waiting clips cut."""
        with self._lock:
            run = self._run_no
        self._submit(self._finish, run, True)

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
    def _take(self, job: _Take) -> None:
        if self._run is None or self._run_of != job.run:
            if not job.creates:
                return  # that run ended (an error): the next event starts another
            self._finish(self._run_of, False)
            if not job.packets or not job.packets[0].keyframe:
                return  # nothing decodable: its clips are blurred alone
            self._run = _Run(job.key, job.codec, job.start, self.redactor)
            self._run_of = job.run
            self.stats.runs += 1
        self._run.take(job.packets, job.sightings)
        self._run.advance(job.upto)
        with self._lock:
            self._done_to = self._run.position
        self._deliver_due(stream_ended=False)

    def _deliver(self, delivery: Delivery) -> None:
        run = self._run
        if run is None or not run.gives(delivery.clip, delivery.stream_key):
            self._fall_back(delivery)
            return
        self._parked.append(delivery)
        self._deliver_due(stream_ended=False)

    def _deliver_due(self, stream_ended: bool, final: bool = False) -> None:
        """Cuts the parked clips the encode has passed (at a run's end: all of them, or
        each falls back)."""
        run = self._run
        for delivery in list(self._parked):
            if run is None or not run.gives(delivery.clip, delivery.stream_key):
                self._parked.remove(delivery)
                self._fall_back(delivery)
            elif final or run.position >= delivery.clip.end - EDGE:
                self._parked.remove(delivery)
                try:
                    run.cut(delivery.clip, delivery.path, stream_ended)
                except Exception as exc:  # not all there, PyAV's errors, the disk
                    log.warning(
                        "%s: clip %s is blurred alone: %s", self.camera, delivery.clip.event_id, exc
                    )
                    self._fall_back(delivery)
                    continue
                self.stats.cut += 1
                self.sink.clip(delivery.clip.event_id, delivery.path, None, delivery.original)

    def _finish(self, run_no: int, stream_ended: bool) -> None:
        """Ends run ``run_no`` (not a newer one): all handed over is encoded, its clips cut."""
        if self._run is not None and self._run_of == run_no:
            self._run.advance(float("inf"), final=True)
            self._deliver_due(stream_ended, final=True)
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


@dataclass(frozen=True)
class _Take:
    """What the analysis hands over for run number ``run``; ``creates``: it may start it."""

    run: int
    key: str
    codec: Codec
    start: float
    packets: list[TimedPacket]
    sightings: list[Sighting]
    upto: float
    creates: bool
