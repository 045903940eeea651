"""The consoles' queue: each open incident with who (the protected person), where (the area
of the home, not its full address), its case, who claimed it and its police request — what a
person triages by — in a few queries for the whole page; and the triage order (most severe
first, then what nobody has handled yet, then the newest)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from safewatch.incidents.lifecycle import ORDER, PoliceRequest
from safewatch.incidents.policy import SEVERITY_ORDER
from safewatch.models import Case, Incident, ProtectedPerson, User
from safewatch.services import police

# A token with a digit ends the area: the house number and what follows it (flat, floor).
_NUMBER = re.compile(r"\d")


def area_of(address: str) -> str:
    """The part of an address a list may show on a wall screen: the district and street or
    neighbourhood, without the house number ("제주시 연동 123-4" → "제주시 연동")."""
    words = []
    for word in address.replace(",", " ").split():
        if _NUMBER.search(word):
            break
        words.append(word)
    return " ".join(words) or "—"


class QueueFacts(NamedTuple):
    case_reference: str
    person_name: str
    area: str
    claimed_by_name: str | None
    police: PoliceRequest


def triage_order() -> list[Any]:
    """SQL order: the most severe type first (SOS and the offender recognised on top), then
    new before handled, then the newest."""
    severity = case(
        {kind: rank for rank, kind in enumerate(SEVERITY_ORDER)},
        value=Incident.type,
        else_=len(SEVERITY_ORDER),
    )
    state = case(
        {status.value: rank for rank, status in enumerate(ORDER)},
        value=Incident.status,
        else_=len(ORDER),
    )
    return [severity, state, Incident.created_at.desc()]


def queue_facts(session: Session, rows: Sequence[Incident]) -> dict[uuid.UUID, QueueFacts]:
    """What each row shows beside the incident itself: three queries for the page."""
    if not rows:
        return {}
    c, p = Case, ProtectedPerson
    homes = {
        r.id: r
        for r in session.execute(
            select(c.id, c.reference, p.full_name, p.address)
            .join(p, p.id == c.protected_person_id)
            .where(c.id.in_({i.case_id for i in rows}))
        )
    }
    claimers = {i.claimed_by for i in rows} - {None}
    names: dict[uuid.UUID, str] = {}
    if claimers:
        query = select(User.id, User.full_name).where(User.id.in_(claimers))
        names = {row.id: row.full_name for row in session.execute(query)}
    requests = police.requests_by_incident(session, rows)
    out = {}
    for i in rows:
        home = homes[i.case_id]
        out[i.id] = QueueFacts(
            case_reference=home.reference,
            person_name=home.full_name,
            area=area_of(home.address),
            claimed_by_name=names.get(i.claimed_by) if i.claimed_by else None,
            police=requests[i.id],
        )
    return out
