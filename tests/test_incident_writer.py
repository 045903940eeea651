"""The one writer of incidents against the real database: it writes only what the rules
changed (a person's change made meanwhile in another column stands), the session's own copy
of the incident is fresh after it, and a value no enum knows is refused when written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.errors import Conflict
from safewatch.core.roles import Role
from safewatch.incidents import actions, decisions
from safewatch.incidents.actions import Person
from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import IncidentStatus, Recipient
from safewatch.incidents.policy import Routing, RoutingPolicy
from safewatch.incidents.state import Signal
from safewatch.models import Delivery, Incident, IncidentEntry, IncidentRecipient
from safewatch.services import incident_writer
from safewatch.services.incident_writer import Change
from tests.world import World

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ROUTING = Routing(RoutingPolicy(), frozenset({"in_app", "sms"}))


def _open(session: Session, world: World) -> Incident:
    facts = IncidentFacts(kind=IncidentKind.intrusion, source=SignalSource.camera)
    s = Signal(
        world.cases["a"], SignalSource.camera, IncidentKind.intrusion, "k", "cam", "x", facts=facts
    )
    effects = decisions.opened(ROUTING, s, None, NOW, reference="INC-TEST-1")
    written = incident_writer.save(session, [Change(None, effects)], NOW)
    assert {(d.recipient, d.channel) for d in written} == {
        (Recipient.victim, "in_app"),
        (Recipient.victim, "sms"),
        (Recipient.security, "in_app"),
    }
    incident = session.get(Incident, effects.incident.id)
    assert incident is not None
    return incident


def test_a_new_incident_is_written_whole_with_its_duties_deliveries_and_timeline(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        incident = _open(session, world)
        assert (
            incident_writer.state_of(incident)
            == incident_writer.load(session, [incident.id])[incident.id]
        )
        assert {r.recipient for r in incident.recipients} == {Recipient.victim, Recipient.security}
        kinds = session.scalars(
            select(IncidentEntry.kind)
            .where(IncidentEntry.incident_id == incident.id)
            .order_by(IncidentEntry.id)
        ).all()
        assert kinds == ["created", "notified", "notified"]
        assert len(incident_writer.written(session)) == 3
        assert incident_writer.written(session) == []  # taken once


def test_only_the_columns_the_rules_changed_are_written(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        incident = _open(session, world)
        before = incident_writer.state_of(incident)
        # Meanwhile someone else records the guard unit (another transaction, as it were).
        session.execute(update(Incident).where(Incident.id == incident.id).values(guard_unit="G-9"))
        operator = Person(
            "Kim", world.users["security_a"], Role.security_operator, Recipient.security
        )
        effects = actions.acknowledge(ROUTING, before, operator, NOW + timedelta(seconds=5))
        incident_writer.save(session, [Change(before, effects)], NOW + timedelta(seconds=5))
        # The session's copy is fresh: the writer's change and the other one both show.
        assert incident.status is IncidentStatus.acknowledged
        assert incident.guard_unit == "G-9"
        duty = session.get(IncidentRecipient, (incident.id, Recipient.security))
        assert duty is not None and duty.acknowledged_by == world.users["security_a"]


def test_a_value_no_enum_knows_is_refused_when_written(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session, session.begin():
        incident = _open(session, world)
        delivery = session.scalars(
            select(Delivery).where(Delivery.incident_id == incident.id)
        ).first()
        assert delivery is not None
        delivery.status = "sent"  # type: ignore[assignment]  # not a DeliveryStatus
        with pytest.raises(StatementError, match="sent"):
            session.flush()


def test_two_operators_claiming_at_once_do_not_both_win(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    """Found in review: on PostgreSQL two operators who opened the incident together could
    both claim it (the last write won, the timeline said "claimed" twice)."""
    with session_factory() as session, session.begin():
        incident_id = _open(session, world).id
    with session_factory() as session:  # both consoles read the incident as it is
        seen = incident_writer.load(session, [incident_id])[incident_id]
    first = Person("Kim", world.users["security_a"], Role.security_operator, Recipient.security)
    second = Person("Lee", world.users["admin"], Role.admin, Recipient.security)
    with session_factory() as session, session.begin():
        effects = actions.claim(ROUTING, seen, first, NOW)
        incident_writer.save(session, [Change(seen, effects)], NOW, checked=True)
    with pytest.raises(Conflict), session_factory() as session, session.begin():
        effects = actions.claim(ROUTING, seen, second, NOW)  # decided on what it saw
        incident_writer.save(session, [Change(seen, effects)], NOW, checked=True)
    with session_factory() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None and incident.claimed_by == world.users["security_a"]
        claims = session.scalars(
            select(IncidentEntry).where(
                IncidentEntry.incident_id == incident_id, IncidentEntry.kind == "claimed"
            )
        ).all()
        assert len(claims) == 1
