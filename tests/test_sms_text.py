"""What a text message says (issue 23, point 6): the protected person's phone may be held by
anyone, so a text names what happened and where, never whom a camera recognised — not from
the incident's facts, and not from its English summary (which names him) when an older
incident has no facts."""

from __future__ import annotations

from datetime import UTC, datetime

from safewatch.alerts.wording import sms_text
from safewatch.incidents.facts import IncidentFacts, IncidentKind, SignalSource
from safewatch.schemas.alerts import AlertPacket
from tests.live import alert_packet

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NAME = "Oh Taeseok"


def _packet(facts: IncidentFacts | None) -> AlertPacket:
    return alert_packet(summary=f"offender recognised at the door (CAM-1): {NAME}", facts=facts)


def test_a_text_never_names_the_offender() -> None:
    facts = IncidentFacts(
        kind=IncidentKind.offender_recognized,
        source=SignalSource.camera,
        camera="door",
        zone="front door",
        identity=NAME,
    )
    for packet in (_packet(facts), _packet(None)):  # with facts, and an older row without
        for lang in ("ko", "en"):
            for recipient in ("victim", "police"):
                text = sms_text(packet, recipient, lang)
                assert NAME not in text and "Oh" not in text, text
                assert "INC-2026-0007" in text
    assert "front door" in sms_text(_packet(facts), "victim", "en")
