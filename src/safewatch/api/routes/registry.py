"""The 112 centre's look-up of a calling number."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from safewatch.api.deps import SessionDep, allow
from safewatch.cases.risk import RiskLevel
from safewatch.core.roles import Role
from safewatch.schemas.common import Schema
from safewatch.services import registry
from safewatch.services.cases import today
from safewatch.services.context import Caller

router = APIRouter(prefix="/registry", tags=["112 registry"])


class OffenderBrief(Schema):
    full_name: str
    description: str
    order_active: bool


class RegistryMatch(Schema):
    case_id: uuid.UUID
    reference: str
    person_name: str
    phone: str
    address: str
    latitude: float | None
    longitude: float | None
    risk_level: RiskLevel | None
    offenders: list[OffenderBrief]
    police_station: str
    police_station_phone: str | None


@router.get("/lookup")
def lookup(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.dispatcher, Role.admin)],
    phone: Annotated[str, Query(min_length=6, max_length=40)],
) -> list[RegistryMatch]:
    """Is the caller a registered protected person? Everything a dispatcher needs at once."""
    day = today()
    return [
        RegistryMatch(
            case_id=case.id,
            reference=case.reference,
            person_name=case.protected_person.full_name,
            phone=case.protected_person.phone,
            address=case.protected_person.address,
            latitude=case.protected_person.latitude,
            longitude=case.protected_person.longitude,
            risk_level=case.risk_level,
            offenders=[
                OffenderBrief(
                    full_name=o.full_name,
                    description=o.description,
                    order_active=any(order.active_on(day) for order in o.orders),
                )
                for o in case.offenders
            ],
            police_station=station.name,
            police_station_phone=station.phone,
        )
        for case, station in registry.lookup(session, caller, phone)
    ]
