"""The alert packet: what each recipient group is sent about an incident — the phone's and the
consoles' alert, the 112 webhook's body, the SMS and the lock screen's words are made from it,
and the incident page shows it. Enough to act, no more: the protected person's packet has no
``protected_person`` and no ``offenders`` at all (not even as nulls); a packet without personal
data has no position and no pictures either (``services.packets``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from safewatch.cases.risk import RiskLevel
from safewatch.incidents.facts import IncidentFacts, IncidentKind
from safewatch.incidents.lifecycle import (
    Asked,
    IncidentStatus,
    Outcome,
    PoliceReach,
    PoliceStatus,
)
from safewatch.incidents.location import Doubt, FixSource, Place

PERSONAL = ("protected_person", "offenders")


class Packed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PoliceAsk(Packed):
    """What the police request asks of the police (not sent to the protected person)."""

    asked: Asked
    by: str = Field(description="Who asked, or the group that did not answer in time.")
    note: str


class PacketIncident(Packed):
    id: uuid.UUID
    reference: str
    type: IncidentKind
    severity: str
    summary: str = Field(description="English, for logs: screens word ``facts`` instead.")
    facts: IncidentFacts | None = Field(
        description="What the screens word in their language (no nulls inside)."
    )
    status: IncidentStatus
    police_status: PoliceStatus
    police_reach: PoliceReach = Field(description="How far the police request got.")
    police_request: PoliceAsk | None
    outcome: Outcome | None
    opened_at: datetime
    last_signal_at: datetime
    guard_unit: str | None
    claimed: bool = Field(description="A security operator has taken it on.")


class PacketCase(Packed):
    reference: str
    risk_level: RiskLevel | None


class PacketPlace(Packed):
    """Where else the dispatch goes when the position is doubted."""

    kind: Place
    address: str
    latitude: float | None = None
    longitude: float | None = None


class PacketLocation(Packed):
    """The incident's position (an SOS's fix), else the registered home's, with what it is
    worth: its accuracy radius, its source, when it was fixed, and what is doubtful about it.
    When it is doubted, the security company and 112 are also sent the home and the safe
    accommodation in use (``also_at``)."""

    latitude: float | None
    longitude: float | None
    battery_percent: int | None
    accuracy_m: float | None = Field(None, description="The fix's radius (none: not said).")
    source: FixSource | None = None
    fixed_at: datetime | None = None
    doubts: list[Doubt] = Field(
        default_factory=list, description="coarse | stale | none (empty: it can be trusted)."
    )
    also_at: list[PacketPlace] = Field(
        default_factory=list, description="Not in the protected person's own packet."
    )


class PacketPerson(Packed):
    name: str
    phone: str
    address: str
    latitude: float | None = Field(None, description="The registered home's position.")
    longitude: float | None = None


class PacketOffender(Packed):
    name: str
    description: str
    relation: str | None
    birth_year: int | None


class AlertPacket(Packed):
    incident: PacketIncident
    case: PacketCase
    location: PacketLocation
    snapshot_url: str | None = Field(description="Signed for the recipient group.")
    clip_url: str | None
    clip_pending: bool = Field(description="A clip is still coming.")
    protected_person: PacketPerson | None = Field(
        None, description="Not in the protected person's own packet (the key is absent)."
    )
    offenders: list[PacketOffender] | None = Field(
        None, description="Not in the protected person's own packet (the key is absent)."
    )

    @model_serializer(mode="wrap")
    def _as_sent(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # No return annotation: the OpenAPI keeps the fields' schema.
        data = handler(self)
        for key in PERSONAL:
            if data.get(key) is None:
                data.pop(key, None)
        facts = data["incident"].get("facts")
        if facts is not None:
            data["incident"]["facts"] = {k: v for k, v in facts.items() if v is not None}
        return data

    def wire(self) -> dict[str, Any]:
        """As JSON types, the way every channel sends it."""
        return self.model_dump(mode="json")
