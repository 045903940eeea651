"""The site file: one Pydantic model for a site's cameras, zones, detector and delivery.

Every model forbids unknown keys, so a typo fails at start with the field's name.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from safewatch.core.config import known_timezone

log = logging.getLogger(__name__)

Point = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]


def verify_unique(names: list[str], rule: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"{rule}: {', '.join(dupes)}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmWindow(Strict):
    """When a zone is armed: weekdays (0 = Monday) and a local time window; end < start spans
    midnight (e.g. 22:00–06:00)."""

    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)), title="Weekdays", description="0 = Monday."
    )
    start: time = Field(title="Start", description="Local time the zone is armed, HH:MM.")
    end: time = Field(title="End", description="Local time it is disarmed, HH:MM.")

    def covers(self, local: datetime) -> bool:
        now, day = local.time(), local.weekday()
        if self.start <= self.end:
            return day in self.days and self.start <= now < self.end
        if now >= self.start:  # evening part of an overnight window
            return day in self.days
        return (day - 1) % 7 in self.days and now < self.end


UNIDENTIFIED_SECONDS = 20.0


class ZoneConfig(Strict):
    name: str = Field(min_length=1, max_length=60, title="Name")
    kind: Literal["boundary", "perimeter", "mask"] = Field(
        title="Kind",
        description="boundary: intrusion when a foot point enters; perimeter: loitering when "
        "one person stays; mask: people there are ignored.",
    )
    polygon: list[Point] = Field(
        min_length=3, title="Polygon", description="Corners as [x, y], 0–1 of width and height."
    )
    loiter_seconds: float | None = Field(
        None, gt=0, le=3600, title="Loiter seconds", description="Perimeter zones: how long."
    )
    inertia_frames: int = Field(
        2, ge=1, le=20, title="Inertia", description="Analysed frames inside before it counts."
    )
    unidentified_seconds: float | None = Field(
        None,
        gt=0,
        le=600,
        title="Unidentified after",
        description="Boundary zones: a person inside this long, armed, whose face was never "
        "usable (a mask, a hood, the back turned) raises unidentified_person (Daegu 2025: "
        "the offender came masked). Boundary zones default to 20 s; 0 is not allowed: "
        "leave the zone's default or set a longer time.",
    )
    armed: list[ArmWindow] = Field(
        default_factory=list, title="Armed", description="Empty: always armed."
    )

    @model_validator(mode="before")
    @classmethod
    def kind_defaults(cls, data: Any) -> Any:
        """A perimeter zone loiters after 20 s and a boundary zone looks for a face for
        ``UNIDENTIFIED_SECONDS`` unless set (filled in before validation: an after-validator's
        copy is dropped when the model is built by its constructor)."""
        if not isinstance(data, dict):
            return data
        if data.get("kind") == "perimeter" and data.get("loiter_seconds") is None:
            data = {**data, "loiter_seconds": 20.0}
        if data.get("kind") == "boundary" and data.get("unidentified_seconds") is None:
            data = {**data, "unidentified_seconds": UNIDENTIFIED_SECONDS}
        return data

    @model_validator(mode="after")
    def verify_kind_fields(self) -> ZoneConfig:
        if self.kind != "boundary" and self.unidentified_seconds is not None:
            raise ValueError(f"unidentified_seconds applies to boundary zones, not {self.kind}")
        if self.kind != "perimeter" and self.loiter_seconds is not None:
            raise ValueError(f"loiter_seconds applies to perimeter zones, not {self.kind}")
        return self

    def armed_at(self, local: datetime) -> bool:
        return not self.armed or any(w.covers(local) for w in self.armed)


class DetectorConfig(Strict):
    type: Literal["ssd", "onnx", "plugin"] = Field(
        "ssd",
        description="ssd: the shipped SSDLite pedestrian model; onnx: model_path; plugin: "
        "a detector of your own (plugin).",
    )
    model_path: Path | None = Field(None, description="ONNX model (YOLO-style output).")
    plugin: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="module:function, called with this config, returning a detector "
        "(a detect(frame_bgr) → supervision Detections of persons).",
    )
    input_size: int = Field(300, ge=64, le=1920, description="Square network input, pixels.")
    confidence: float = Field(
        0.3,
        gt=0,
        lt=1,
        description="Lowest person score passed on; the tracker starts tracks only above 0.5 "
        "and uses weaker boxes to keep existing ones.",
    )

    @model_validator(mode="after")
    def verify_model_path(self) -> DetectorConfig:
        if self.type == "onnx" and self.model_path is None:
            raise ValueError("an onnx detector needs model_path")
        if self.type == "plugin" and self.plugin is None:
            raise ValueError("a plugin detector needs plugin: module:function")
        return self


class TamperConfig(Strict):
    dark_luma: float = Field(18, ge=0, le=255, description="Mean luma below this: blacked out.")
    flat_std: float = Field(6, ge=0, le=128, description="Luma spread below this: covered.")
    moved_similarity: float = Field(
        0.45, ge=0, le=1, description="Correlation with the learnt view below this: moved."
    )
    seconds: float = Field(3, gt=0, le=600, description="How long before it is reported.")


class PrivacyConfig(Strict):
    blur_faces: bool = Field(
        True,
        description="Blur every face but the recognised offender's in the snapshots, clips "
        "and views the victim and the guards see; the unblurred originals go to the hub, "
        "where only police may open them, with a stated reason.",
    )
    detect_fps: float = Field(
        5,
        gt=0,
        le=30,
        description="Frames per second of a clip looked at for faces; the frames between are "
        "blurred where the faces were before and after.",
    )
    max_side: int = Field(
        960,
        ge=160,
        le=4096,
        description="Faces are looked for on the frame scaled to at most this many pixels "
        "on its longest side (about 20 ms a frame on one core at 960).",
    )
    clip_max_side: int = Field(
        1280,
        ge=160,
        le=7680,
        description="The clip the victim and the guards see is encoded at most this many "
        "pixels on its longest side (720p from a 1080p or 4MP camera: encoding it costs half "
        "of 1080p); the police original keeps the camera's resolution.",
    )
    clip_max_kbps: int = Field(
        2000,
        ge=200,
        le=50_000,
        description="The clip the victim and the guards see is encoded at most at this bit "
        "rate: a 20 s clip of ~5 MB reaches a phone on a weak link (uncapped, people at a "
        "door came to ~4.9 Mbps at 720p, 12 MB a clip); the police original is the camera's.",
    )


class StreamRole(StrEnum):
    """What a camera's stream is used for (as NVRs name them)."""

    detect = "detect"  # decoded and analysed: the low-resolution sub stream
    record = "record"  # never decoded but for a snapshot: clips and originals, by remux


