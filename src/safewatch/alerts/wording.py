"""What leaves the hub for a person's phone — a text message, a lock-screen notification — in
the region's language, worded from the incident's facts with the screens' own words
(``words/``: one place for every word a person reads). Mirrors ``sw.said`` in common.js."""

from __future__ import annotations

from safewatch.incidents.facts import IncidentFacts, IncidentKind
from safewatch.schemas.alerts import AlertPacket, PacketIncident
from safewatch.words import Lang
from safewatch.words.common import WORDS


def word(key: str, lang: Lang, **params: object) -> str:
    return WORDS[key][lang].format(**params)


def describe(facts: IncidentFacts, lang: Lang) -> str:
    """One line: what happened and where (the zone people named), from its facts."""
    what = word(f"type.{facts.kind.value}", lang)
    if facts.kind is IncidentKind.sos:
        parts = [word(f"describe.sos.{facts.source.value}", lang)]
        if facts.duress:
            parts.append(word("describe.duress", lang))
        if facts.latitude is not None and facts.longitude is not None:
            where = {"latitude": f"{facts.latitude:.5f}", "longitude": f"{facts.longitude:.5f}"}
            parts.append(word("describe.at", lang, **where))
        else:
            parts.append(word("describe.no_location", lang))
    elif facts.kind is IncidentKind.proximity:
        parts = [proximity_line(facts, lang)]
    elif facts.kind is IncidentKind.watch_silent:
        parts = [word("describe.watch_silent", lang, serial=facts.serial, minutes=facts.minutes)]
    elif facts.kind is IncidentKind.manual:
        parts = [f"{what}: {facts.text}" if facts.text else what]
    elif facts.kind is IncidentKind.camera_offline and facts.serial:
        minutes = max(1, round((facts.seconds or 0) / 60))
        parts = [word("describe.camera_silent", lang, serial=facts.serial, minutes=minutes)]
    elif facts.zone:
        parts = [word("describe.in_zone", lang, zone=facts.zone, what=what)]
    elif facts.camera:
        parts = [word("describe.by_camera", lang, camera=facts.camera, what=what)]
    else:
        parts = [what]
    if facts.battery is not None:
        parts.append(word("describe.battery", lang, battery=facts.battery))
    return " · ".join(parts)


def distance(metres: int, lang: Lang) -> str:
    if metres >= 1000:
        return word("dist.km", lang, km=f"{metres / 1000:.1f}")
    return word("dist.m", lang, m=metres)


def proximity_line(facts: IncidentFacts, lang: Lang) -> str:
    """How near the offender's monitor is (and, for the staff, where he is)."""
    place = word(f"loc.place.{facts.near.value}", lang) if facts.near else ""
    line = word(
        "describe.proximity", lang, place=place, distance=distance(facts.distance_m or 0, lang)
    )
    if facts.latitude is not None and facts.longitude is not None:
        at = {"latitude": f"{facts.latitude:.5f}", "longitude": f"{facts.longitude:.5f}"}
        line += " · " + word("describe.offender_at", lang, **at)
    return line


def incident_line(incident: PacketIncident, lang: Lang) -> str:
    """A packet's incident in words, from its facts; an older row without facts by its type
    alone. Never its summary: a text message may be read by anyone holding the phone, and
    the summary names whom a camera recognised (the offender)."""
    if incident.facts is None:
        return word(f"type.{incident.type.value}", lang)
    return describe(incident.facts, lang)


def sms_text(packet: AlertPacket, recipient: str, lang: Lang) -> str:
    """The protected person is told what happened; the duty phone, a police request that no
    112 screen or system took, with who and where."""
    what, reference = incident_line(packet.incident, lang), packet.incident.reference
    if recipient != "police":
        return word("sms.alert", lang, what=what, reference=reference)
    person = packet.protected_person
    return word(
        "sms.police_request",
        lang,
        what=what,
        reference=reference,
        name=person.name if person else "",
        address=person.address if person else "",
        phone=person.phone if person else "",
    )


def lock_screen(packet: AlertPacket, lang: Lang) -> tuple[str, str]:
    """Title and body: no names, no place (anyone may see a lock screen)."""
    urgent = packet.incident.severity == "critical"
    return word("title", lang), word("push.urgent" if urgent else "push.attention", lang)
