"""Incidents: the one record that ties a camera event or an SOS to everyone who must act."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Dialect, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from safewatch.incidents.facts import EntryFacts, IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import (
    DeliveryStatus,
    IncidentStatus,
    Outcome,
    PoliceStatus,
    Recipient,
)
from safewatch.incidents.location import FixSource
from safewatch.store.base import Base, CreatedMixin, IdMixin, text_enum, utcnow


class FactsColumn(TypeDecorator[Any]):
    """A typed Pydantic model stored as JSON (``None`` for rows written before facts)."""

    impl = JSON
    cache_ok = True

    def __init__(self, model: type[BaseModel]) -> None:
        super().__init__()
        self.model = model

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.model.model_validate(value).model_dump(mode="json", exclude_none=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.model.model_validate(value)


class Incident(IdMixin, CreatedMixin, Base):
    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_open_join", "case_id", "join_key", "status"),)

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"), index=True)
    source: Mapped[SignalSource] = mapped_column(text_enum(SignalSource, 20))
    type: Mapped[IncidentKind] = mapped_column(text_enum(IncidentKind))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[IncidentStatus] = mapped_column(
        text_enum(IncidentStatus), default=IncidentStatus.open, index=True
    )
    police_status: Mapped[PoliceStatus] = mapped_column(
        text_enum(PoliceStatus), default=PoliceStatus.none, index=True
    )
    outcome: Mapped[Outcome | None] = mapped_column(text_enum(Outcome))
    outcome_reason: Mapped[str | None] = mapped_column(String(500))
    join_key: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")  # English, for logs
    # What the screens word in their own language.
    facts: Mapped[IncidentFacts | None] = mapped_column(FactsColumn(IncidentFacts))
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("device.id"))
    last_signal_at: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # The position's trust (issue 23): its accuracy radius, where it came from, when it was
    # fixed. None on a position from an old client: it counts as coarse.
    location_accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[FixSource | None] = mapped_column(text_enum(FixSource, 20))
    location_at: Mapped[datetime | None]
    battery_percent: Mapped[int | None]
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    guard_unit: Mapped[str | None] = mapped_column(String(80))
    acknowledged_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    on_scene_at: Mapped[datetime | None]
    police_requested_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Kept as evidence: its clips and snapshots outlive the retention period.
    evidence_hold: Mapped[bool] = mapped_column(default=False)

    recipients: Mapped[list[IncidentRecipient]] = relationship(
        lazy="selectin", order_by="IncidentRecipient.notified_at"
    )


class IncidentEntry(Base):
    """One line of the incident's timeline: when, what, by whom (a person, a device or the
    system), for which recipient."""

    __tablename__ = "incident_entry"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    recipient: Mapped[Recipient | None] = mapped_column(text_enum(Recipient))
    detail: Mapped[str] = mapped_column(Text, default="")  # English, or a person's words
    facts: Mapped[EntryFacts | None] = mapped_column(FactsColumn(EntryFacts))


class IncidentFix(Base):
    """One position a device sent while the incident was open (an SOS's "follow me"): the
    track the consoles draw. The incident's own position is the best fresh one of them."""

    __tablename__ = "incident_fix"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id"), index=True)
    received_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[FixSource | None] = mapped_column(text_enum(FixSource, 20))


class GuardPosition(Base):
    """Where a guard unit going to the incident says it is (the consoles draw the latest)."""

    __tablename__ = "guard_position"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id"), index=True)
    unit: Mapped[str] = mapped_column(String(80))
    reported_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)


class IncidentRecipient(Base):
    """Someone told about the incident, and their duty to acknowledge by a stored deadline
    (so it survives a restart)."""

    __tablename__ = "incident_recipient"
    __table_args__ = (Index("ix_incident_recipient_due", "deadline_at", "acknowledged_at"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    recipient: Mapped[Recipient] = mapped_column(text_enum(Recipient), primary_key=True)
    notified_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    escalated_at: Mapped[datetime | None]


class Delivery(IdMixin, CreatedMixin, Base):
    """One message to one recipient on one channel, retried until delivered or given up."""

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_due", "status", "next_attempt_at"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id"), index=True)
    recipient: Mapped[Recipient] = mapped_column(text_enum(Recipient))
    channel: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(20))  # alert | escalation | update
    status: Mapped[DeliveryStatus] = mapped_column(
        text_enum(DeliveryStatus, 20), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None]
    # The SMS gateway's id for an accepted text: its delivery receipt is asked for by it
    # (``next_attempt_at`` is then when to ask).
    gateway_ref: Mapped[str | None] = mapped_column(String(100))


class PushSubscription(IdMixin, CreatedMixin, Base):
    """A browser's Web Push subscription (so a locked phone rings)."""

    __tablename__ = "push_subscription"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
