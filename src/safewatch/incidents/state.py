"""An incident as the rules see it: its fields, the groups it told and what each owes
(``Duty``), and the signal that opens or joins one. Plain values, no database: the services
read them from the tables and write back what the rules decide (``incidents.decisions``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import IncidentStatus, Outcome, PoliceStatus, Recipient
from safewatch.incidents.location import Fix, FixSource


@dataclass(frozen=True)
class Duty:
    """A group the incident told, and its duty to acknowledge by a deadline."""

    recipient: Recipient
    notified_at: datetime
    deadline_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: uuid.UUID | None = None
    escalated_at: datetime | None = None


@dataclass(frozen=True)
class IncidentState:
    """One incident (the columns of ``incident`` the rules read and change, and its duties)."""

    id: uuid.UUID
    reference: str
    case_id: uuid.UUID
    source: SignalSource
    type: IncidentKind
    severity: str
    join_key: str
    summary: str
    last_signal_at: datetime
    created_at: datetime
    status: IncidentStatus = IncidentStatus.open
    police_status: PoliceStatus = PoliceStatus.none
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    device_id: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_accuracy_m: float | None = None
    location_source: FixSource | None = None
    location_at: datetime | None = None  # when the position was fixed
    battery_percent: int | None = None
    claimed_by: uuid.UUID | None = None
    guard_unit: str | None = None
    acknowledged_at: datetime | None = None
    dispatched_at: datetime | None = None
    on_scene_at: datetime | None = None
    police_requested_at: datetime | None = None
    closed_at: datetime | None = None
    facts: IncidentFacts | None = None
    duties: Mapping[Recipient, Duty] = field(default_factory=dict, compare=False)

    @property
    def recipients(self) -> frozenset[Recipient]:
        return frozenset(self.duties)

    @property
    def fix(self) -> Fix | None:
        """The incident's position as a fix (none: it has no position of its own)."""
        if self.latitude is None or self.longitude is None:
            return None
        return Fix(
            self.latitude,
            self.longitude,
            self.location_accuracy_m,
            self.location_source,
            self.location_at,
        )


class Signal(NamedTuple):
    """Something happened at a case: a camera event, an SOS, a silent device, a report."""

    case_id: uuid.UUID
    source: SignalSource
    type: IncidentKind
    join_key: str
    actor: str
    summary: str
    device_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    fix: Fix | None = None  # where the device is (an SOS)
    battery: int | None = None
    facts: IncidentFacts | None = None  # what the screens word (``summary`` is for logs)
