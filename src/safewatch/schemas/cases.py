"""The case file: persons, offenders, orders, assessments, measures."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from safewatch.cases.measures import MeasureKind, MeasureStatus
from safewatch.cases.risk import RiskLevel
from safewatch.schemas.common import Name, Phone, Schema, Text

Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=400)]


class HouseholdMemberIn(Schema):
    full_name: Name
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    phone: Phone | None = None


class HouseholdMemberPublic(HouseholdMemberIn):
    id: uuid.UUID


class ProtectedPersonIn(Schema):
    full_name: Name
    phone: Phone
    email: str | None = None
    address: Address
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    language: Annotated[str, StringConstraints(pattern="^(ko|en)$")] = "ko"
    household: list[HouseholdMemberIn] = Field(default_factory=list, max_length=30)


class ProtectedPersonUpdate(Schema):
    """Only the fields given are changed; ``household`` replaces the whole list."""

    full_name: Name | None = None
    phone: Phone | None = None
    email: str | None = None
    address: Address | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    language: Annotated[str, StringConstraints(pattern="^(ko|en)$")] | None = None
    household: list[HouseholdMemberIn] | None = Field(None, max_length=30)


class ProtectedPersonPublic(Schema):
    id: uuid.UUID
    full_name: str
    phone: str
    email: str | None
    address: str | None = Field(
        description="Hidden (null) from the security company: it gets the address with each "
        "incident it must respond to."
    )
    latitude: float | None
    longitude: float | None
    language: str
    user_id: uuid.UUID | None
    household: list[HouseholdMemberPublic]


class ProtectionOrderIn(Schema):
    kind: Name
    issued_by: Name
    starts_on: date
    ends_on: date
    keep_away_metres: int | None = Field(None, ge=0, le=100_000)
    conditions: Text = ""

    @model_validator(mode="after")
    def verify_dates(self) -> ProtectionOrderIn:
        if self.ends_on < self.starts_on:
            raise ValueError("the order cannot end before it starts")
        return self


class ProtectionOrderPublic(Schema):
    id: uuid.UUID
    kind: str
    issued_by: str
    starts_on: date
    ends_on: date
    keep_away_metres: int | None
    conditions: str


class OffenderIn(Schema):
    full_name: Name
    description: Text = ""
    birth_year: int | None = Field(None, ge=1900, le=2100)
    relation_to_victim: str | None = Field(None, max_length=60)
    order: ProtectionOrderIn | None = None


class OffenderUpdate(Schema):
    full_name: Name | None = None
    description: Text | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)
    relation_to_victim: str | None = Field(None, max_length=60)


class PhotoPublic(Schema):
    id: uuid.UUID
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


class AllowedPersonIn(Schema):
    """A household member or carer the camera should know (never a stranger alert)."""

    full_name: Name
    relation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class AllowedPersonPublic(AllowedPersonIn):
    id: uuid.UUID
    photos: list[PhotoPublic]


class OffenderPublic(Schema):
    id: uuid.UUID
    full_name: str
    description: str
    birth_year: int | None
    relation_to_victim: str | None
    orders: list[ProtectionOrderPublic]
    photos: list[PhotoPublic]


class CaseCreate(Schema):
    protected_person: ProtectedPersonIn
    police_station_id: uuid.UUID | None = Field(
        None, description="Defaults to the officer's own station."
    )
    support_centre_id: uuid.UUID | None = None
    security_company_id: uuid.UUID | None = None
    protected_user_id: uuid.UUID | None = Field(
        None, description="The protected person's own login, if they have one."
    )
    summary: Text = ""
    offender: OffenderIn | None = None


class CaseUpdate(Schema):
    support_centre_id: uuid.UUID | None = None
    security_company_id: uuid.UUID | None = None
    officer_id: uuid.UUID | None = None
    caseworker_id: uuid.UUID | None = None
    summary: Text | None = None
    closed: bool | None = None
    proximity_radius_m: int | None = Field(
        None,
        ge=100,
        le=20_000,
        description="How near the offender's electronic monitor may come to her places "
        "(null: the hub's setting).",
    )


class MeasurePublic(Schema):
    id: uuid.UUID
    kind: MeasureKind
    status: MeasureStatus
    required_since: datetime
    in_place_since: datetime | None
    ended_at: datetime | None
    note: str


class MeasureChange(Schema):
    status: MeasureStatus
    note: Text = ""


class MeasureAdd(Schema):
    kind: MeasureKind
    note: Text = ""


class CaseSummary(Schema):
    id: uuid.UUID
    reference: str
    person_name: str
    risk_level: RiskLevel | None
    review_due_on: date | None
    reassessment_due: str | None
    missing_measures: list[MeasureKind]
    closed_at: datetime | None


class CasePublic(Schema):
    id: uuid.UUID
    reference: str
    created_at: datetime
    risk_level: RiskLevel | None
    review_due_on: date | None
    reassessment_due: str | None
    police_station_id: uuid.UUID
    support_centre_id: uuid.UUID | None
    security_company_id: uuid.UUID | None
    officer_id: uuid.UUID | None
    caseworker_id: uuid.UUID | None
    summary: str
    closed_at: datetime | None
    proximity_radius_m: int | None = None
    protected_person: ProtectedPersonPublic
    offenders: list[OffenderPublic]
    measures: list[MeasurePublic]
    missing_measures: list[MeasureKind]


class AssessmentIn(Schema):
    answers: dict[str, bool]
    decided_level: RiskLevel
    override_reason: Text | None = None
    trigger: Annotated[str, StringConstraints(max_length=200)] = "assessment"


class AssessmentPublic(Schema):
    id: uuid.UUID
    created_at: datetime
    answers: dict[str, bool]
    score: int
    suggested_level: RiskLevel
    decided_level: RiskLevel
    override_reason: str | None
    trigger: str
    assessed_by: uuid.UUID


class AssessmentResult(Schema):
    assessment: AssessmentPublic
    risk_level: RiskLevel
    review_due_on: date
    missing_measures: list[MeasureKind]
    no_longer_required: list[MeasureKind]


class QuestionPublic(Schema):
    key: str
    weight: int
    text_ko: str
    text_en: str
    critical: bool


class GuidancePublic(Schema):
    level: RiskLevel | None
    language: str
    items: list[str]
