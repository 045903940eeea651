"""``safewatch camera run``: a live worker for one site's cameras.

Each part runs supervised (``supervisor``): a reader per camera, the outbox sender, the views
and the heartbeats. Events go to the on-disk outbox first; the hub being away for any length
of time is normal, and each camera's true state goes out in its heartbeat and `status.json`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from safewatch.bus.jetstream import EventPublisher
from safewatch.bus.messages import CameraHealth
from safewatch.bus.nats import NatsConnection
from safewatch.vision import status
from safewatch.vision.camera_reader import CameraWorker
from safewatch.vision.clip_jobs import clip_paths
from safewatch.vision.config import CameraConfig, SiteConfig, ZoneConfig
from safewatch.vision.delivery import DeliveryError, HubClient, Sender, credentials_of
from safewatch.vision.memory import TRIM_SECONDS, give_back_freed_memory, limit_malloc_arenas
from safewatch.vision.outbox import Outbox
from safewatch.vision.ports import FaceStage
from safewatch.vision.status import CameraStatus, HubReach, HubStatus, PartStatus, WorkerStatus
from safewatch.vision.supervisor import PartState, Supervised

if TYPE_CHECKING:  # the face models load only where faces are recognised
    from safewatch.vision.faces.stage import RecognitionStage as SiteFaceStage

log = logging.getLogger(__name__)
# A camera analysed this far behind its picture raises its alerts that late: said, so a
# person moves cameras off an overloaded node (the region bench: 11 s at 24 cameras).
LATE_SECONDS = 3.0
STATUS_SECONDS = 2.0  # how often status.json is written for `camera status`


def site_face_stage(site: SiteConfig) -> SiteFaceStage | None:
    """A face stage per camera from the site's lists, at the site's (possibly tightened)
    threshold; None when the site does no face recognition."""
    if site.faces is None:
        return None
    from safewatch.vision.faces import thresholds
    from safewatch.vision.faces.lists import face_stage_from_folders

    f = site.faces
    threshold = thresholds.load(f.threshold_file).threshold if f.threshold_file else None
    kwargs = {} if threshold is None else {"threshold": threshold}
    return face_stage_from_folders(f.watchlist, f.allowlist, **kwargs)


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
        limit_malloc_arenas()  # before the cameras' threads start
        self.site = site
        self.face_errors: dict[str, str] = {}
        self._site_faces: SiteFaceStage | None = None
        self.outbox = Outbox(site.data_dir / "outbox.db")
        self.client: HubClient | None = None
        if site.hub is not None:
            secrets = {c.name: camera_secret(c) for c in site.cameras}
            events = None
            if site.hub.events_url:
                events = EventPublisher(NatsConnection(site.hub.events_url, "camera-worker"))
            self.client = HubClient(site.hub.url, credentials_of(secrets), events)
        self.cameras = [
            CameraWorker(
                site, c, self.outbox, site.data_dir / "clips", face_stage or self._face_stage(c)
            )
            for c in site.cameras
        ]
        self._settle_clips_never_cut()
        self.sender = Sender(self.outbox, self.client) if self.client else None
        self.stop = threading.Event()
        self.hub = HubStatus(
            reach=HubReach.not_configured if self.client is None else HubReach.not_tried
        )
        self.views = Supervised("camera views", self._views, self.stop)
        self.housekeeping = Supervised("heartbeats", self._housekeeping, self.stop)

    def _settle_clips_never_cut(self) -> None:
        """The last run stopped (killed, a power cut) within an event's post-roll, or before
        its clip's outbox row was written: a clip finished on disk goes as it is; otherwise
        the hub is told the clip is missing, with the original when it had been cut (it is
        the evidence)."""
        for event_id, camera in self.outbox.clips_never_cut():
            shown, original = clip_paths(
                self.site.data_dir / "clips", self.site.site, camera, event_id
            )
            kept = original if original.is_file() else None
            if shown.is_file():
                self.outbox.put_clip(event_id, camera, shown, None, kept)
                continue
            when = "blurred" if kept else "cut"
            log.warning(
                "%s: the clip of event %s was never %s (the worker stopped)", camera, event_id, when
            )
            reason = f"the camera worker stopped before the clip was {when}"
            self.outbox.put_clip(event_id, camera, None, reason, kept)

    def _face_stage(self, camera: CameraConfig) -> FaceStage | None:
        faces = self.site.faces
        if faces is None or not faces.from_hub:
            if self._site_faces is None:  # the site's photos are enrolled once, not per camera
                self._site_faces = site_face_stage(self.site)
            return None if self._site_faces is None else self._site_faces.for_another_camera()
        if self.client is None:
            raise ValueError("faces.from_hub needs the hub section in the site file")
        return self._fetch_face_stage(camera.name, None)

    def _fetch_face_stage(self, camera: str, current: FaceStage | None) -> FaceStage | None:
        """The camera's lists from the hub, into its stage (a new one if it had none). When the
        hub cannot be reached the current lists stay, minus templates whose order ended."""
        from safewatch.vision.faces.lists import face_stage_from_hub, lists_from_hub
        from safewatch.vision.faces.stage import RecognitionStage as Stage

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

    def _views(self, stop: threading.Event) -> None:
        """Every second: the views of cameras someone watches or that just raised an event;
        the others every ``view_seconds``."""
        assert self.site.hub is not None
        after_event = self.site.hub.live_after_event_seconds
        self.views.report(CameraHealth.ok)
        while not stop.wait(1.0):
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
            self.views.start()
        for camera in self.cameras:
            camera.start()
        if self.sender is not None:
            self.sender.start()
        self.housekeeping.start()

    def camera_state(self, camera: CameraWorker) -> PartState:
        """A camera's state as a person needs it: its reader's, made ``degraded`` by
        anything of the site that keeps its alerts or recognition from working."""
        state = camera.state()
        name = camera.camera.name
        problems = []
        if self.sender is not None and not (sending := self.sender.part.current()).healthy:
            problems.append(f"outbox sender {sending}")
        if quarantined := self.outbox.count_quarantined(self._reported_by(name)):
            problems.append(f"{quarantined} item(s) could not be delivered")
        if name in self.face_errors:
            problems.append(f"face recognition off: {self.face_errors[name]}")
        if (lag := camera.pipeline.stats.lag()) is not None and lag > LATE_SECONDS:
            problems.append(f"analysis {lag:.0f} s behind the camera (the node is overloaded)")
        note = "; ".join(filter(None, [state.note, *problems]))
        if problems and state.healthy:
            return PartState(CameraHealth.degraded, note)
        return PartState(state.health, note)

    def _reported_by(self, camera: str) -> list[str]:
        """The cameras whose undelivered items this camera reports: its own, and for the
        site's first camera those of cameras no longer in the site file."""
        if camera != self.cameras[0].camera.name:
            return [camera]
        named = {c.camera.name for c in self.cameras}
        return [camera, *sorted(self.outbox.quarantined_cameras() - named)]

    def heartbeat(self) -> None:
        """Each camera's true state to the hub, with what could not be delivered. The hub
        being away is normal (the outbox holds everything): said in the status, never fatal."""
        if self.client is None:
            return
        pending = self.outbox.counts().get("pending", 0)
        for camera in self.cameras:
            name = camera.camera.name
            state = self.camera_state(camera)
            body = {
                "state": state.health.value,
                "health_note": (f"{state.note}; " if state.note else "")
                + f"outbox {pending} pending",
                "undelivered": [
                    u.model_dump(mode="json")
                    for u in self.outbox.quarantined(self._reported_by(name), limit=20)
                ],
                "undelivered_count": self.outbox.count_quarantined(self._reported_by(name)),
                "run": str(self.outbox.run),
            }
            try:
                self.client.heartbeat(name, body)
                self.hub = HubStatus(reach=HubReach.reachable)
            except DeliveryError as exc:
                reach = HubReach.unreachable if exc.status is None else HubReach.refusing
                self.hub = HubStatus(reach=reach, note=str(exc)[:300])
                log.warning("heartbeat for %s not delivered: %s", name, exc)

    def write_status(self, stopped: bool = False) -> None:
        every = self.site.hub.heartbeat_seconds if self.site.hub else 60.0
        now = time.monotonic()
        status.write(
            self.site.data_dir,
            WorkerStatus(
                site=self.site.site,
                pid=os.getpid(),
                written_at=datetime.now(UTC),
                every_seconds=min(every, STATUS_SECONDS),
                cameras=[
                    CameraStatus(
                        name=c.camera.name,
                        health=(state := self.camera_state(c)).health,
                        note=state.note,
                        seconds_since_frame=round(now - c.last_frame, 1),
                    )
                    for c in self.cameras
                ],
                parts={
                    part.name: PartStatus(health=state.health, note=state.note)
                    for part in self._parts()
                    if part is not None and (state := part.current())
                },
                outbox=self.outbox.counts(),
                hub=self.hub,
                stopped=stopped,
            ),
        )

    def _parts(self) -> list[Supervised | None]:
        sender = self.sender.part if self.sender is not None else None
        return [sender, self.views if self.client else None, self.housekeeping]

    def _housekeeping(self, stop: threading.Event) -> None:
        """Heartbeats, the status file, face lists and drawn zones from the hub, and the
        freed memory given back. Each step is guarded on its own: a failing one is logged
        and the others go on."""
        every = self.site.hub.heartbeat_seconds if self.site.hub else 60.0
        refresh = self.site.faces.refresh_seconds if self.site.faces else float("inf")
        setup = self.site.hub.setup_seconds if self.site.hub else float("inf")
        start = time.monotonic()
        due = {"heartbeat": start, "status": start, "faces": start + refresh}
        due["zones"] = start + min(5.0, setup)  # drawn zones soon after start
        due["memory"] = start + TRIM_SECONDS
        period = {
            "heartbeat": every,
            "status": STATUS_SECONDS,
            "faces": refresh,
            "zones": setup,
            "memory": TRIM_SECONDS,
        }
        steps = {
            "heartbeat": self.heartbeat,
            "status": self.write_status,
            "faces": self.refresh_faces,
            "zones": self.refresh_zones,
            "memory": give_back_freed_memory,
        }
        self.housekeeping.report(CameraHealth.ok)
        while not stop.is_set():
            failed, ran = [], False
            for name, step in steps.items():
                if time.monotonic() < due[name]:
                    continue
                ran = True
                try:
                    step()
                except Exception as exc:
                    log.exception("%s of site %s failed", name, self.site.site)
                    failed.append(f"{name}: {type(exc).__name__}: {exc}")
                due[name] = time.monotonic() + period[name]
            if failed:
                self.housekeeping.report(CameraHealth.degraded, "; ".join(failed))
            elif ran:
                self.housekeeping.report(CameraHealth.ok)
            stop.wait(max(0.05, min(min(due.values()) - time.monotonic(), 1.0)))

    def run_forever(self) -> None:
        """Until interrupted: no fault of the hub, the network or a camera ends it."""
        self.start()
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            self.close()

    def close(self) -> None:
        self.stop.set()
        for camera in self.cameras:
            camera.close()
        if self.sender is not None:
            self.sender.close()
        self.views.join(5)  # it may be sending a view: let it finish first
        self.housekeeping.join(5)
        try:
            self.write_status(stopped=True)
        except Exception:  # a full disk: `camera status` then sees the report go stale
            log.exception("the final status of site %s not written", self.site.site)
        if self.client is not None:
            self.client.close()
        self.outbox.close()
