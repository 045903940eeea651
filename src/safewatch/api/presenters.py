"""Turning case records into the API's shapes (computed fields included)."""

from __future__ import annotations

from safewatch.core.roles import Role
from safewatch.models import Case, Incident
from safewatch.schemas.cases import (
    CasePublic,
    CaseSummary,
    MeasurePublic,
    OffenderPublic,
    ProtectedPersonPublic,
)
from safewatch.schemas.incidents import IncidentSummary
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


# Who sees where the protected person lives, on the case itself. The security company is
# given the address with each incident it must respond to (the incident packet), not the
# standing record of where a victim lives.
SEES_ADDRESS = frozenset({Role.admin, Role.officer, Role.caseworker, Role.protected_person})


def _person(case: Case, role: Role) -> ProtectedPersonPublic:
    person = ProtectedPersonPublic.model_validate(case.protected_person)
    if role in SEES_ADDRESS:
        return person
    return person.model_copy(update={"address": None, "latitude": None, "longitude": None})


def case_public(case: Case, role: Role) -> CasePublic:
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
        proximity_radius_m=case.proximity_radius_m,
        protected_person=_person(case, role),
        offenders=[OffenderPublic.model_validate(o) for o in case.offenders],
        measures=[MeasurePublic.model_validate(m) for m in case.measures],
        missing_measures=missing_measures(case),
    )


def incident_summary(
    incident: Incident, keeps: bool = True, victim: bool = False
) -> IncidentSummary:
    """The incident; for a reader whose time with its personal data is over, without whom a
    camera recognised, a position, or a person's own words (``keeps_personal_data``); for the
    protected person, without where an offender's monitor is (``IncidentFacts.for_victim``)."""
    summary = IncidentSummary.model_validate(incident)
    if victim and summary.facts:
        summary = summary.model_copy(update={"facts": summary.facts.for_victim()})
    if keeps:
        return summary
    facts = summary.facts.without_personal_data() if summary.facts else None
    return summary.model_copy(update={"summary": incident.type.replace("_", " "), "facts": facts})
