"""Who is told, when and how: each rule once, as a function from an incident's state and what
happened to the ``Effects`` it has. A signal opens an incident (everyone the policy names is
told at once) or joins the open one (a more severe type upgrades it and tells whoever the new
type adds); a missed deadline tells the next group in the chain; any change is heard by every
screen that shows the incident. People's actions on it: ``incidents.actions``."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from safewatch.cases.risk import RiskLevel
from safewatch.incidents.effects import SYSTEM, Effects, Line, Send
from safewatch.incidents.facts import EntryFacts, EntryReason, IncidentKind
from safewatch.incidents.lifecycle import FALLBACK_CHANNEL, PoliceStatus, Recipient
from safewatch.incidents.location import Fix, replaces
from safewatch.incidents.policy import INCIDENT_SEVERITY, Routing, severity_rank
from safewatch.incidents.state import Duty, IncidentState, Signal

POLICE_UNREACHED = "police_unreached"  # the timeline line of a police request's fallback


def notify(
    routing: Routing,
    incident: IncidentState,
    recipient: Recipient,
    why: str,
    now: datetime,
    facts: EntryFacts | None = None,
    message: str = "alert",
) -> Effects:
    """Tell a group on each of its channels; the first time, its acknowledgement deadline
    starts. Telling the police is a police request."""
    effects = Effects(incident)
    if recipient not in incident.duties:
        seconds = routing.policy.deadline_seconds(recipient)
        deadline = now + timedelta(seconds=seconds) if seconds is not None else None
        effects = effects.duty(Duty(recipient, now, deadline))
    effects = replace(
        effects, sends=tuple(Send(recipient, c, message) for c in routing.channels(recipient))
    )
    effects = effects.line(Line("notified", detail=why, recipient=recipient, facts=facts))
    if recipient is Recipient.police and incident.police_status is PoliceStatus.none:
        effects = effects.changed(police_status=PoliceStatus.requested, police_requested_at=now)
        effects = effects.line(Line("police_requested", detail=why, facts=facts))
    return effects


def screens_told(routing: Routing, incident: IncidentState) -> Effects:
    """Every screen that shows the incident hears of a change (in-app)."""
    sends = tuple(
        Send(recipient, "in_app", "update")
        for recipient in sorted(incident.duties, key=lambda r: r.value)
        if "in_app" in routing.channels(recipient)
    )
    return Effects(incident, sends=sends)


def _said(s: Signal) -> EntryFacts | None:
    """A created or joined line: what the signal said, as facts."""
    return EntryFacts(reason=EntryReason.signal, signal=s.facts) if s.facts else None


def opened(
    routing: Routing, s: Signal, risk: RiskLevel | None, now: datetime, reference: str = ""
) -> Effects:
    """A signal with no open incident to join opens one and tells everyone at once."""
    incident = IncidentState(
        id=uuid.uuid4(),
        reference=reference,
        case_id=s.case_id,
        source=s.source,
        type=s.type,
        severity=INCIDENT_SEVERITY[s.type],
        join_key=s.join_key[:120],
        summary=s.summary[:300],
        device_id=s.device_id,
        last_signal_at=now,
        created_at=now,
        battery_percent=s.battery,
        facts=s.facts,
    )
    effects = located(routing, Effects(incident), s.fix, now).line(
        Line("created", s.actor, s.summary, user_id=s.user_id, facts=_said(s))
    )
    because = EntryFacts(reason=EntryReason.incident_type, kind=IncidentKind(s.type))
    for recipient in routing.policy.recipients(s.type, risk):
        if recipient is Recipient.victim and s.facts is not None and s.facts.duress:
            continue  # a silent SOS: her own phone must show nothing
        effects += notify(routing, effects.incident, recipient, s.type, now, because)
    return effects


def joined(
    routing: Routing, incident: IncidentState, s: Signal, risk: RiskLevel | None, now: datetime
) -> Effects:
    """A repeat of the same track or SOS joins the open incident: it moves with the signal,
    a more severe type upgrades it and tells the groups the new type adds."""
    effects = located(routing, Effects(incident).changed(last_signal_at=now), s.fix, now)
    if s.battery is not None:
        effects = effects.changed(battery_percent=s.battery)
    effects = effects.line(Line("joined", s.actor, s.summary, user_id=s.user_id, facts=_said(s)))
    if s.type is IncidentKind.proximity and incident.type is IncidentKind.proximity:
        # The offender moves: the incident shows where his monitor is now.
        effects = effects.changed(summary=s.summary[:300], facts=s.facts)
    if severity_rank(s.type) < severity_rank(incident.type):
        before = incident.type
        effects = effects.changed(
            type=s.type, severity=INCIDENT_SEVERITY[s.type], summary=s.summary[:300], facts=s.facts
        )
        upgraded = EntryFacts(
            reason=EntryReason.upgraded, before=IncidentKind(before), kind=IncidentKind(s.type)
        )
        effects = effects.line(Line("upgraded", s.actor, f"{before} → {s.type}", facts=upgraded))
        for recipient in routing.policy.recipients(s.type, risk):
            if recipient not in effects.incident.duties:
                why = f"now {s.type}"
                effects += notify(routing, effects.incident, recipient, why, now, upgraded)
    return effects.then(lambda i: screens_told(routing, i))


def escalated(
    routing: Routing, incident: IncidentState, missed: Recipient, now: datetime
) -> Effects:
    """A group missed its deadline: the next one in the chain is told (again, if it was
    already told, with the news that the first did not answer)."""
    duty = incident.duties[missed]
    effects = Effects(incident).duty(replace(duty, escalated_at=now))
    target = routing.policy.escalates_to(missed, incident.type)
    late = f"{missed.value} did not acknowledge by {duty.deadline_at:%H:%M:%S}"
    facts = EntryFacts(
        reason=EntryReason.deadline_missed, missed=missed, by=duty.deadline_at, to=target
    )
    if target is None:
        return effects.line(Line("deadline_missed", detail=late, recipient=missed, facts=facts))
    effects = effects.line(
        Line("escalated", detail=f"{late}; → {target.value}", recipient=target, facts=facts)
    )
    return effects.then(lambda i: notify(routing, i, target, late, now, facts, "escalation"))


def clip_added(
    routing: Routing, incident: IncidentState, camera: str, record_id: uuid.UUID
) -> Effects:
    """The clip joins the alert that already went out with the snapshot."""
    facts = EntryFacts(reason=EntryReason.clip_added, camera=camera)
    line = Line("clip_added", f"camera {camera}", str(record_id), facts=facts)
    return Effects(incident).line(line).then(lambda i: screens_told(routing, i))


def located(routing: Routing, effects: Effects, fix: Fix | None, now: datetime) -> Effects:
    """A position a device sent: on the track always; the incident's own position if it is
    no worse than the fresh one it has (``location.replaces``)."""
    if fix is None:
        return effects
    effects = replace(effects, track=(*effects.track, fix))
    incident = effects.incident
    if not replaces(incident.fix, fix, incident.location_at, now, routing.trust):
        return effects
    return effects.changed(
        latitude=fix.latitude,
        longitude=fix.longitude,
        location_accuracy_m=fix.accuracy_m,
        location_source=fix.source,
        location_at=fix.taken_at or now,
    )


def moved(routing: Routing, incident: IncidentState, who: str, fix: Fix, now: datetime) -> Effects:
    """A position sent while the SOS is open ("follow me"): the incident follows the wearer,
    and every screen showing it hears of each one (the consoles draw the track)."""
    effects = located(routing, Effects(incident), fix, now)
    if effects.incident.fix != incident.fix:  # it moved: the timeline says where to
        lat, lon = fix.latitude, fix.longitude
        facts = EntryFacts(
            reason=EntryReason.location,
            serial=who,
            latitude=lat,
            longitude=lon,
            accuracy_m=fix.accuracy_m,
            fix_source=fix.source,
        )
        effects = effects.line(
            Line("location", f"device {who}", f"{lat:.5f}, {lon:.5f}", facts=facts)
        )
    return effects.then(lambda i: screens_told(routing, i))


def camera_back(
    routing: Routing,
    incident: IncidentState,
    serial: str,
    silent_seconds: int | None,
    state: str | None,
) -> Effects:
    """A camera reported silent is heard again: its outage's incident says so."""
    gap = f" after {silent_seconds} s" if silent_seconds is not None else ""
    detail = f"camera {serial} heard again{gap} ({state or 'no state given'})"
    facts = EntryFacts(
        reason=EntryReason.camera_back, serial=serial, seconds=silent_seconds, state=state
    )
    line = Line("camera_back", SYSTEM, detail, facts=facts)
    return Effects(incident).line(line).then(lambda i: screens_told(routing, i))


