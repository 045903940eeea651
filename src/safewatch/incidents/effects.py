"""What a decision about an incident comes to, as data: the incident as it is after, the lines
its timeline gains, the messages to send, and the alerts a person opened. The rules return
``Effects``; one writer (``services.incident_writer``) saves them, for one incident or a
whole batch at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from safewatch.incidents.facts import EntryFacts
from safewatch.incidents.lifecycle import Recipient
from safewatch.incidents.location import Fix
from safewatch.incidents.state import Duty, IncidentState

SYSTEM = "system"


@dataclass(frozen=True)
class Line:
    """One line of the incident's timeline; ``facts`` for the lines the system words (a
    person's own words in ``detail`` have none)."""

    kind: str
    actor: str = SYSTEM
    detail: str = ""
    recipient: Recipient | None = None
    user_id: uuid.UUID | None = None
    facts: EntryFacts | None = None


@dataclass(frozen=True)
class Send:
    """One message to one group on one channel (a delivery the alert runtime sends)."""

    recipient: Recipient
    channel: str
    message: str  # alert | escalation | update


@dataclass(frozen=True)
class Effects:
    incident: IncidentState  # as it is after
    lines: tuple[Line, ...] = ()
    sends: tuple[Send, ...] = ()
    seen_by: tuple[Recipient, ...] = ()  # groups whose in-app alerts a person opened
    acted: tuple[str, ...] = ()  # what a person did, for the audit trail
    track: tuple[Fix, ...] = ()  # positions a device sent (the track the consoles draw)

    def __add__(self, later: Effects) -> Effects:
        """These effects, then those decided on the incident as these left it."""
        return Effects(
            later.incident,
            self.lines + later.lines,
            self.sends + later.sends,
            self.seen_by + later.seen_by,
            self.acted + later.acted,
            self.track + later.track,
        )

    def then(self, step: Callable[[IncidentState], Effects]) -> Effects:
        return self + step(self.incident)

    def changed(self, **fields: Any) -> Effects:
        """The incident's fields changed (``duties`` included)."""
        return replace(self, incident=replace(self.incident, **fields))

    def line(self, line: Line) -> Effects:
        return replace(self, lines=(*self.lines, line))

    def duty(self, duty: Duty) -> Effects:
        """A group's duty set (told for the first time, answered, escalated)."""
        return self.changed(duties={**self.incident.duties, duty.recipient: duty})
