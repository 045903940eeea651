"""``safewatch camera run``: a live worker for one site's cameras.

One thread per camera reads and analyses; events go to the on-disk outbox first, and a sender
thread delivers them to the hub; a watchdog reports cameras that stop; heartbeats tell the hub
each camera is alive.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from pathlib import Path

import av

from safewatch.bus.jetstream import EventPublisher
from safewatch.bus.nats import NatsConnection
from safewatch.vision.config import CameraConfig, SiteConfig, ZoneConfig
from safewatch.vision.delivery import DeliveryError, HubClient, Sender
from safewatch.vision.detectors.base import make_detector
from safewatch.vision.events import CameraEvent
from safewatch.vision.outbox import Outbox
from safewatch.vision.pipeline import CameraPipeline, FaceStage
from safewatch.vision.source import SourceError, is_network, open_video, play

log = logging.getLogger(__name__)
MAX_RECONNECT_WAIT = 30.0


class OutboxSink:
    def __init__(self, outbox: Outbox, camera: str) -> None:
        self.outbox, self.camera = outbox, camera
        self.last_event = -1e9  # monotonic time of the camera's latest event

    def event(self, event: CameraEvent, snapshot: bytes, original: bytes | None) -> None:
        self.outbox.put_event(event, snapshot, original)
        self.last_event = time.monotonic()
        log.info(
            "%s %s at %.1f s (track %s, zone %s)",
            event.camera,
            event.type,
            event.video_t,
            event.track,
            event.zone,
        )

    def clip(
        self, event_id: uuid.UUID, path: Path | None, error: str | None, original: Path | None
    ) -> None:
        self.outbox.put_clip(event_id, self.camera, path, error, original)


class CameraWorker:
    def __init__(
        self,
        site: SiteConfig,
        camera: CameraConfig,
        outbox: Outbox,
        clip_dir: Path,
        face_stage: FaceStage | None = None,
    ) -> None:
        self.camera = camera
        self.sink = OutboxSink(outbox, camera.name)
        self.live_until = 0.0  # monotonic: someone in the hub watches this camera until then
        self.next_view = 0.0
        self.pipeline = CameraPipeline(
            site=site,
            camera=camera,
            detector=make_detector(camera.detector),
            sink=self.sink,
            clip_dir=clip_dir,
            face_stage=face_stage,
        )
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.last_frame = time.monotonic()
        self.offline_reported = False
        self.status = "starting"
        self._threads = [
            threading.Thread(target=self._read, name=f"camera-{camera.name}", daemon=True),
            threading.Thread(target=self._watch, name=f"watch-{camera.name}", daemon=True),
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def close(self, timeout: float = 5) -> None:
        self.stop.set()
        for t in self._threads:
            if t.ident is not None:  # started
                t.join(timeout)

    def _saw_frame(self) -> None:
        self.last_frame = time.monotonic()
        if self.offline_reported:
            log.info("%s is back", self.camera.name)
        self.offline_reported = False
        self.status = "ok"

    def _read(self) -> None:
        wait = 1.0
        while not self.stop.is_set():
            try:
                container = open_video(self.camera.source)
            except SourceError as exc:
                self.status = f"cannot open: {exc}"
                log.warning("%s: %s (retry in %.0f s)", self.camera.name, exc, wait)
                self.stop.wait(wait)
                wait = min(wait * 2, MAX_RECONNECT_WAIT)
                continue
            wait = 1.0
            try:
                play(
                    container,
                    self.pipeline,
                    realtime=not is_network(self.camera.source),
                    stop=self.stop,
                    on_frame=self._saw_frame,
                )
            except (av.FFmpegError, OSError) as exc:
                log.warning("%s: the stream broke: %s", self.camera.name, exc)
            finally:
                container.close()
            self.status = "reconnecting"
            self.stop.wait(wait)

    def _watch(self) -> None:
        while not self.stop.wait(1.0):
            silent = time.monotonic() - self.last_frame
            if silent >= self.camera.offline_after_seconds and not self.offline_reported:
                self.offline_reported = True
                reason = f"no picture for {silent:.0f} s ({self.status})"
                with self.lock:
                    self.pipeline.offline(0.0, reason)


def site_face_stage(site: SiteConfig) -> FaceStage | None:
    """A face stage per camera from the site's lists, at the site's (possibly tightened)
    threshold; None when the site does no face recognition."""
    if site.faces is None:
        return None
    from safewatch.vision.faces import thresholds
    from safewatch.vision.faces.lists import face_stage_from_folders

    f = site.faces
    threshold = thresholds.load(f.threshold_file).threshold if f.threshold_file else None
    kwargs = {} if threshold is None else {"threshold": threshold}
    return face_stage_from_folders(f.watchlist, f.allowlist, f.cohort, **kwargs)


def camera_secret(camera: CameraConfig) -> str:
    if not camera.credential_env:
        raise ValueError(f"camera '{camera.name}' has no credential_env in the site file")
    secret = os.environ.get(camera.credential_env)
    if not secret:
        raise ValueError(
            f"camera '{camera.name}': the environment variable {camera.credential_env} "
            "(its device credential) is not set"
        )
    return secret


class SiteWorker:
    def __init__(self, site: SiteConfig, face_stage: FaceStage | None = None) -> None:
        self.site = site
        self.face_errors: dict[str, str] = {}
        self.outbox = Outbox(site.data_dir / "outbox.db")
        self.client: HubClient | None = None
        if site.hub is not None:
            secrets = {c.name: camera_secret(c) for c in site.cameras}
            events = None
            if site.hub.events_url:
                events = EventPublisher(NatsConnection(site.hub.events_url, "camera-worker"))
            self.client = HubClient(site.hub.url, secrets.__getitem__, events)
        self.cameras = [
            CameraWorker(
                site, c, self.outbox, site.data_dir / "clips", face_stage or self._face_stage(c)
            )
            for c in site.cameras
        ]
        self.sender = Sender(self.outbox, self.client) if self.client else None
        self.stop = threading.Event()
        self._next_heartbeat = 0.0
        self._views_thread: threading.Thread | None = None

    def _face_stage(self, camera: CameraConfig) -> FaceStage | None:
        faces = self.site.faces
        if faces is None or not faces.from_hub:
            return site_face_stage(self.site)
        if self.client is None:
            raise ValueError("faces.from_hub needs the hub section in the site file")
        return self._fetch_face_stage(camera.name, None)

    def _fetch_face_stage(self, camera: str, current: FaceStage | None) -> FaceStage | None:
        """The camera's lists from the hub, into its stage (a new one if it had none). When the
        hub cannot be reached the current lists stay, minus templates whose order ended."""
        from safewatch.vision.faces.lists import face_stage_from_hub, lists_from_hub
        from safewatch.vision.faces.stage import FaceStage as Stage

        assert self.client is not None
        try:
            payload = self.client.face_lists(camera)
            if isinstance(current, Stage):
                if current.replace_lists(*lists_from_hub(payload)):
                    log.info("%s: face lists updated from the hub", camera)
                self.face_errors.pop(camera, None)
                return current
            stage = face_stage_from_hub(payload)
        except (DeliveryError, ValueError) as exc:
            if isinstance(current, Stage):
                current.drop_expired()
                log.warning("%s: face lists not refreshed (kept the last ones): %s", camera, exc)
                return current
            # Loud, not fatal: intrusion and loitering still protect the person.
            log.error("%s: face recognition is OFF: %s", camera, exc)
            self.face_errors[camera] = str(exc)
            return None
        self.face_errors.pop(camera, None)
        return stage

    def refresh_faces(self) -> None:
        """New photos, ended orders and a tightened threshold reach running cameras."""
        if self.site.faces is None or not self.site.faces.from_hub or self.client is None:
            return
        for camera in self.cameras:
            pipeline = camera.pipeline
            pipeline.face_stage = self._fetch_face_stage(camera.camera.name, pipeline.face_stage)

    def refresh_zones(self) -> None:
        """Cameras that take their zones from the hub fetch them (their views go out on the
        views thread). If the hub cannot be reached, the zones in use stay."""
        if self.client is None:
            return
        for camera in self.cameras:
            name = camera.camera.name
            if not camera.camera.zones_from_hub:
                continue
            try:
                drawn = self.client.zones(name)
                if drawn is None:
                    continue
                zones = [ZoneConfig.model_validate(z) for z in drawn]
                if camera.pipeline.replace_zones(zones):
                    log.info("%s: zones from the hub: %s", name, ", ".join(z.name for z in zones))
            except (DeliveryError, ValueError) as exc:
                log.warning("%s: zones not refreshed from the hub: %s", name, exc)

    def send_view(self, camera: CameraWorker) -> None:
        """Raises DeliveryError; the hub says whether someone watches live."""
        assert self.client is not None and self.site.hub is not None
        view = camera.pipeline.view_jpeg()
        camera.next_view = time.monotonic() + self.site.hub.view_seconds
        if view is not None and self.client.send_view(camera.camera.name, view):
            camera.live_until = time.monotonic() + 5.0

    def _views(self) -> None:
        """Every second: the views of cameras someone watches or that just raised an event;
        the others every ``view_seconds``."""
        assert self.site.hub is not None
        after_event = self.site.hub.live_after_event_seconds
        while not self.stop.wait(1.0):
            now = time.monotonic()
            for camera in self.cameras:
                live = camera.live_until > now or now - camera.sink.last_event < after_event
                if not live and now < camera.next_view:
                    continue
                try:
                    self.send_view(camera)
                except DeliveryError as exc:
                    log.debug("%s: view not sent: %s", camera.camera.name, exc)

    def start(self) -> None:
        if self.client is not None:
            self._views_thread = threading.Thread(
                target=self._views, name="camera-views", daemon=True
            )
            self._views_thread.start()
        for camera in self.cameras:
            camera.start()
        if self.sender is not None:
            self.sender.start()

    def heartbeat(self) -> None:
        if self.client is None:
            return
        pending = self.outbox.counts().get("pending", 0)
        for camera in self.cameras:
            note = f"{camera.status}; outbox {pending} pending"
            if camera.camera.name in self.face_errors:
                note += f"; face recognition off: {self.face_errors[camera.camera.name]}"
            try:
                self.client.heartbeat(camera.camera.name, note)
            except DeliveryError as exc:
                log.debug("heartbeat for %s failed: %s", camera.camera.name, exc)

    def run_forever(self) -> None:
        self.start()
        every = self.site.hub.heartbeat_seconds if self.site.hub else 60.0
        refresh = self.site.faces.refresh_seconds if self.site.faces else float("inf")
        setup = self.site.hub.setup_seconds if self.site.hub else float("inf")
        next_refresh = time.monotonic() + refresh
        next_setup = time.monotonic() + min(5.0, setup)  # drawn zones soon after start
        try:
            while not self.stop.wait(min(every, refresh, setup, 5.0)):
                now = time.monotonic()
                if now >= next_refresh:
                    self.refresh_faces()
                    next_refresh = time.monotonic() + refresh
                if now >= next_setup:
                    self.refresh_zones()
                    next_setup = time.monotonic() + setup
                if now >= self._next_heartbeat:
                    self.heartbeat()
                    self._next_heartbeat = time.monotonic() + every
        finally:
            self.close()

    def close(self) -> None:
        self.stop.set()
        for camera in self.cameras:
            camera.close()
        if self.sender is not None:
            self.sender.close()
        if self._views_thread is not None:  # it may be sending a view: let it finish first
            self._views_thread.join(5)
        if self.client is not None:
            self.client.close()
        self.outbox.close()