def police_unreached(
    routing: Routing, incident: IncidentState, phone: str | None, deadline_missed: bool
) -> Effects:
    """A police request that reached nobody (or that 112 left past its deadline) is texted to
    the duty phone; with none, the line says to call 112 (and the administrators are told)."""
    why = (
        "112 did not accept the police request in time"
        if deadline_missed
        else "no 112 screen or 112 system took the police request"
    )
    effects = Effects(incident)
    if phone:
        effects = replace(effects, sends=(Send(Recipient.police, FALLBACK_CHANNEL, "escalation"),))
        detail = f"{why}; texted to the duty phone {phone}"
    else:
        detail = (
            f"{why}, and no duty phone is set (SAFEWATCH_POLICE_DUTY_PHONE or the police "
            "station's phone): call 112"
        )
    reason = (
        EntryReason.police_not_in_time if deadline_missed else EntryReason.police_reached_nobody
    )
    facts = EntryFacts(reason=reason, phone=phone or None)
    effects = effects.line(Line(POLICE_UNREACHED, detail=detail, facts=facts))
    return effects.then(lambda i: screens_told(routing, i))


def shown_on_connect(incident: IncidentState, recipient: Recipient) -> Effects:
    """In-app alerts that found no screen open were shown when one connected."""
    facts = EntryFacts(reason=EntryReason.shown_on_connect, channel="in_app")
    detail = "in_app: shown when a screen connected"
    return Effects(incident).line(
        Line("delivered", detail=detail, recipient=recipient, facts=facts)
    )
