"""The incident's life, as pure rules: what each action needs and what it changes.

Two tracks run side by side: the response on the ground (open → acknowledged → guards
dispatched → on scene → closed) and the police request (requested → accepted → dispatched →
closed). Statuses only move forward; an action that makes no sense now is refused with a
reason a console can show.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    dispatched = "dispatched"  # guards on their way
    on_scene = "on_scene"
    closed = "closed"


class PoliceStatus(StrEnum):
    none = "none"
    requested = "requested"
    accepted = "accepted"
    dispatched = "dispatched"
    closed = "closed"


class Outcome(StrEnum):
    resolved = "resolved"
    false_alarm = "false_alarm"


class Recipient(StrEnum):
    """Who is told: the protected person, the security company, the 112 centre, the officer."""

    victim = "victim"
    security = "security"
    police = "police"
    officer = "officer"


class SendOutcome(StrEnum):
    """What a channel says of one message it was given."""

    accepted = "accepted"  # a push service, the 112 system or the SMS gateway's folder took it
    delivered = "delivered"  # written to a connected screen's stream
    retry = "retry"  # not now (nobody reached, a service down): try again later
    failed = "failed"  # never on this channel (no phone, no account)


class DeliveryStatus(StrEnum):
    """One message on one channel: pending → sending (leased) → accepted | delivered |
    failed; seen once the person opened it; cancelled when the incident closed first."""

    pending = "pending"
    sending = "sending"
    accepted = "accepted"
    delivered = "delivered"
    seen = "seen"
    failed = "failed"
    cancelled = "cancelled"


WAITING = (DeliveryStatus.pending, DeliveryStatus.sending)
RECEIPTED = frozenset({DeliveryStatus.accepted, DeliveryStatus.delivered, DeliveryStatus.seen})


def after_send(outcome: SendOutcome) -> DeliveryStatus:
    """The delivery's status after a send: a retry waits again (pending)."""
    if outcome is SendOutcome.retry:
        return DeliveryStatus.pending
    return DeliveryStatus(outcome.value)


ORDER = list(IncidentStatus)
POLICE_ORDER = list(PoliceStatus)


class TransitionError(ValueError):
    pass


def advance(current: IncidentStatus, to: IncidentStatus) -> IncidentStatus:
    """Move forward to ``to`` (staying put if already there or past it, except when closed)."""
    if current is IncidentStatus.closed:
        raise TransitionError("the incident is closed")
    return to if ORDER.index(to) > ORDER.index(current) else current


def require(current: IncidentStatus, allowed: set[IncidentStatus], action: str) -> None:
    if current not in allowed:
        raise TransitionError(f"cannot {action} an incident that is {current.value}")


def police_step(current: PoliceStatus, to: PoliceStatus) -> PoliceStatus:
    """The police track moves one step at a time; requesting again is harmless."""
    if to is PoliceStatus.requested and current is not PoliceStatus.none:
        return current
    expected = POLICE_ORDER[POLICE_ORDER.index(to) - 1]
    if current is PoliceStatus.closed and to is not PoliceStatus.closed:
        raise TransitionError("the police request is closed")
    if to is PoliceStatus.closed and current in (PoliceStatus.accepted, PoliceStatus.dispatched):
        return to
    if current is not expected:
        raise TransitionError(
            f"the police request is {current.value}; it cannot become {to.value} now"
        )
    return to
