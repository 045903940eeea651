"""One camera's pipeline: packets into the pre-roll, frames through gate → detect → track →
face hook → rules, events out with a snapshot at once and a clip when the post-roll ends.
What the victim and guards see has bystanders' faces blurred (``privacy``); the originals go
out beside it."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np
import supervision as sv
from av.video.stream import VideoStream

from safewatch.bus.messages import SEVERITY, CameraEvent, EventType
from safewatch.vision.clip_jobs import ClipJobs, ClipWriter
from safewatch.vision.clip_source import PendingClip
from safewatch.vision.clips import write_clip
from safewatch.vision.config import CameraConfig, SiteConfig, ZoneConfig
from safewatch.vision.detectors.base import PersonDetector
from safewatch.vision.face_boxes import Boxes
from safewatch.vision.motion import MotionGate, TamperWatch, small_luma
from safewatch.vision.pictures import fitted_jpeg, snapshot_caption, snapshot_jpeg
from safewatch.vision.pipeline_clips import EventClips
from safewatch.vision.ports import EventSink, FaceStage
from safewatch.vision.privacy import Redactor, Sighting, blurred, sighting
from safewatch.vision.record import RecordStream, on_main_stream
from safewatch.vision.ring import Packet, PacketRing
from safewatch.vision.rules import (
    BoundaryRule,
    IdentityRule,
    LastIdentities,
    LoiterRule,
    RuleHit,
    UnidentifiedRule,
    zone_polygon,
)
from safewatch.vision.shown import ShownStream
from safewatch.vision.tracking import PersonLinker, make_tracker

log = logging.getLogger(__name__)
# Detect at least this often even when nothing moves and nobody is tracked (someone who arrived
# while the worker was down and stands still); anyone who moves wakes the detector at once.
SAFETY_DETECT_SECONDS = 3.0
GOP_MARGIN_SECONDS = 4.0
LAG_SAMPLES = 600
RECENT_LAG = 15  # analysed frames: three seconds at 5 fps


@dataclass
class FrameStats:
    decoded: int = 0
    analysed: int = 0
    detected: int = 0
    untimed: int = 0  # frames without a time (not analysed)
    # How long after its capture each recent analysed frame of a live camera was analysed:
    # a camera the worker cannot keep up with falls further behind.
    behind: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_SAMPLES))

    def lag(self) -> float | None:
        """How far behind its camera the analysis is now (the median of the last frames)."""
        recent = sorted(list(self.behind)[-RECENT_LAG:])
        return recent[len(recent) // 2] if recent else None


def wall_clock(_t: float) -> datetime:
    return datetime.now(UTC)


@dataclass
class CameraPipeline(EventClips):
    site: SiteConfig
    camera: CameraConfig
    detector: PersonDetector
    sink: EventSink
    clip_dir: Path | None
    face_stage: FaceStage | None = None
    clock: Callable[[float], datetime] = wall_clock
    clip_writer: ClipWriter = write_clip
    redactor: Redactor | None = None  # None: from the camera's privacy settings
    stats: FrameStats = field(default_factory=FrameStats)
    record: RecordStream | None = None  # the main stream, for a camera with two

    def __post_init__(self) -> None:
        c = self.camera
        self.ring = PacketRing(c.pre_roll_seconds + c.post_roll_seconds + GOP_MARGIN_SECONDS)
        self.gate = MotionGate(c.motion_threshold)
        self.tamper = TamperWatch(c.tamper)
        self.tracker = make_tracker(c.analyse_fps)
        self.linker = PersonLinker()
        self.identity = IdentityRule()
        self.identities = LastIdentities()
        self.unidentified = UnidentifiedRule({})
        self.stream: VideoStream | None = None
        self._frame_size: tuple[int, int] | None = None  # None: zones to be set up again
        self._picture_size: tuple[int, int] | None = None  # the stream's last analysed frame
        self._boundaries: list[BoundaryRule] = []
        self._loiters: list[LoiterRule] = []
        self._masks: list[sv.PolygonZone] = []
        self._next_t: float | None = None
        self._last_detect_t = -1e9
        self._clips: list[PendingClip] = []
        self.last_frame: np.ndarray | None = None
        self.last_dets = sv.Detections.empty()
        if self.redactor is None:
            self.redactor = Redactor.from_config(c.privacy, c.analyse_fps)
        self._sightings: deque[Sighting] = deque()
        # The faces in the picture of this frame's events (let go with the frame).
        self._snapshot_faces: tuple[np.ndarray, Boxes] | None = None
        self._stream_no = 0  # frame times restart with each connection
        self._wall_shift = 0.0  # a frame's capture time on the wall clock, less its time
        shown = None
        if self.redactor is not None and self.clip_dir is not None:
            shown = ShownStream(self.redactor, c.name, self.sink)
        self.clip_jobs = ClipJobs(
            self.sink, self.clip_dir, self.site.site, c.name, self.clip_writer, self.redactor, shown
        )
        # The camera thread feeds frames; the watchdog may report an outage at the same time.
        self.lock = threading.RLock()

    # -- stream -------------------------------------------------------------------------------
    def on_stream(self, stream: VideoStream) -> None:
        """A new connection: its packets start a new pre-roll (timestamps restart)."""
        with self.lock:
            self._start_stream(stream)

    def _start_stream(self, stream: VideoStream) -> None:
        for clip in self._clips:  # the last stream ended without end_stream (never expected)
            self.sink.clip(clip.event_id, None, "the stream broke before the clip was cut", None)
        self._clips.clear()
        self.clip_jobs.release_stream()
        if self.clip_jobs.shown is not None:
            self.clip_jobs.shown.reset()
        self.stream = stream
        self.ring.clear()
        self._sightings.clear()
        self._stream_no += 1
        # A new connection restarts the stream clock: tracks and timers start afresh with it
        # (the learnt view for tamper detection stays).
        self._next_t = None
        self._last_detect_t = -1e9
        self.tracker = make_tracker(self.camera.analyse_fps)
        self.linker = PersonLinker()
        self.identity = IdentityRule()
        self.identities = LastIdentities()
        self.unidentified = UnidentifiedRule(self.unidentified.seconds)
        self.gate = MotionGate(self.camera.motion_threshold)
        self._frame_size = self._picture_size = None

    def on_packet(self, packet: Packet) -> None:
        with self.lock:
            self.ring.push(packet)

    def on_frame(self, frame: av.VideoFrame, captured: datetime | None = None) -> list[CameraEvent]:
        """``captured``: the wall-clock time the frame was read from a live camera (its
        capture time as the worker knows it); None for a file, timed by ``clock``."""
        with self.lock:
            return self._on_frame(frame, captured)

    def _on_frame(self, frame: av.VideoFrame, captured: datetime | None) -> list[CameraEvent]:
        self.stats.decoded += 1
        if frame.time is None:  # ``source.play`` times untimed streams; a frame it could not
            self.stats.untimed += 1  # time is counted, not analysed at a made-up time
            return []
        t = float(frame.time)
        self._wall_shift = (captured or self.clock(t)).timestamp() - t
        self._cut_due_clips(t)
        period = 1.0 / self.camera.analyse_fps
        # A live camera's frame times jitter by a few ms: a frame a little early is the one due.
        if self._next_t is not None and t < self._next_t - period / 4:
            return []
        self._next_t = max((self._next_t or t) + period, t)
        if captured is not None:
            self.stats.behind.append(time.time() - captured.timestamp())
        events = self._analyse(frame, t, captured or self.clock(t))
        self._to_shown(t)
        return events

    def replace_zones(self, zones: list[ZoneConfig]) -> bool:
        """New zones (drawn in the hub) from the next analysed frame; the rules start afresh.
        Returns whether anything changed."""
        with self.lock:
            if zones == self.camera.zones:
                return False
            data = {**self.camera.model_dump(), "zones": [z.model_dump() for z in zones]}
            self.camera = CameraConfig.model_validate(data)
            self._frame_size = None
            return True

    def view_jpeg(self) -> bytes | None:
        """The last analysed frame as a JPEG (what the camera sees), or None before any."""
        with self.lock:
            frame, dets = self.last_frame, self.last_dets
        if frame is None:
            return None
        if self.redactor is not None:  # the guards watch it live during an incident
            frame = blurred(frame, self.redactor.picture(frame, dets))
        return fitted_jpeg(frame)

    # -- analysis -----------------------------------------------------------------------------
    def _setup_zones(self, size: tuple[int, int]) -> None:
        self._frame_size = size
        self._boundaries, self._loiters, self._masks = [], [], []
        for zone in self.camera.zones:
            polygon = zone_polygon(zone, size)
            if zone.kind == "boundary":
                self._boundaries.append(BoundaryRule(zone, polygon))
            elif zone.kind == "perimeter":
                self._loiters.append(LoiterRule(zone, polygon))
            else:
                self._masks.append(polygon)
        self.unidentified = UnidentifiedRule(
            {z.name: z.unidentified_seconds for z in self.camera.zones if z.unidentified_seconds}
        )

    def _rules(self) -> list[BoundaryRule | LoiterRule]:
        return [*self._boundaries, *self._loiters]

    def _analyse(self, frame: av.VideoFrame, t: float, at: datetime) -> list[CameraEvent]:
        """``at``: the frame's capture time, which every event it raises carries (the
        detector, the face stage and the blur that follow take time of their own)."""
        self.stats.analysed += 1
        self._snapshot_faces = None
        size = self._picture_size = (frame.width, frame.height)
        if self._frame_size != size:
            self._setup_zones(size)
        luma = small_luma(frame)
        moving = self.gate.update(luma)
        events: list[CameraEvent] = []
        tamper = self.tamper.update(luma, t)
        bgr: np.ndarray | None = None
        if tamper is not None:
            bgr = frame.to_ndarray(format="bgr24")
            events.append(
                self._emit(
                    "camera_tampered",
                    t,
                    at,
                    bgr,
                    sv.Detections.empty(),
                    None,
                    detail=f"{tamper.reason}: {tamper.detail}",
                )
            )
        tracking = len(self.tracker.tracks) > 0
        if not (moving or tracking or t - self._last_detect_t >= SAFETY_DETECT_SECONDS):
            return events
        self._last_detect_t = t
        bgr = bgr if bgr is not None else frame.to_ndarray(format="bgr24")
        self.last_frame = bgr
        self.stats.detected += 1
        dets = self.detector.detect(bgr)
        for mask in self._masks:
            if len(dets):
                kept = dets[~mask.trigger(dets)]
                assert isinstance(kept, sv.Detections)
                dets = kept
        dets = self.tracker.update(dets, timestamp=t)
        dets = self.linker.update(dets, t, size)
        # Zones first: an intrusion's alert does not wait for face recognition (hundreds of
        # ms with several faces); its snapshot keeps the faces the stage last recognised.
        local = at.astimezone(self.site.zone_info)
        hits: list[RuleHit] = []
        inside: dict[int, str] = {}
        for rule in self._boundaries:
            hits += rule.update(dets, t, rule.zone.armed_at(local))
            inside.update({p: rule.zone.name for p in rule.inside})
        for loiter in self._loiters:
            hits += loiter.update(dets, t, loiter.zone.armed_at(local))
        shown = self.identities.recalled(dets) if hits else dets
        for hit in hits:
            events.append(self._emit(hit.type, t, at, bgr, shown, hit))  # type: ignore[arg-type]
        faces = None
        if self.face_stage is not None:
            dets = self.face_stage.attach(bgr, dets, t)
            self.identities.remember(dets)
            faces = self.face_stage.faces(t)
        self.last_dets = dets
        if self.redactor is not None:
            self._sightings.append(sighting(t, dets, faces))
            while self._sightings and self._sightings[0].t < t - self.ring.seconds:
                self._sightings.popleft()
        found = self.identity.update(dets, inside, t) + self.unidentified.update(dets, inside, t)
        for hit in found:
            events.append(self._emit(hit.type, t, at, bgr, dets, hit))  # type: ignore[arg-type]
        return events

    def _emit(
        self,
        type_: EventType,
        t: float,
        at: datetime,
        bgr: np.ndarray | None,
        dets: sv.Detections,
        hit: RuleHit | None,
        detail: str | None = None,
        with_clip: bool = True,
    ) -> CameraEvent:
        c = self.camera
        clip = with_clip and self.clip_dir is not None and self.stream is not None
        event = CameraEvent(
            site=self.site.site,
            camera=c.name,
            type=type_,
            severity=SEVERITY[type_],
            at=at,
            video_t=round(t, 3),
            track=hit.person if hit else None,
            zone=hit.zone if hit else None,
            identity=hit.identity if hit else None,
            score=hit.score if hit else None,
            detail=detail,
            clip_start_t=round(max(0.0, t - c.pre_roll_seconds), 3) if clip else None,
            clip_end_t=round(t + c.post_roll_seconds, 3) if clip else None,
        )
        snapshot, original = b"", None
        if bgr is not None:
            caption = snapshot_caption(self.site.site, c.name, type_, event.at, self.site.zone_info)
            zones = [r.polygon.polygon for r in self._rules()]
            if self.record is not None:  # the main stream's frame nearest the trigger
                bgr, dets, zones = on_main_stream(self.record, at, bgr, dets, zones)
            index = hit.index if hit else None
            snapshot = snapshot_jpeg(bgr, dets, index, zones, caption)
            if self.redactor is not None:
                redaction = self.redactor.picture(bgr, dets, self._faces_in(bgr))
                if not redaction.empty:
                    original = snapshot
                    snapshot = snapshot_jpeg(blurred(bgr, redaction), dets, index, zones, caption)
        self.sink.event(event, snapshot, original)
        if clip:
            start, end = event.clip_start_t, event.clip_end_t
            assert start is not None and end is not None
            self._clips.append(PendingClip(event.id, start, end))
            self._to_shown(t, PendingClip(event.id, start, end))
        return event

    def _faces_in(self, picture: np.ndarray) -> Boxes:
        """The faces in an event's picture, searched once for all the events of its frame
        (which share the picture itself: the same array)."""
        assert self.redactor is not None
        if self._snapshot_faces is None or self._snapshot_faces[0] is not picture:
            self._snapshot_faces = (picture, self.redactor.finder.find(picture))
        return self._snapshot_faces[1]

    # -- outages ------------------------------------------------------------------------------
    def offline(self, reason: str, since: datetime, wait: float = 2.0) -> CameraEvent:
        """The camera stopped delivering analysed frames since ``since``; reported with the
        last picture seen. If the analysis holds the pipeline (a model that hangs), the
        report goes all the same, without a picture, rather than wait for it."""
        held = self.lock.acquire(timeout=wait)
        try:
            if held:
                self._flush_clips()
            picture = self.last_frame if held else None
            nobody = sv.Detections.empty()
            return self._emit(
                "camera_offline", 0.0, since, picture, nobody, None, reason, with_clip=False
            )
        finally:
            if held:
                self.lock.release()
