"""The incident rules as pure functions: a state and what happened in, ``Effects`` out — no
database, web or bus. The API tests check the same rules end to end; these say each rule
once, where it is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from safewatch.cases.risk import RiskLevel
from safewatch.core.errors import Conflict, Forbidden, Invalid
from safewatch.core.roles import Role
from safewatch.incidents import actions, decisions
from safewatch.incidents.actions import Person
from safewatch.incidents.effects import Effects, Send
from safewatch.incidents.facts import EntryReason, IncidentFacts, IncidentKind, SignalSource
from safewatch.incidents.lifecycle import (
    IncidentStatus,
    Outcome,
    PoliceStatus,
    Recipient,
    TransitionError,
)
from safewatch.incidents.policy import Routing, RoutingPolicy
from safewatch.incidents.state import IncidentState, Signal

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ROUTING = Routing(RoutingPolicy(), frozenset({"in_app", "web_push", "sms"}))
V, S, P, OFF = Recipient.victim, Recipient.security, Recipient.police, Recipient.officer


def signal(kind: IncidentKind, key: str = "cam:1:track:7", **more: object) -> Signal:
    source = SignalSource.camera if kind is not IncidentKind.sos else SignalSource.phone
    facts = IncidentFacts(kind=kind, source=source)
    return Signal(
        uuid.uuid4(), source, kind, key, "camera front", f"{kind} seen", facts=facts, **more
    )  # type: ignore[arg-type]


def opened(kind: IncidentKind, risk: RiskLevel = RiskLevel.high) -> IncidentState:
    return decisions.opened(ROUTING, signal(kind), risk, NOW).incident


def person(group: Recipient | None, role: Role = Role.security_operator) -> Person:
    return Person("Kim (security operator)", uuid.uuid4(), role, group)


def kinds(effects: Effects) -> list[str]:
    return [line.kind for line in effects.lines]


def test_a_new_incident_tells_everyone_the_policy_names_at_once_and_asks_the_police() -> None:
    effects = decisions.opened(ROUTING, signal(IncidentKind.offender_recognized), None, NOW)
    incident = effects.incident
    assert set(incident.duties) == {V, S, P}
    assert kinds(effects) == [
        "created",
        "notified",
        "notified",
        "notified",
        "police_requested",
    ]
    assert incident.police_status is PoliceStatus.requested
    assert incident.police_requested_at == NOW
    assert incident.duties[V].deadline_at == NOW + timedelta(seconds=60)
    assert incident.duties[P].deadline_at == NOW + timedelta(seconds=120)
    # Only the channels this hub has: no webhook configured, so the police get in-app only.
    assert Send(P, "webhook", "alert") not in effects.sends
    assert Send(P, "in_app", "alert") in effects.sends
    assert [s for s in effects.sends if s.recipient is V] == [
        Send(V, "in_app", "alert"),
        Send(V, "web_push", "alert"),
        Send(V, "sms", "alert"),
    ]


def test_a_silent_sos_by_the_duress_pin_tells_everyone_but_her_own_phone() -> None:
    facts = IncidentFacts(kind=IncidentKind.sos, source=SignalSource.phone, duress=True)
    s = signal(IncidentKind.sos, "sos:1")._replace(facts=facts)
    effects = decisions.opened(ROUTING, s, None, NOW)
    assert set(effects.incident.duties) == {S, P}
    assert V not in {send.recipient for send in effects.sends}
    assert effects.incident.police_status is PoliceStatus.requested


def test_a_repeat_joins_and_every_screen_hears_of_it_without_new_alerts() -> None:
    incident = opened(IncidentKind.loitering)
    effects = decisions.joined(ROUTING, incident, signal(IncidentKind.loitering), None, NOW)
    assert kinds(effects) == ["joined"]
    assert {s.message for s in effects.sends} == {"update"}
    assert effects.incident.duties == incident.duties


def test_a_more_severe_signal_upgrades_and_tells_only_the_groups_it_adds() -> None:
    incident = opened(IncidentKind.intrusion)  # victim and security
    later = NOW + timedelta(seconds=5)
    effects = decisions.joined(
        ROUTING, incident, signal(IncidentKind.offender_recognized), None, later
    )
    assert effects.incident.type is IncidentKind.offender_recognized
    assert effects.incident.severity == "critical"
    assert kinds(effects) == ["joined", "upgraded", "notified", "police_requested"]
    alerts = [s for s in effects.sends if s.message == "alert"]
    assert {s.recipient for s in alerts} == {P}
    assert effects.incident.duties[P].notified_at == later
    assert effects.incident.duties[V].notified_at == NOW  # told before: its deadline stands


def test_a_missed_deadline_tells_the_next_group_and_the_last_one_only_goes_on_record() -> None:
    incident = opened(IncidentKind.offender_recognized)
    late = NOW + timedelta(seconds=61)
    effects = decisions.escalated(ROUTING, incident, V, late)
    assert effects.incident.duties[V].escalated_at == late
    assert kinds(effects) == ["escalated", "notified"]
    assert {s.message for s in effects.sends} == {"escalation"}
    assert {s.recipient for s in effects.sends} == {S}
    at_police = decisions.escalated(ROUTING, effects.incident, P, late)
    assert {s.recipient for s in at_police.sends} == {OFF}  # the chain's last group
    assert at_police.incident.duties[OFF].deadline_at is None  # by default it owes no answer
    strict = Routing(RoutingPolicy(ack_seconds={OFF: 300}), ROUTING.available)
    told = decisions.notify(strict, incident, OFF, "report", NOW).incident
    officer_late = decisions.escalated(strict, told, OFF, late)
    assert kinds(officer_late) == ["deadline_missed"] and not officer_late.sends


def test_a_camera_fault_never_escalates_to_the_police() -> None:
    incident = opened(IncidentKind.camera_offline, RiskLevel.very_high)  # security, officer
    assert set(incident.duties) == {S, OFF}
    effects = decisions.escalated(ROUTING, incident, S, NOW + timedelta(seconds=61))
    assert {s.recipient for s in effects.sends} == {OFF}
    assert effects.incident.police_status is PoliceStatus.none


def test_only_a_group_the_incident_was_sent_to_may_acknowledge_it() -> None:
    incident = opened(IncidentKind.intrusion)
    with pytest.raises(Forbidden):
        actions.acknowledge(ROUTING, incident, person(P, Role.dispatcher), NOW)
    with pytest.raises(Forbidden):
        actions.acknowledge(ROUTING, incident, person(None), NOW)
    effects = actions.acknowledge(ROUTING, incident, person(S), NOW)
    assert effects.incident.status is IncidentStatus.acknowledged
    assert effects.incident.duties[S].acknowledged_at == NOW
    assert effects.seen_by == (S,)
    assert effects.acted == ("acknowledged",)


def test_an_answer_to_a_closed_incident_changes_nothing_and_tells_no_screen() -> None:
    incident = opened(IncidentKind.intrusion)
    closed = actions.resolve(ROUTING, incident, person(S), Outcome.resolved, "", NOW).incident
    effects = actions.acknowledge(ROUTING, closed, person(V, Role.protected_person), NOW)
    assert effects == Effects(closed)


def test_a_claim_is_taken_once_and_acknowledges_for_the_company() -> None:
    incident = opened(IncidentKind.intrusion)
    operator = person(S)
    effects = actions.claim(ROUTING, incident, operator, NOW)
    assert effects.incident.claimed_by == operator.user_id
    assert effects.acted == ("acknowledged", "claimed")
    with pytest.raises(Conflict, match="already claimed"):
        actions.claim(ROUTING, effects.incident, operator, NOW)
    with pytest.raises(Conflict, match="another operator"):
        actions.claim(ROUTING, effects.incident, person(S), NOW)


def test_asking_for_the_police_tells_them_once() -> None:
    incident = opened(IncidentKind.intrusion)
    officer = person(OFF, Role.officer)
    first = actions.request_police(ROUTING, incident, officer, "he is back", NOW)
    assert first.incident.police_status is PoliceStatus.requested
    assert kinds(first)[:3] == ["police_request", "notified", "police_requested"]
    assert first.lines[1].facts is not None
    assert first.lines[1].facts.reason is EntryReason.requested_by
    again = actions.request_police(ROUTING, first.incident, officer, "still there", NOW)
    assert kinds(again) == ["police_request"]
    assert {s.message for s in again.sends} == {"update"}


def test_the_lifecycle_refuses_steps_out_of_order() -> None:
    incident = opened(IncidentKind.intrusion)
    with pytest.raises(TransitionError):
        actions.arrived(ROUTING, incident, person(S), NOW)
    with pytest.raises(Invalid, match="say why"):
        actions.resolve(ROUTING, incident, person(S), Outcome.false_alarm, " ", NOW)
    closed = actions.resolve(ROUTING, incident, person(S), Outcome.resolved, "", NOW).incident
    with pytest.raises(Conflict, match="closed"):
        actions.police_action(
            ROUTING, closed, person(P, Role.dispatcher), PoliceStatus.accepted, "", NOW
        )


def test_a_decision_leaves_the_state_it_was_given_as_it_was() -> None:
    incident = opened(IncidentKind.offender_recognized)
    copy = IncidentState(**{**incident.__dict__, "duties": dict(incident.duties)})
    actions.police_action(
        ROUTING, incident, person(P, Role.dispatcher), PoliceStatus.accepted, "", NOW
    )
    actions.claim(ROUTING, incident, person(S), NOW)
    decisions.escalated(ROUTING, incident, V, NOW)
    assert incident == copy and incident.duties == copy.duties


def test_a_police_request_that_reached_nobody_goes_to_the_duty_phone_or_says_call_112() -> None:
    incident = opened(IncidentKind.offender_recognized)
    texted = decisions.police_unreached(ROUTING, incident, "+82-64-000-0000", False)
    assert Send(P, "sms", "escalation") in texted.sends
    assert "texted to the duty phone" in texted.lines[0].detail
    nobody = decisions.police_unreached(ROUTING, incident, None, True)
    assert not [s for s in nobody.sends if s.message != "update"]
    assert nobody.lines[0].detail.endswith("call 112")
    assert nobody.lines[0].facts is not None
    assert nobody.lines[0].facts.reason is EntryReason.police_not_in_time
