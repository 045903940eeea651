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

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from safewatch.vision.clip_source import ClipSource, PendingClip
from safewatch.vision.clips import EDGE
from safewatch.vision.ports import ClipSink
from safewatch.vision.privacy import Redactor, Sighting
from safewatch.vision.ring import TimedPacket, decode_time
from safewatch.vision.shown_run import START_SLACK, Codec, EncodeRun
from safewatch.vision.supervisor import in_background

log = logging.getLogger(__name__)
# A run this many seconds behind what it was handed (the node past its limit) ends: its clips
# are blurred alone, and the packets it holds are let go.
MAX_BEHIND = 30.0


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
        self._run: EncodeRun | None = None
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
            self._run = EncodeRun(job.key, job.codec, job.start, self.redactor)
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
