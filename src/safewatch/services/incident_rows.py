"""The rows an incident writes beside itself, as plain dicts for multi-row inserts (the
batch path) and for ORM objects (one incident at a time): a line of its timeline, a message
on one channel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from safewatch.incidents.facts import EntryFacts
from safewatch.incidents.lifecycle import DeliveryStatus, Recipient

SYSTEM = "system"


def entry_row(
    incident_id: uuid.UUID,
    at: datetime,
    kind: str,
    actor: str = SYSTEM,
    detail: str = "",
    recipient: Recipient | None = None,
    user_id: uuid.UUID | None = None,
    facts: EntryFacts | None = None,
) -> dict[str, Any]:
    """One line of an incident's timeline (``incident_entry``); ``facts`` for the lines the
    system words (a person's own words in ``detail`` have none)."""
    return {
        "incident_id": incident_id,
        "at": at,
        "kind": kind,
        "actor": actor[:200],
        "user_id": user_id,
        "recipient": recipient,
        "detail": detail,
        "facts": facts,
    }


def delivery_row(
    incident_id: uuid.UUID,
    recipient: Recipient,
    channel: str,
    message: str,
    now: datetime,
    lease_until: datetime | None = None,
) -> dict[str, Any]:
    """One message on one channel; leased already when its sender is standing by."""
    leased = lease_until is not None
    return {
        "id": uuid.uuid4(),
        "created_at": now,
        "incident_id": incident_id,
        "recipient": recipient,
        "channel": channel,
        "message": message,
        "status": DeliveryStatus.sending if leased else DeliveryStatus.pending,
        "attempts": 1 if leased else 0,
        "next_attempt_at": lease_until if lease_until is not None else now,
        "last_error": None,
        "delivered_at": None,
    }
