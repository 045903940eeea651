"""Devices, stays, patrols and relocation steps."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from safewatch.bus.messages import CameraHealth, Undelivered
from safewatch.incidents.device_health import DeviceCondition
from safewatch.models.resources import DeviceKind, DeviceStatus, StepStatus
from safewatch.schemas.common import Name, Schema, Text

Serial = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{3,80}$")]


class DeviceCreate(Schema):
    kind: DeviceKind
    serial: Serial
    model: Annotated[str, StringConstraints(max_length=120)] = ""
    agency_id: uuid.UUID | None = Field(None, description="Defaults to the caller's agency.")


class DeviceAssign(Schema):
    case_id: uuid.UUID
    note: Text = ""


class DeviceStatusChange(Schema):
    status: DeviceStatus
    note: Text = ""


class DeviceAssignmentPublic(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    assigned_at: datetime
    assigned_by: uuid.UUID
    returned_at: datetime | None
    note: str


class DevicePublic(Schema):
    id: uuid.UUID
    kind: DeviceKind
    serial: str
    model: str
    agency_id: uuid.UUID
    status: DeviceStatus
    case_id: uuid.UUID | None
    last_seen_at: datetime | None
    battery_percent: int | None
    health_note: str
    camera_state: CameraHealth | None = None
    undelivered_count: int = 0
    undelivered: list[Undelivered] = Field(default_factory=list)
    condition: DeviceCondition | None = Field(
        None, description="What to show: offline or late when its heartbeat is old, else its state."
    )
    offline_incident: str | None = Field(
        None, description="The open camera_offline incident that makes it offline (its reference)."
    )
    problem: str | None = Field(None, description="e.g. 'door: 3 events could not be delivered: …'")
    assignments: list[DeviceAssignmentPublic]

    @field_validator("undelivered", mode="before")
    @classmethod
    def none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class CameraStatus(Schema):
    """One camera of a case, as the console shows it beside an incident."""

    serial: str
    condition: DeviceCondition
    offline_incident: str | None = None  # the open camera_offline incident, if any
    last_seen_at: datetime | None
    note: str
    undelivered_count: int
    problem: str | None


class DeviceCredentialPublic(Schema):
    device_id: uuid.UUID
    secret: str = Field(description="Shown once; only its hash is stored.")


MAX_UNDELIVERED = 50


class DeviceHeartbeat(Schema):
    """A device's sign of life. Watches, bells and old camera workers send the first two
    fields only; a camera worker also says how the camera is and what it could not deliver
    (the list may be cut short; ``undelivered_count`` is the total)."""

    battery_percent: int | None = Field(None, ge=0, le=100)
    # Kept to 300 characters; a longer note is cut, not refused (a refused heartbeat would
    # make a working camera look silent).
    health_note: Annotated[str, StringConstraints(max_length=4000)] = ""
    state: CameraHealth | None = None
    undelivered: list[Undelivered] = Field(default_factory=list, max_length=MAX_UNDELIVERED)
    undelivered_count: int = Field(0, ge=0)
    run: uuid.UUID | None = Field(
        None, description="The camera worker's run (a new one at each start of its process)."
    )


class StockRow(Schema):
    agency_id: uuid.UUID
    agency_name: str
    kind: DeviceKind
    status: DeviceStatus
    count: int


class StayCreate(Schema):
    place_name: Name
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=400)]
    # Where it is: an offender's electronic monitor is measured against it too.
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    check_in: date
    planned_check_out: date
    note: Text = ""

    @model_validator(mode="after")
    def verify_dates(self) -> StayCreate:
        if self.planned_check_out <= self.check_in:
            raise ValueError("the planned check-out must come after the check-in")
        return self


class StayExtend(Schema):
    planned_check_out: date
    note: Text = ""


class StayCheckOut(Schema):
    check_out: date
    note: Text = ""


class StayPublic(Schema):
    id: uuid.UUID
    place_name: str
    address: str
    check_in: date
    planned_check_out: date
    check_out: date | None
    planned_nights: int
    nights: int | None
    note: str


_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class PatrolWindow(Schema):
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 = Monday … 6 = Sunday")
    start: str = Field(description="HH:MM, local time")
    end: str = Field(description="HH:MM, local time")

    @field_validator("weekdays")
    @classmethod
    def verify_weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))

    @model_validator(mode="after")
    def verify_times(self) -> PatrolWindow:
        if not (_HHMM.match(self.start) and _HHMM.match(self.end)):
            raise ValueError("times are written HH:MM, e.g. 21:30")
        if time.fromisoformat(self.end) <= time.fromisoformat(self.start):
            raise ValueError("a patrol window must end after it starts")
        return self


class PatrolPlanCreate(Schema):
    place: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
    windows: list[PatrolWindow] = Field(min_length=1, max_length=20)


class PatrolLogCreate(Schema):
    patrolled_at: datetime
    observation: Text = ""


class PatrolLogPublic(Schema):
    id: uuid.UUID
    patrolled_at: datetime
    officer_id: uuid.UUID
    observation: str
    window_start: time | None


class PatrolPlanPublic(Schema):
    id: uuid.UUID
    place: str
    windows: list[PatrolWindow]
    active: bool
    logs: list[PatrolLogPublic]


class RelocationStepCreate(Schema):
    title: Name
    due_on: date | None = None
    note: Text = ""


class RelocationStepChange(Schema):
    status: StepStatus
    note: Text = ""


class RelocationStepPublic(Schema):
    id: uuid.UUID
    title: str
    status: StepStatus
    due_on: date | None
    done_at: datetime | None
    note: str
