"""What the incident routes take and give: the consoles' queues and details, the protected
person's SOS and the devices' location, and the consoles' actions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from safewatch.incidents.facts import (
    EntryFacts,
    IncidentFacts,
    IncidentKind,
    SignalSource,
    SosFeedback,
)
from safewatch.incidents.lifecycle import (
    Action,
    Asked,
    Claim,
    DeliveryStatus,
    Outcome,
    PoliceReach,
    PoliceRequest,
    Recipient,
)
from safewatch.incidents.location import Fix, FixSource
from safewatch.schemas.alerts import AlertPacket
from safewatch.schemas.common import Schema
from safewatch.schemas.resources import CameraStatus

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class IncidentSummary(Schema):
    id: uuid.UUID
    reference: str
    case_id: uuid.UUID
    source: SignalSource
    type: IncidentKind
    severity: str
    summary: str = Field(description="In English, for logs; screens word `facts`.")
    facts: IncidentFacts | None
    status: str
    police_status: str
    outcome: str | None
    created_at: datetime
    last_signal_at: datetime
    guard_unit: str | None


class PoliceRequestOut(Schema):
    """What a police request asks and how far it got (``lifecycle.PoliceReach``)."""

    reach: PoliceReach
    asked: Asked | None = Field(description="Why the police were asked; None if they were not.")
    by: str = Field(description="Who asked, or which group did not answer in time.")
    note: str

    @classmethod
    def of(cls, request: PoliceRequest) -> PoliceRequestOut:
        return cls(reach=request.reach, asked=request.asked, by=request.by, note=request.note)


class QueueItem(IncidentSummary):
    """A queue row: the incident, and who, where and how far its police request got."""

    case_reference: str
    person_name: str
    area: str = Field(description="The home's district and street, without the house number.")
    claimed_by_name: str | None
    claim: Claim = Field(description="Whether the caller, someone else or nobody claimed it.")
    police: PoliceRequestOut


class TimelineEntry(Schema):
    at: datetime
    kind: str
    actor: str
    recipient: Recipient | None
    detail: str = Field(description="In English (or a person's own words, without facts).")
    facts: EntryFacts | None


class RecipientDuty(Schema):
    recipient: Recipient
    notified_at: datetime
    deadline_at: datetime | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None


class DeliveryPublic(Schema):
    recipient: Recipient
    channel: str
    message: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class FixPublic(Schema):
    """A position a device sent while the incident was open (the track, oldest first)."""

    received_at: datetime
    taken_at: datetime | None
    latitude: float
    longitude: float
    accuracy_m: float | None
    source: FixSource | None


class GuardPositionIn(Schema):
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=100_000)


class GuardPublic(Schema):
    """A guard unit's latest reported position."""

    unit: str
    at: datetime
    latitude: float
    longitude: float
    accuracy_m: float | None


class IncidentDetail(Schema):
    summary: IncidentSummary
    packet: AlertPacket
    recipients: list[RecipientDuty]
    timeline: list[TimelineEntry]
    deliveries: list[DeliveryPublic]
    cameras: list[CameraStatus] = Field(
        default_factory=list, description="The case's cameras now (not for the 112 centre)."
    )
    actions: list[Action] = Field(
        default_factory=list, description="What the caller may do now (the screen's buttons)."
    )
    claim: Claim = Claim.nobody
    claimed_by_name: str | None = None
    guards: list[GuardPublic] = Field(
        default_factory=list, description="Each guard unit's latest reported position."
    )
    track: list[FixPublic] = Field(
        default_factory=list,
        description="The positions sent since the SOS (not kept past the personal-data period).",
    )


class Located(Schema):
    """A position with what it is worth (issue 23). A client that leaves out the accuracy
    radius, the source and the time of the fix is taken as coarse."""

    accuracy_m: float | None = Field(
        None, ge=0, le=100_000, description="The fix's accuracy radius in metres (68 %)."
    )
    source: FixSource | None = Field(
        None, description="gps | wifi | cell (a registered address is the hub's to say)"
    )
    taken_at: datetime | None = Field(
        None,
        description="When the fix was taken (the device's clock; without a zone: UTC); none: "
        "when received. A time after the hub's own counts as received now.",
    )

    @field_validator("source")
    @classmethod
    def measured(cls, value: FixSource | None) -> FixSource | None:
        # A device that called its own fix exact would pin the guards to it for good.
        if value is FixSource.fixed_address:
            raise ValueError("a device's position is measured: gps, wifi or cell")
        return value

    @field_validator("taken_at")
    @classmethod
    def in_utc(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    def fix(self, latitude: float | None, longitude: float | None, now: datetime) -> Fix | None:
        if latitude is None or longitude is None:
            return None
        taken = min(self.taken_at, now) if self.taken_at is not None else None
        return Fix(latitude, longitude, self.accuracy_m, self.source, taken)


class SosIn(Located):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    battery_percent: int | None = Field(None, ge=0, le=100)


Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


class AppLockIn(Schema):
    """The app's lock: a PIN, and a duress PIN that unlocks the same way but raises a silent
    SOS (issue 23; a person forced to open the app in front of the offender)."""

    pin: Pin
    duress_pin: Pin | None = None

    @model_validator(mode="after")
    def differ(self) -> AppLockIn:
        if self.duress_pin is not None and self.duress_pin == self.pin:
            raise ValueError("the duress PIN must differ from the PIN")
        return self


class SosFeedbackSetting(Schema):
    feedback: SosFeedback = Field(
        description="What the watch and the app do when she presses SOS (silent by default)."
    )


class AppLockState(Schema):
    locked: bool = Field(description="A PIN is set: the app asks for it when it opens.")


class UnlockIn(Located):
    pin: Pin
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class Unlocked(Schema):
    unlocked: bool = Field(description="The same answer for the PIN and the duress PIN.")


class SosReceipt(Schema):
    incident: IncidentSummary
    call: str = Field(description="Hand the phone to this (the 112 emergency line).")
    latest_clip_url: str | None


class LocationIn(Located):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    battery_percent: int | None = Field(None, ge=0, le=100)


PositionIn = LocationIn  # an offender's monitor sends the same: where, how sure, when


class MonitorReceipt(Schema):
    incident_id: uuid.UUID | None = Field(
        description="The proximity incident this position opened or joined (none: not near, "
        "or stale)."
    )
    stale: bool = Field(
        False, description="Fixed too long ago to say where he is now: not measured."
    )


class ManualIn(Schema):
    case_id: uuid.UUID
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class DispatchIn(Schema):
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class NoteIn(Schema):
    note: Note = ""


class ResolveIn(Schema):
    outcome: Outcome
    reason: Note = ""
    not_the_offender: bool = Field(
        False, description="The person a camera named was someone else: tighten its threshold."
    )


class HoldIn(Schema):
    hold: bool = Field(description="Keep the media past the retention period (or stop).")