STREAM_ADDRESS = (
    "rtsp://, http(s):// or a file path. A password is named by environment variable, never "
    "written here: rtsp://admin:${FRONT_PASSWORD}@192.168.1.20/stream1."
)


class CameraInput(Strict):
    path: str = Field(min_length=1, description=STREAM_ADDRESS)
    roles: list[StreamRole] = Field(min_length=1, description="detect, record or both.")


class CameraConfig(Strict):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    source: str | None = Field(
        None, min_length=1, description=f"A camera with one stream: {STREAM_ADDRESS}"
    )
    inputs: list[CameraInput] = Field(
        default_factory=list,
        description="A camera with a main and a sub stream, instead of source: the sub stream "
        "with the detect role (analysed), the main stream with the record role (clips, "
        "originals and snapshots, at full resolution, without decoding it).",
    )
    rtsp_transport: Literal["tcp", "udp"] = Field(
        "tcp",
        description="How RTSP carries the video: tcp loses nothing; udp for cameras "
        "that offer nothing else.",
    )
    analyse_fps: float = Field(5, gt=0, le=30, description="Frames analysed per second.")
    pre_roll_seconds: float = Field(10, ge=0, le=60)
    post_roll_seconds: float = Field(10, ge=0, le=60)
    offline_after_seconds: float = Field(10, gt=0, le=600)
    motion_threshold: float = Field(
        0.002, ge=0, le=1, description="Share of changed pixels that wakes the detector."
    )
    credential_env: str | None = Field(
        None, description="Env variable holding this camera's device credential."
    )
    zones: list[ZoneConfig] = Field(default_factory=list)
    zones_from_hub: bool = Field(
        False,
        description="Use the zones drawn for this camera in the hub's site editor (these zones "
        "stand until some are drawn there, and whenever the hub cannot be reached).",
    )
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    tamper: TamperConfig = Field(default_factory=TamperConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)

    @field_validator("zones")
    @classmethod
    def verify_zone_names(cls, zones: list[ZoneConfig]) -> list[ZoneConfig]:
        verify_unique([z.name for z in zones], "zone names must differ within a camera")
        return zones

    @model_validator(mode="after")
    def verify_streams(self) -> CameraConfig:
        if (self.source is None) == (not self.inputs):
            raise ValueError("a camera has either source (one stream) or inputs (with roles)")
        roles = [role.value for i in self.inputs for role in i.roles]
        for role in StreamRole:
            if self.inputs and roles.count(role.value) != 1:
                raise ValueError(f"exactly one of the camera's inputs has the {role} role")
        return self

    def _input(self, role: StreamRole) -> str:
        return next(i.path for i in self.inputs if role in i.roles)

    @property
    def detect_source(self) -> str:
        """The stream that is decoded and analysed."""
        return self.source if self.source is not None else self._input(StreamRole.detect)

    @property
    def record_source(self) -> str | None:
        """The stream clips are cut from, when it is not the detect stream."""
        if self.source is not None:
            return None
        record = self._input(StreamRole.record)
        return None if record == self.detect_source else record


