from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import STAFF, SessionDep, allow
from safewatch.cases.measures import MeasureKind
from safewatch.schemas.cases import MeasureAdd, MeasureChange, MeasurePublic
from safewatch.services import cases, measures
from safewatch.services.context import Caller

router = APIRouter(prefix="/cases/{case_id}/measures", tags=["measures"])
Manager = Annotated[Caller, allow(*STAFF)]


@router.post("", status_code=201)
def add_measure(
    session: SessionDep, caller: Manager, case_id: uuid.UUID, data: MeasureAdd
) -> MeasurePublic:
    """Add a measure open to anyone at risk (security-company first response)."""
    case = cases.get_case(session, caller, case_id, "measure added", manage=True)
    return MeasurePublic.model_validate(
        measures.add_optional_measure(session, caller, case, data.kind, data.note)
    )


@router.patch("/{kind}")
def change_measure(
    session: SessionDep,
    caller: Manager,
    case_id: uuid.UUID,
    kind: MeasureKind,
    data: MeasureChange,
) -> MeasurePublic:
    """Move a measure along required → in place → ended; 'in place' needs its evidence."""
    case = cases.get_case(session, caller, case_id, "measure changed", manage=True)
    return MeasurePublic.model_validate(
        measures.change_measure(session, caller, case, kind, data.status, data.note)
    )
