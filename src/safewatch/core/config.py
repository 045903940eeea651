"""The one settings model: every knob of the hub, read from ``SAFEWATCH_*`` env or ``.env``."""

from __future__ import annotations

import base64
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-development-only"


def known_timezone(value: str) -> str:
    """A time zone name the system knows (for the hub's and the site files' settings)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{value}'") from exc
    return value


class SmsGateway(StrEnum):
    """Where texts go: ``sens`` is NAVER Cloud's SENS SMS API (delivery receipts included);
    ``folder`` writes them to ``data_dir/sms-outbox`` for development: no phone gets them,
    every screen says so, and production refuses it."""

    sens = "sens"
    folder = "folder"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEWATCH_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Field(
        Environment.development,
        description="development allows the default secret key; production refuses it.",
    )
    secret_key: str = Field(
        DEFAULT_SECRET_KEY, min_length=16, description="Signs tokens and clip links."
    )
    data_dir: Path = Field(
        Path("var"), description="Root of the embedded data (db, clips, photos)."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means SQLite in data_dir. "
        "postgresql+psycopg://… selects PostgreSQL.",
    )
    bus_url: str = Field(
        "memory://",
        description="memory:// (in-process) or nats://host:port: cluster mode (alerts between "
        "replicas over NATS, camera events from JetStream).",
    )
    clip_bucket: str = Field(
        "",
        description="Snapshots and clips in this S3-compatible bucket (credentials from the "
        "usual AWS_* variables) instead of a folder; each replica keeps a local copy of what "
        "it serves in data_dir/clip-cache.",
    )
    clip_endpoint_url: str = Field(
        "", description="The S3-compatible store's URL (empty: AWS itself)."
    )
    map_tile_url: str = Field(
        "/tiles/{z}/{x}/{y}.png",
        max_length=300,
        description="The consoles' map tiles ({z}/{x}/{y}): the region's own tile server in "
        "production; by default the hub serves the PNG tiles in map_tiles_dir.",
    )
    map_tiles_dir: Path | None = Field(
        None, description="Tiles the hub serves at /tiles; empty means data_dir/tiles."
    )
    map_attribution: str = Field(
        "", max_length=200, description="The map data's credit, shown in the map's corner."
    )
    shared_clip_dir: Path | None = Field(
        None,
        description="Snapshots and clips in this folder instead of data_dir/clips: in cluster "
        "mode the same mount on every replica.",
    )
    data_key_file: Path | None = Field(
        None,
        description="The data keys that seal face photos and templates (JSON, made on first "
        "start); empty means data_dir/keys/data-keys.json. In production keep it off the data "
        "disk (a mounted secret): a stolen disk then holds no readable face.",
    )
    data_keys: str = Field(
        "",
        description="The data keys as JSON (the key file's content), from a secret store; "
        "when set, the key file is not used and rotation is done there.",
    )
    security_keeps_closed_hours: float = Field(
        24,
        ge=0,
        le=24 * 90,
        description="How long after an incident closes the security company still sees the "
        "person's name, phone and address, the pictures and the live view; then the incident "
        "without them.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or CIDR ranges) of the load balancers whose X-Forwarded-For "
        "and X-Forwarded-Proto the hub believes. Empty (the default): none, the connection's "
        "own address counts, for the sign-in limits and the audit trail alike.",
    )
    sign_in_rate: str = Field(
        "30/minute", description="Sign-in attempts per client address (limits' notation)."
    )
    failed_sign_in_rate: str = Field(
        "20/10 minutes",
        description="Failed sign-ins per client address before it is refused as credential "
        "stuffing (and audited).",
    )
    failed_sign_ins_before_lock: int = Field(
        5, ge=2, description="Failed sign-ins of one name within 15 minutes that lock it."
    )
    sign_in_lock_minutes: int = Field(15, ge=1, description="How long a locked name waits.")
    sos_rate: str = Field(
        "20/minute",
        description="SOS presses per device or person; repeats join the open incident anyway.",
    )
    camera_event_rate: str = Field(
        "6000/minute",
        description="Events per camera (a backlog after an outage drains at this pace; the "
        "rest is answered 429 and stays in the camera's outbox).",
    )
    max_request_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024 * 1024,
        description="Largest request body the hub reads (a clip's upload is the largest).",
    )
    clip_retention_days: int = Field(
        90,
        ge=1,
        description="Snapshots and clips are deleted this long after they arrived, unless "
        "their incident is held as evidence (each deletion audited).",
    )
    host: str = Field("127.0.0.1", description="Address the hub listens on.")
    port: int = Field(8000, ge=1, le=65535)
    token_ttl_minutes: int = Field(8 * 60, ge=5, description="Lifetime of a person's login token.")
    max_photo_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest accepted photo.")
    default_page_size: int = Field(50, ge=1, le=500)
    case_reference_prefix: str = Field(
        "JJ", pattern=r"^[A-Z]{2,6}$", description="Region code at the start of case numbers."
    )
    seed_demo: bool = Field(
        False, description="Seed the demo region on first start (refused in production)."
    )
    api_docs: bool | None = Field(
        None,
        description="Serve /docs, /redoc and /openapi.json; unset: yes, except in production.",
    )
    alert_policy_file: Path | None = Field(
        None, description="YAML routing policy; empty means the programme's default."
    )
    timezone: str = Field("Asia/Seoul", description="The region's time zone (weeks, days).")
    watch_silent_minutes: int = Field(
        30, ge=1, le=24 * 60, description="A very-high case's smartwatch silent this long alerts."
    )
    camera_silent_seconds: int = Field(
        60,
        ge=5,
        le=3600,
        description="An installed camera of a high or very-high case whose heartbeats stop "
        "this long opens a camera_offline incident (the worker heartbeats every 15 s).",
    )
    web_push: bool = Field(
        True, description="Ring locked phones by Web Push (VAPID keys in data_dir)."
    )
    web_push_services: list[str] = Field(
        default_factory=lambda: [
            "https://fcm.googleapis.com",  # Chrome, Android
            "https://*.push.services.mozilla.com",  # Firefox
            "https://*.notify.windows.com",  # Edge
            "https://web.push.apple.com",  # Safari, iOS
            "https://*.push.apple.com",
        ],
        description="Push services a phone's subscription may point at (scheme://host, '*.' "
        "for any subdomain): the hub POSTs to the endpoint, which must not be any address "
        "a subscriber names.",
    )
    web_push_contact: str = Field(
        "mailto:safewatch-operations@example.org",
        description="VAPID contact the push services may write to.",
    )
    emergency_webhook_url: str = Field(
        "", description="The 112 dispatch system's webhook; empty means 112 uses the console only."
    )
    location_coarse_m: float = Field(
        100.0,
        gt=0,
        le=10_000,
        description="A position whose accuracy radius is wider (or unknown: an old client) is "
        "coarse: the dispatch also goes to the registered home and the safe accommodation.",
    )
    location_stale_seconds: int = Field(
        60,
        ge=5,
        le=3600,
        description="A position older than this is stale: the same as coarse.",
    )
    proximity_radius_m: int = Field(
        2000,
        ge=100,
        le=20_000,
        description="An offender's electronic monitor this near the protected person's home, "
        "safe accommodation or last known place opens a proximity incident (a case may set "
        "its own).",
    )
    last_fix_fresh_minutes: int = Field(
        15,
        ge=1,
        le=1440,
        description="How long her phone's or watch's last position counts as where she may "
        "be, for the offender's monitor.",
    )
    police_duty_phone: str = Field(
        "",
        max_length=40,
        description="The 112 centre's duty phone: a police request no 112 screen or system "
        "took (or that 112 left unanswered past its deadline) is texted here. Empty means the "
        "case's police station's phone; with neither, the administrators are told.",
    )
    emergency_webhook_secret: str = Field(
        "", description="Shared secret that signs webhook packets (HMAC-SHA256)."
    )
    sms_gateway: SmsGateway = Field(
        SmsGateway.folder, description="sens (texts reach phones) or folder (development)."
    )
    sms_sender: str = Field(
        "", max_length=20, description="The calling number registered with the SMS gateway."
    )
    sens_url: str = Field(
        "https://sens.apigw.ntruss.com",
        description="SENS's address (the public cloud's, or a government region's).",
    )
    sens_service_id: str = Field("", description="The SENS SMS project's service id.")
    sens_access_key: str = Field("", description="The NAVER Cloud access key for SENS.")
    sens_secret_key: SecretStr = Field(
        SecretStr(""), description="Its secret key (signs every request; never logged)."
    )

    @field_validator("sign_in_rate", "failed_sign_in_rate", "sos_rate", "camera_event_rate")
    @classmethod
    def verify_rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a rate such as '30/minute'") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def verify_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @model_validator(mode="after")
    def verify_secret_key(self) -> Settings:
        production = self.environment is Environment.production
        if production and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "SAFEWATCH_SECRET_KEY is the development default; set a long random secret "
                "before running in production ('safewatch keys secret' makes one)"
            )
        if production and not strong_secret(self.secret_key):
            raise ValueError(
                "SAFEWATCH_SECRET_KEY is too weak for production: it signs every media link "
                "and must be at least 32 random bytes ('safewatch keys secret' makes one)"
            )
        if production and self.seed_demo:
            raise ValueError(
                "SAFEWATCH_SEED_DEMO: the demo accounts have a published password; never in "
                "production"
            )
        if self.sms_gateway is SmsGateway.sens:
            needed = {
                "SAFEWATCH_SMS_SENDER": self.sms_sender,
                "SAFEWATCH_SENS_SERVICE_ID": self.sens_service_id,
                "SAFEWATCH_SENS_ACCESS_KEY": self.sens_access_key,
                "SAFEWATCH_SENS_SECRET_KEY": self.sens_secret_key.get_secret_value(),
            }
            missing = [name for name, value in needed.items() if not value]
            if missing:
                raise ValueError(f"SAFEWATCH_SMS_GATEWAY=sens needs {', '.join(missing)}")
        elif production:
            raise ValueError(
                "SAFEWATCH_SMS_GATEWAY=folder writes texts that no phone receives; in "
                "production set SAFEWATCH_SMS_GATEWAY=sens and its account"
            )
        if self.emergency_webhook_url and len(self.emergency_webhook_secret) < 16:
            raise ValueError(
                "SAFEWATCH_EMERGENCY_WEBHOOK_SECRET: a webhook needs a shared secret of at "
                "least 16 characters to sign its packets"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'safewatch.db').as_posix()}"

    @property
    def clip_dir(self) -> Path:
        return self.shared_clip_dir or self.data_dir / "clips"

    @property
    def tiles_dir(self) -> Path:
        return self.map_tiles_dir or self.data_dir / "tiles"

    @property
    def tile_origin(self) -> str | None:
        """The tile server's origin when it is not the hub itself (the pages may load its
        images: the content security policy names it)."""
        parts = urlsplit(self.map_tile_url.replace("{s}", "tiles-subdomain"))
        if not parts.scheme or not parts.hostname:
            return None
        host = parts.hostname.replace("tiles-subdomain", "*")  # {s}.tiles… → *.tiles…
        return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def template_dir(self) -> Path:
        return self.data_dir / "templates"

    @property
    def evidence_key_file(self) -> Path:
        return self.key_file.parent / "evidence-signing.pem"

    @property
    def key_file(self) -> Path:
        return self.data_key_file or self.data_dir / "keys" / "data-keys.json"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def strong_secret(secret: str) -> bool:
    """At least 32 random bytes, written in hex or base64 (as 'safewatch keys secret' and
    every key tool write them): a phrase a person made up is refused, and so are bytes as
    repetitive as 'aaaa…' (random bytes are nearly all different)."""
    try:
        raw = bytes.fromhex(secret)
    except ValueError:
        try:
            padded = secret + "=" * (-len(secret) % 4)
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except ValueError:
            return False
    return len(raw) >= 32 and len(set(raw)) >= 0.6 * len(raw)


def new_secret() -> str:
    """A secret key for production: 48 random bytes, URL-safe base64."""
    return secrets.token_urlsafe(48)
