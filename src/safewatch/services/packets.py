"""What each recipient is sent about an incident: enough to act, no more. The protected person
is not sent their own address; the security company and 112 get who, where, the risk level,
the offender's description, and signed links to the snapshot and clip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.alerts.lifecycle import Recipient
from safewatch.core.links import LinkSigner
from safewatch.models import CameraEventRecord, Case, Incident


def incident_packet(
    session: Session, incident: Incident, case: Case, recipient: Recipient, links: LinkSigner
) -> dict[str, Any]:
    events = session.scalars(
        select(CameraEventRecord)
        .where(CameraEventRecord.incident_id == incident.id)
        .order_by(CameraEventRecord.occurred_at)
    ).all()
    snap = next((e for e in reversed(events) if e.snapshot_name), None)
    clip = next((e for e in reversed(events) if e.clip_name), None)
    audience = recipient.value
    person = case.protected_person
    packet: dict[str, Any] = {
        "incident": {
            "id": str(incident.id),
            "reference": incident.reference,
            "type": incident.type,
            "severity": incident.severity,
            "summary": incident.summary,
            "status": incident.status.value,
            "police_status": incident.police_status.value,
            "outcome": incident.outcome.value if incident.outcome else None,
            "opened_at": incident.created_at.isoformat(),
            "last_signal_at": incident.last_signal_at.isoformat(),
            "guard_unit": incident.guard_unit,
        },
        "case": {"reference": case.reference, "risk_level": case.risk_level},
        "location": {
            "latitude": incident.latitude if incident.latitude is not None else person.latitude,
            "longitude": incident.longitude if incident.longitude is not None else person.longitude,
            "battery_percent": incident.battery_percent,
        },
        "snapshot_url": links.url(snap.id, "snapshot", audience) if snap else None,
        "clip_url": links.url(clip.id, "clip", audience) if clip else None,
        "clip_pending": clip is None and any(e.clip_error is None for e in events),
    }
    if recipient is not Recipient.victim:
        packet["protected_person"] = {
            "name": person.full_name,
            "phone": person.phone,
            "address": person.address,
        }
        packet["offenders"] = [
            {
                "name": o.full_name,
                "description": o.description,
                "relation": o.relation_to_victim,
                "birth_year": o.birth_year,
            }
            for o in case.offenders
        ]
    return packet
