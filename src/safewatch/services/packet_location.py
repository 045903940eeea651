"""Where a packet says to go (issue 23): the fix a phone or a watch sent, else the registered
home; a doubted fix also names the home and the safe accommodation for the staff."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from safewatch.incidents.facts import SignalSource
from safewatch.incidents.location import Fix, FixSource, Place, Trust, doubts
from safewatch.schemas.alerts import PacketLocation, PacketPlace

if TYPE_CHECKING:
    from safewatch.services.packets import CaseFacts, IncidentFacts

CARRIED = (SignalSource.phone, SignalSource.watch)  # their position moves with the person


def located(
    incident: IncidentFacts, case: CaseFacts, victim: bool, trust: Trust, now: datetime
) -> PacketLocation:
    """Where to go: the fix a phone or a watch sent, else the registered home (a camera, a
    bell and an officer's report are about the home). A fix that is coarse, stale or missing
    is doubted, and the staff's packets also name the home and the safe accommodation."""
    person = case.protected_person
    fix = None
    if incident.latitude is not None and incident.longitude is not None:
        fix = Fix(
            incident.latitude,
            incident.longitude,
            incident.location_accuracy_m,
            incident.location_source,
            incident.location_at,
        )
    if fix is None and incident.source not in CARRIED:
        return PacketLocation(
            latitude=person.latitude,
            longitude=person.longitude,
            battery_percent=incident.battery_percent,
            source=FixSource.fixed_address if person.latitude is not None else None,
        )
    doubted = doubts(fix, incident.last_signal_at, now, trust)
    also_at = []
    if doubted and not victim:
        also_at.append(
            PacketPlace(
                kind=Place.home,
                address=person.address,
                latitude=person.latitude,
                longitude=person.longitude,
            )
        )
        if case.stay_address:
            also_at.append(PacketPlace(kind=Place.safe_stay, address=case.stay_address))
    return PacketLocation(
        latitude=fix.latitude if fix else person.latitude,
        longitude=fix.longitude if fix else person.longitude,
        battery_percent=incident.battery_percent,
        accuracy_m=fix.accuracy_m if fix else None,
        source=fix.source if fix else None,
        fixed_at=fix.taken_at if fix else None,
        doubts=doubted,
        also_at=also_at,
    )
