from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from safewatch.api.deps import STAFF, SessionDep, allow
from safewatch.cases.measures import LEVEL_MEASURES, MeasureKind
from safewatch.cases.risk import CHECKLIST, AssessmentError, RiskLevel, suggest_level
from safewatch.core.errors import Invalid
from safewatch.core.roles import Role
from safewatch.schemas.cases import (
    AssessmentIn,
    AssessmentPublic,
    AssessmentResult,
    QuestionPublic,
)
from safewatch.schemas.common import Schema
from safewatch.services import cases, measures
from safewatch.services.context import Caller

router = APIRouter(tags=["risk assessment"])


@router.get("/risk/checklist")
def checklist(_caller: Annotated[Caller, allow(*STAFF)]) -> list[QuestionPublic]:
    return [QuestionPublic.model_validate(q) for q in CHECKLIST]


class SuggestionIn(Schema):
    answers: dict[str, bool]


class SuggestionPublic(Schema):
    score: int
    level: RiskLevel
    required_measures: list[MeasureKind]


@router.post("/risk/suggestion")
def suggestion(_caller: Annotated[Caller, allow(*STAFF)], data: SuggestionIn) -> SuggestionPublic:
    """What the checklist suggests, before the officer decides (the form shows it live)."""
    try:
        suggested = suggest_level(data.answers)
    except AssessmentError as exc:
        raise Invalid(str(exc)) from exc
    return SuggestionPublic(
        score=suggested.score,
        level=suggested.level,
        required_measures=sorted(LEVEL_MEASURES[suggested.level]),
    )


@router.post("/cases/{case_id}/assessments", status_code=201)
def assess(
    session: SessionDep,
    caller: Annotated[Caller, allow(Role.admin, Role.officer)],
    case_id: uuid.UUID,
    data: AssessmentIn,
) -> AssessmentResult:
    """Score the checklist; the officer's decided level sets the required measures."""
    case = cases.get_case(session, caller, case_id, "risk assessed", manage=True)
    assessment, plan = measures.assess(session, caller, case, data)
    assert case.review_due_on is not None
    return AssessmentResult(
        assessment=AssessmentPublic.model_validate(assessment),
        risk_level=data.decided_level,
        review_due_on=case.review_due_on,
        missing_measures=sorted(plan.missing),
        no_longer_required=sorted(plan.no_longer_required),
    )


@router.get("/cases/{case_id}/assessments")
def list_assessments(
    session: SessionDep, caller: Annotated[Caller, allow(*STAFF)], case_id: uuid.UUID
) -> list[AssessmentPublic]:
    case = cases.get_case(session, caller, case_id, "assessments viewed")
    return [AssessmentPublic.model_validate(a) for a in measures.list_assessments(session, case)]
