"""Turning case records into the API's shapes (computed fields included)."""

from __future__ import annotations

from safewatch.models import Case
from safewatch.schemas.cases import (
    CasePublic,
    CaseSummary,
    MeasurePublic,
    OffenderPublic,
    ProtectedPersonPublic,
)
from safewatch.services.cases import missing_measures, today


def case_summary(case: Case) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        reference=case.reference,
        person_name=case.protected_person.full_name,
        risk_level=case.risk_level,
        review_due_on=case.review_due_on,
        reassessment_due=case.reassessment_due(today()),
        missing_measures=missing_measures(case),
        closed_at=case.closed_at,
    )


def case_public(case: Case) -> CasePublic:
    return CasePublic(
        id=case.id,
        reference=case.reference,
        created_at=case.created_at,
        risk_level=case.risk_level,
        review_due_on=case.review_due_on,
        reassessment_due=case.reassessment_due(today()),
        police_station_id=case.police_station_id,
        support_centre_id=case.support_centre_id,
        security_company_id=case.security_company_id,
        officer_id=case.officer_id,
        caseworker_id=case.caseworker_id,
        summary=case.summary,
        closed_at=case.closed_at,
        protected_person=ProtectedPersonPublic.model_validate(case.protected_person),
        offenders=[OffenderPublic.model_validate(o) for o in case.offenders],
        measures=[MeasurePublic.model_validate(m) for m in case.measures],
        missing_measures=missing_measures(case),
    )