class FacesConfig(Strict):
    """Face recognition for the site: folders with one sub-folder of photos per person."""

    @field_validator("cohort")
    @classmethod
    def cohort_is_not_used(cls, value: Path | None) -> None:
        if value is not None:  # a site file from before issue 20 still starts
            log.warning("faces.cohort (%s) is no longer used: remove it from the site file", value)
        return None

    watchlist: Path | None = Field(None, description="The offender(s) of this site.")
    allowlist: Path | None = Field(None, description="Household members and carers.")
    cohort: Path | None = Field(
        None, description="No longer used: recognition needs no cohort (ignored, with a warning)."
    )
    threshold_file: Path | None = Field(
        None, description="The site's threshold (tightened by 'not the offender' feedback)."
    )
    from_hub: bool = Field(
        False, description="Take each camera's watch and allow lists from the hub instead."
    )
    refresh_seconds: float = Field(
        300,
        ge=5,
        le=86_400,
        description="How often lists from the hub are fetched again (new photos, ended orders, "
        "tightened threshold).",
    )


class HubConfig(Strict):
    url: str = Field(pattern=r"^https?://", description="The hub's base URL.")
    events_url: str | None = Field(
        None,
        pattern=r"^(nats|tls)://",
        description="Cluster mode: events go to the JetStream stream at this NATS URL (any "
        "hub replica takes them); clips, views and heartbeats still go to url.",
    )
    heartbeat_seconds: float = Field(15, gt=0, le=600)
    setup_seconds: float = Field(
        60,
        ge=5,
        le=86_400,
        description="How often each camera fetches the zones drawn in the hub.",
    )
    view_seconds: float = Field(
        10,
        ge=1,
        le=3600,
        description="How often each camera sends a picture of its view (for drawing zones on); "
        "also how soon a live view opened in the hub starts. Every second while someone "
        "watches, and for live_after_event_seconds after the camera's own events.",
    )
    live_after_event_seconds: float = Field(180, ge=0, le=3600)


class SiteConfig(Strict):
    site: str = Field(min_length=1, max_length=80, title="Site")
    timezone: str = Field("Asia/Seoul", description="For arm schedules.")
    cameras: list[CameraConfig] = Field(min_length=1)
    hub: HubConfig | None = None
    faces: FacesConfig | None = None
    data_dir: Path = Field(Path("var/worker"), description="Outbox and clips.")

    @field_validator("timezone")
    @classmethod
    def verify_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @field_validator("cameras")
    @classmethod
    def verify_camera_names(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        verify_unique([c.name for c in cameras], "camera names must differ")
        return cameras

    @property
    def zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SiteFileError(ValueError):
    """A site file that cannot be used; the message names the field and the reason."""


def _where(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def load_site(path: Path) -> SiteConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteFileError(f"{path}: cannot read the site file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SiteFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SiteFileError(f"{path}: the site file must be a mapping with site and cameras")
    try:
        return SiteConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{_where(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise SiteFileError(f"{path}: " + "; ".join(lines)) from exc
