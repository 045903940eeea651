"""Resources put in place for a case: devices, safe-accommodation stays, patrols, relocation."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safewatch.bus.messages import CameraHealth
from safewatch.store.base import Base, CreatedMixin, IdMixin, text_enum, utcnow


class DeviceKind(StrEnum):
    camera = "camera"  # AI CCTV
    smartwatch = "smartwatch"
    bell = "bell"  # emergency bell
    # The offender's court-ordered electronic monitor: its credential is the monitoring
    # centre's feed of his positions (issue 23, point 4).
    offender_monitor = "offender_monitor"


class DeviceStatus(StrEnum):
    in_stock = "in_stock"
    assigned = "assigned"
    faulty = "faulty"
    retired = "retired"


class StepStatus(StrEnum):
    planned = "planned"
    done = "done"
    cancelled = "cancelled"


class Device(IdMixin, CreatedMixin, Base):
    __tablename__ = "device"

    kind: Mapped[DeviceKind] = mapped_column(text_enum(DeviceKind))
    serial: Mapped[str] = mapped_column(String(80), unique=True)
    model: Mapped[str] = mapped_column(String(120), default="")
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))  # who holds the stock
    status: Mapped[DeviceStatus] = mapped_column(
        text_enum(DeviceStatus), default=DeviceStatus.in_stock
    )
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("protection_case.id"))
    last_seen_at: Mapped[datetime | None]
    battery_percent: Mapped[int | None]
    health_note: Mapped[str] = mapped_column(String(300), default="")
    # A camera's heartbeat: what its worker says of it, and the items the hub refused for
    # good that the camera keeps (quarantined), at most 50 of ``undelivered_count``.
    camera_state: Mapped[CameraHealth | None] = mapped_column(text_enum(CameraHealth))
    undelivered: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    undelivered_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the hub raised (or joined) a camera_offline incident for the present silence;
    # cleared by the next heartbeat, which the incident's timeline records.
    silence_reported_at: Mapped[datetime | None]

    assignments: Mapped[list[DeviceAssignment]] = relationship(
        lazy="selectin", order_by="DeviceAssignment.assigned_at"
    )


class CameraSetup(Base):
    """What the site editor keeps for a camera: the zones drawn on its view, and the latest
    picture of that view the camera sent (a file in the clip store)."""

    __tablename__ = "camera_setup"

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device.id"), primary_key=True)
    zones: Mapped[list[Any] | None] = mapped_column(JSON)  # None: the site file's zones
    zones_updated_at: Mapped[datetime | None]
    zones_updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    view_name: Mapped[str | None] = mapped_column(String(120))
    view_at: Mapped[datetime | None]
    # Someone watches the live view until then: the camera sends its view every second.
    live_until: Mapped[datetime | None]


class SitePlan(Base):
    """The home's plan or picture (sealed in the photo store: it shows the way in), its ways
    in, and each installed camera's covered area on it (issue 23, point 3)."""

    __tablename__ = "site_plan"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"), primary_key=True)
    picture_name: Mapped[str | None] = mapped_column(String(200))
    picture_type: Mapped[str | None] = mapped_column(String(20))
    ways_in: Mapped[list[Any] | None] = mapped_column(JSON)  # [{name, x, y}]
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # device id → [[x, y], …]
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))


class DeviceCredential(IdMixin, CreatedMixin, Base):
    """A device's secret; only its hash is kept. One live credential per device."""

    __tablename__ = "device_credential"

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]


class DeviceAssignment(IdMixin, Base):
    __tablename__ = "device_assignment"

    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    returned_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class Stay(IdMixin, CreatedMixin, Base):
    """A stay in safe accommodation. Its address is as sensitive as the home address."""

    __tablename__ = "stay"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    place_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400))
    latitude: Mapped[float | None] = mapped_column(Float)  # an offender's monitor is
    longitude: Mapped[float | None] = mapped_column(Float)  # measured against it
    check_in: Mapped[date]
    planned_check_out: Mapped[date]
    check_out: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def planned_nights(self) -> int:
        return (self.planned_check_out - self.check_in).days

    @property
    def nights(self) -> int | None:
        return None if self.check_out is None else (self.check_out - self.check_in).days


class PatrolPlan(IdMixin, CreatedMixin, Base):
    __tablename__ = "patrol_plan"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    place: Mapped[str] = mapped_column(String(300))
    # [{"weekdays": [0..6], "start": "HH:MM", "end": "HH:MM"}]
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)

    logs: Mapped[list[PatrolLog]] = relationship(lazy="selectin", order_by="PatrolLog.patrolled_at")


class PatrolLog(IdMixin, Base):
    __tablename__ = "patrol_log"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patrol_plan.id"))
    patrolled_at: Mapped[datetime]
    officer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    observation: Mapped[str] = mapped_column(Text, default="")
    window_start: Mapped[time | None]


class RelocationStep(IdMixin, CreatedMixin, Base):
    __tablename__ = "relocation_step"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[StepStatus] = mapped_column(text_enum(StepStatus), default=StepStatus.planned)
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
