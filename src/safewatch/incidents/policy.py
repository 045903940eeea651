"""Routing policy: by incident type and risk level, who is told, on which channels, who must
acknowledge by when, and whom a missed deadline escalates to. One Pydantic model; the default
below is the programme's, and a site may load its own from YAML (``SAFEWATCH_ALERT_POLICY``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from safewatch.bus.messages import SEVERITY
from safewatch.cases.risk import RiskLevel
from safewatch.incidents.lifecycle import Recipient
from safewatch.incidents.location import Trust

Channel = Literal["in_app", "web_push", "webhook", "sms"]
LevelKey = Literal["normal", "high", "very_high", "any"]

# Incident types: the camera worker's event types, SOS, the offender's monitor near her, a
# silent watch, an officer's report.
INCIDENT_TYPES = (
    "offender_recognized",
    "sos",
    "unidentified_person",
    "intrusion",
    "proximity",
    "stranger",
    "loitering",
    "camera_tampered",
    "camera_offline",
    "watch_silent",
    "manual",
)
# When events of two types join one incident, it takes the more severe one (first here).
SEVERITY_ORDER = INCIDENT_TYPES
# An open incident of these types gathers every later signal of its key, however late: one
# outage, one incident (the worker's own report and the hub's silence sweep included); one
# offender's approach, one incident (his monitor's feed may go quiet for minutes indoors).
JOINS_WHILE_OPEN = ("camera_offline", "proximity")

V, S, P, OFF = Recipient.victim, Recipient.security, Recipient.police, Recipient.officer


Routes = dict[str, dict[LevelKey, list[Recipient]]]


def default_routes() -> Routes:
    return {
        "offender_recognized": {"any": [V, S, P]},
        "sos": {"any": [V, S, P]},
        "intrusion": {"any": [V, S]},
        # The victim is told, as the monitoring centre texts her; the police too at very high.
        "proximity": {"very_high": [V, S, P], "any": [V, S]},
        "stranger": {"any": [V, S]},
        # A face never seen (a mask): the guards at any level; she is told at high and above
        # (not an offender alert: nobody is named).
        "unidentified_person": {"high": [V, S], "very_high": [V, S], "any": [S]},
        "loitering": {"any": [V, S]},
        "camera_tampered": {"any": [S]},
        "camera_offline": {"high": [S, OFF], "very_high": [S, OFF], "any": [OFF]},
        "watch_silent": {"any": [S]},
        "manual": {"any": [S]},
    }


def default_channels() -> dict[Recipient, list[Channel]]:
    return {
        V: ["in_app", "web_push", "sms"],
        S: ["in_app"],
        P: ["in_app", "webhook"],
        OFF: ["in_app"],
    }


def default_ack_seconds() -> dict[Recipient, float]:
    return {V: 60.0, S: 60.0, P: 120.0}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutingPolicy(Strict):
    routes: Routes = Field(
        default_factory=default_routes,
        description="Incident type → risk level (or 'any') → who is told at once.",
    )
    channels: dict[Recipient, list[Channel]] = Field(
        default_factory=default_channels,
        description="Channels per recipient; webhook only when a 112 webhook is configured.",
    )
    ack_seconds: dict[Recipient, float] = Field(
        default_factory=default_ack_seconds,
        description="Who must acknowledge, and within how many seconds.",
    )
    escalation: list[Recipient] = Field(
        default_factory=lambda: [V, S, P, OFF],
        description="A missed deadline tells the next one in this chain.",
    )
    not_for_police: list[str] = Field(
        default_factory=lambda: ["camera_offline"],
        description="Incident types a missed deadline never takes to the 112 centre (a fault "
        "to mend, not a police matter): the chain skips the police for them.",
    )
    join_seconds: float = Field(
        120, gt=0, le=3600, description="Repeats of the same track or SOS join the open incident."
    )

    @model_validator(mode="before")
    @classmethod
    def new_types_take_the_default(cls, data: object) -> object:
        """A site's policy file written before an incident type existed takes the
        programme's route for it (the hub must not refuse to start after an upgrade)."""
        if isinstance(data, dict) and isinstance(data.get("routes"), dict):
            data = {**data, "routes": {**default_routes(), **data["routes"]}}
        return data

    @model_validator(mode="after")
    def verify(self) -> RoutingPolicy:
        for kind in INCIDENT_TYPES:
            if kind not in self.routes:
                raise ValueError(f"routes: no entry for incident type '{kind}'")
            if "any" not in self.routes[kind]:
                raise ValueError(f"routes.{kind}: an 'any' level is needed as the fallback")
        unknown = (set(self.routes) | set(self.not_for_police)) - set(INCIDENT_TYPES)
        if unknown:
            raise ValueError(f"unknown incident type(s) {', '.join(sorted(unknown))}")
        return self

    def recipients(self, incident_type: str, level: RiskLevel | None) -> list[Recipient]:
        by_level = self.routes[incident_type]
        key = level.value if level is not None else "any"
        return list(by_level.get(key, by_level["any"]))  # type: ignore[call-overload]

    def deadline_seconds(self, recipient: Recipient) -> float | None:
        return self.ack_seconds.get(recipient)

    def escalates_to(
        self, recipient: Recipient, incident_type: str | None = None
    ) -> Recipient | None:
        chain = self.escalation
        if incident_type in self.not_for_police:
            chain = [r for r in chain if r is not Recipient.police or r is recipient]
        if recipient not in chain:
            return None
        k = chain.index(recipient)
        return chain[k + 1] if k + 1 < len(chain) else None


INCIDENT_SEVERITY = {
    **SEVERITY,
    "sos": "critical",
    "proximity": "high",
    "watch_silent": "high",
    "manual": "high",
}


@dataclass(frozen=True)
class Routing:
    """The policy and the channels this hub can actually use (a webhook only if configured)."""

    policy: RoutingPolicy
    available: frozenset[str]
    police_duty_phone: str = ""  # a police request that reaches nobody is texted here
    # How long the security company keeps a closed incident's personal data and live view
    security_keeps_closed: timedelta = timedelta(hours=24)
    trust: Trust = field(default_factory=Trust)  # when a position is doubted

    def channels(self, recipient: Recipient) -> list[str]:
        return [c for c in self.policy.channels.get(recipient, []) if c in self.available]


def severity_rank(incident_type: str) -> int:
    return SEVERITY_ORDER.index(incident_type)


def load_policy(path: Path | None) -> RoutingPolicy:
    if path is None:
        return RoutingPolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return RoutingPolicy.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"alert policy {path}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"alert policy {path}: {where}: {first['msg']}") from exc
