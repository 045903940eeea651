"""The incident's life, as pure rules: what each action needs and what it changes.

Two tracks run side by side: the response on the ground (open → acknowledged → guards
dispatched → on scene → closed) and the police request (requested → accepted → dispatched →
closed). Statuses only move forward; an action that makes no sense now is refused with a
reason a console can show.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from safewatch.core.roles import Role


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


# --- How far a police request got ------------------------------------------------------------


class PoliceReach(StrEnum):
    """How far the police request got, as the screens say it (``incident.police_reach``):

    - ``not_requested``: the police were not asked.
    - ``waiting``: being sent to the 112 centre; no 112 screen or system has it yet.
    - ``reached``: on a 112 screen or taken by the 112 dispatch system; nobody at 112 has
      accepted it yet.
    - ``duty_phone_texted``: no 112 screen or system took it; it was texted to the duty
      phone instead (the SMS gateway took it); nobody at 112 has accepted it yet.
    - ``not_reached``: no 112 screen, system or duty phone took it (or none is set):
      someone must call 112.
    - ``accepted``: someone at 112 accepted it (and may have sent a patrol or closed it).
    """

    not_requested = "not_requested"
    waiting = "waiting"
    reached = "reached"
    duty_phone_texted = "duty_phone_texted"
    not_reached = "not_reached"
    accepted = "accepted"


class Asked(StrEnum):
    """Why the police were asked: the incident's type calls for them (an SOS, the offender
    recognised at the home), the chain took it there (nobody answered in time), or a person
    (the security company, an officer) asked."""

    by_policy = "by_policy"
    escalated = "escalated"
    by_person = "by_person"


class PoliceRequest(NamedTuple):
    """The police side of an incident as the screens show it."""

    reach: PoliceReach
    asked: Asked | None = None  # None: not requested
    by: str = ""  # who asked, or who did not answer in time
    note: str = ""


NOT_REQUESTED = PoliceRequest(PoliceReach.not_requested)

# The channel that carries a police request nobody else took (the duty phone).
FALLBACK_CHANNEL = "sms"


def police_reach(
    police_status: PoliceStatus, alerts: list[tuple[str, DeliveryStatus]]
) -> PoliceReach:
    """From the police track and the police group's alerts (channel, status), updates
    left out."""
    if police_status is PoliceStatus.none:
        return PoliceReach.not_requested
    if police_status is not PoliceStatus.requested:
        return PoliceReach.accepted
    first = [s for c, s in alerts if c != FALLBACK_CHANNEL]
    fallback = [s for c, s in alerts if c == FALLBACK_CHANNEL]
    if any(s in RECEIPTED for s in first):
        return PoliceReach.reached
    if any(s in RECEIPTED for s in fallback):
        return PoliceReach.duty_phone_texted
    if DeliveryStatus.failed in first:
        return PoliceReach.not_reached
    return PoliceReach.waiting


def needs_fallback(
    police_status: PoliceStatus, alerts: list[tuple[str, DeliveryStatus]], deadline_missed: bool
) -> bool:
    """A request still waiting for 112 goes to the duty phone once: when one of its channels
    gave up with none of them having taken it, or when 112 let its deadline pass."""
    if police_status is not PoliceStatus.requested:
        return False
    if any(c == FALLBACK_CHANNEL for c, _ in alerts):
        return False  # texted already (or being texted)
    if deadline_missed:
        return True
    first = [s for c, s in alerts if c != FALLBACK_CHANNEL]
    return DeliveryStatus.failed in first and not any(s in RECEIPTED for s in first)


# --- What a person may do now ----------------------------------------------------------------


class Action(StrEnum):
    """An action on an incident, as the console's buttons (and the API's routes) name it."""

    claim = "claim"
    dispatch = "dispatch"  # guards
    arrive = "arrive"
    request_police = "request_police"
    resolve = "resolve"  # close the incident (destructive: the console keeps it apart)
    police_accept = "police_accept"
    police_dispatch = "police_dispatch"
    police_close = "police_close"


class Claim(StrEnum):
    """Who has claimed the incident, seen from the person asking."""

    nobody = "nobody"
    you = "you"
    someone_else = "someone_else"


SECURITY_ROLES = frozenset({Role.security_operator, Role.admin})
POLICE_ROLES = frozenset({Role.dispatcher, Role.admin})
REQUESTERS = frozenset({Role.security_operator, Role.officer, Role.admin})


def allowed_actions(
    status: IncidentStatus,
    police_status: PoliceStatus,
    role: Role,
    claim: Claim = Claim.nobody,
) -> list[Action]:
    """What a person of ``role`` may do to the incident now (the buttons a screen shows),
    by the rules the actions themselves enforce, so a screen need not guess. (Whether the
    incident is this person's to act on — their company's case — is the caller's check.)"""
    out: list[Action] = []
    closed = status is IncidentStatus.closed
    if role in SECURITY_ROLES and not closed:
        early = status in (IncidentStatus.open, IncidentStatus.acknowledged)
        if early and claim is Claim.nobody:
            out.append(Action.claim)
        if early:
            out.append(Action.dispatch)
        if status is IncidentStatus.dispatched:
            out.append(Action.arrive)
    if role in REQUESTERS and not closed and police_status is PoliceStatus.none:
        out.append(Action.request_police)
    if role in POLICE_ROLES:
        if police_status is PoliceStatus.requested and not closed:
            out.append(Action.police_accept)
        if police_status is PoliceStatus.accepted and not closed:
            out.append(Action.police_dispatch)  # closed on the ground: 112 may only close
        if police_status in (PoliceStatus.accepted, PoliceStatus.dispatched):
            out.append(Action.police_close)
    if role in REQUESTERS and not closed:
        out.append(Action.resolve)
    return out
