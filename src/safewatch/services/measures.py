"""Risk assessments and the measures they require."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from safewatch.cases import risk
from safewatch.cases.measures import (
    OPTIONAL_MEASURES,
    ActiveMeasure,
    MeasureError,
    MeasureKind,
    MeasurePlan,
    MeasureStatus,
    check_transition,
    plan_measures,
)
from safewatch.core.errors import Conflict, Invalid
from safewatch.models import Case, Device, Measure, PatrolPlan, RelocationStep, RiskAssessment, Stay
from safewatch.models.resources import DeviceKind, StepStatus
from safewatch.schemas.cases import AssessmentIn
from safewatch.services.context import Caller


def active_measures(case: Case) -> list[ActiveMeasure]:
    return [
        ActiveMeasure(m.kind, m.status)
        for m in case.measures
        if m.status is not MeasureStatus.ended
    ]


def _live(case: Case, kind: MeasureKind) -> Measure | None:
    for m in case.measures:
        if m.kind is kind and m.status is not MeasureStatus.ended:
            return m
    return None


def apply_level(
    session: Session, case: Case, level: risk.RiskLevel | None, why: str
) -> MeasurePlan:
    """Set the case's level and bring its measures in line: add what is now required,
    end what was required and no longer is. Measures in place beyond the level stay
    until staff end them (a watch is collected, not switched off remotely)."""
    plan = plan_measures(level, active_measures(case))
    now = datetime.now(UTC)
    for kind in sorted(plan.to_require):
        measure = Measure(
            case_id=case.id, kind=kind, status=MeasureStatus.required, required_since=now
        )
        session.add(measure)
        case.measures.append(measure)
    for kind in plan.to_cancel:
        cancelled = _live(case, kind)
        assert cancelled is not None
        cancelled.status, cancelled.ended_at = MeasureStatus.ended, now
        cancelled.note = f"no longer required: {why}"
    case.risk_level = level
    session.flush()
    return plan


def assess(
    session: Session, caller: Caller, case: Case, data: AssessmentIn
) -> tuple[RiskAssessment, MeasurePlan]:
    try:
        suggestion = risk.suggest_level(data.answers)
        risk.check_decision(suggestion.level, data.decided_level, data.override_reason)
    except risk.AssessmentError as exc:
        raise Invalid(str(exc)) from exc
    assessment = RiskAssessment(
        case_id=case.id,
        answers=dict(data.answers),
        score=suggestion.score,
        suggested_level=suggestion.level,
        decided_level=data.decided_level,
        override_reason=data.override_reason if data.decided_level != suggestion.level else None,
        trigger=data.trigger,
        assessed_by=caller.user_id,
    )
    session.add(assessment)
    previous = case.risk_level
    plan = apply_level(
        session, case, data.decided_level, f"level {previous} → {data.decided_level}"
    )
    case.review_due_on = risk.review_due(data.decided_level, datetime.now(UTC).date())
    case.reassessment_reason = None
    session.flush()
    caller.record(session, "create", "risk_assessment", assessment.id, "risk assessed", case.id)
    return assessment, plan


def _count(session: Session, model: type[Any], *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _evidence_missing(session: Session, case: Case, kind: MeasureKind) -> str | None:
    """Why a measure cannot be called 'in place' yet, or None when it can."""
    match kind:
        case MeasureKind.emergency_line_registration:
            return None if case.protected_person.phone else "the person has no phone number"
        case MeasureKind.patrol_plan:
            n = _count(
                session, PatrolPlan, PatrolPlan.case_id == case.id, PatrolPlan.active.is_(True)
            )
            return None if n else "there is no active patrol plan for this case"
        case MeasureKind.smartwatch:
            n = _count(
                session, Device, Device.case_id == case.id, Device.kind == DeviceKind.smartwatch
            )
            return None if n else "no smartwatch is assigned"
        case MeasureKind.ai_cctv:
            n = _count(session, Device, Device.case_id == case.id, Device.kind == DeviceKind.camera)
            return None if n else "no AI camera is assigned"
        case MeasureKind.safe_accommodation:
            n = _count(session, Stay, Stay.case_id == case.id, Stay.check_out.is_(None))
            return None if n else "the person has no current safe-accommodation stay"
        case MeasureKind.relocation_support:
            n = _count(
                session,
                RelocationStep,
                RelocationStep.case_id == case.id,
                RelocationStep.status != StepStatus.cancelled,
            )
            return None if n else "no relocation support step is planned"
        case MeasureKind.security_first_response:
            return None if case.security_company_id else "no security company is assigned"
    return None


def change_measure(
    session: Session,
    caller: Caller,
    case: Case,
    kind: MeasureKind,
    status: MeasureStatus,
    note: str,
) -> Measure:
    measure = _live(case, kind)
    if measure is None:
        raise Conflict(f"the case has no open '{kind}' measure")
    try:
        check_transition(kind, measure.status, status)
    except MeasureError as exc:
        raise Conflict(str(exc)) from exc
    now = datetime.now(UTC)
    if status is MeasureStatus.in_place:
        missing = _evidence_missing(session, case, kind)
        if missing:
            raise Conflict(f"'{kind}' cannot be marked in place: {missing}")
        measure.in_place_since = now
    else:
        measure.ended_at = now
    measure.status = status
    if note:
        measure.note = note
    session.flush()
    caller.record(session, "update", "measure", measure.id, f"{kind} → {status}", case.id)
    return measure


def add_optional_measure(
    session: Session, caller: Caller, case: Case, kind: MeasureKind, note: str
) -> Measure:
    if kind not in OPTIONAL_MEASURES:
        raise Invalid(f"'{kind}' follows from the risk level; change the level to require it")
    if _live(case, kind) is not None:
        raise Conflict(f"the case already has an open '{kind}' measure")
    measure = Measure(case_id=case.id, kind=kind, status=MeasureStatus.required, note=note)
    session.add(measure)
    case.measures.append(measure)
    session.flush()
    caller.record(session, "create", "measure", measure.id, f"{kind} added", case.id)
    return measure


def list_assessments(session: Session, case: Case) -> list[RiskAssessment]:
    return list(
        session.scalars(
            select(RiskAssessment)
            .where(RiskAssessment.case_id == case.id)
            .order_by(RiskAssessment.created_at.desc())
        )
    )
