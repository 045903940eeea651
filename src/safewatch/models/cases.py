"""The case file: protected person, offender, protection order, assessments and measures."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safewatch.cases.access import CaseScope
from safewatch.cases.engagement import Drift
from safewatch.cases.measures import MeasureKind, MeasureStatus
from safewatch.cases.risk import RiskLevel
from safewatch.incidents.facts import SosFeedback
from safewatch.incidents.location import FixSource
from safewatch.store.base import Base, CreatedMixin, IdMixin, text_enum, utcnow


class ProtectedPerson(IdMixin, CreatedMixin, Base):
    __tablename__ = "protected_person"

    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(5), default="ko")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # Where her phone or watch last said she was: what an offender's monitor is measured
    # against while it is fresh (issue 23, point 4). As sensitive as the home address.
    last_latitude: Mapped[float | None] = mapped_column(Float)
    last_longitude: Mapped[float | None] = mapped_column(Float)
    last_accuracy_m: Mapped[float | None] = mapped_column(Float)
    last_fix_source: Mapped[FixSource | None] = mapped_column(text_enum(FixSource))
    last_fix_at: Mapped[datetime | None]
    app_opened_at: Mapped[datetime | None]  # her app last asked for her case (within an hour)
    sos_feedback: Mapped[SosFeedback] = mapped_column(
        text_enum(SosFeedback), default=SosFeedback.silent, server_default="silent"
    )

    household: Mapped[list[HouseholdMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="HouseholdMember.full_name"
    )


class HouseholdMember(IdMixin, Base):
    __tablename__ = "household_member"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("protected_person.id", ondelete="CASCADE")
    )
    full_name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str | None] = mapped_column(String(40))


class Case(IdMixin, CreatedMixin, Base):
    __tablename__ = "protection_case"

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    protected_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protected_person.id"))
    police_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    support_centre_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"))
    security_company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agency.id"))
    officer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    caseworker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    risk_level: Mapped[RiskLevel | None] = mapped_column(text_enum(RiskLevel))
    review_due_on: Mapped[date | None]
    # Set when something happened (an incident) that calls for a fresh assessment.
    reassessment_reason: Mapped[str | None] = mapped_column(String(300))
    closed_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    # How near the offender's electronic monitor may come to her places before a proximity
    # incident opens (None: the hub's setting).
    proximity_radius_m: Mapped[int | None]

    protected_person: Mapped[ProtectedPerson] = relationship(lazy="joined")
    offenders: Mapped[list[Offender]] = relationship(
        back_populates="case", lazy="selectin", order_by="Offender.created_at"
    )
    measures: Mapped[list[Measure]] = relationship(lazy="selectin", order_by="Measure.created_at")
    allowed_people: Mapped[list[AllowedPerson]] = relationship(
        lazy="selectin", order_by="AllowedPerson.created_at", cascade="all, delete-orphan"
    )

    @property
    def scope(self) -> CaseScope:
        return CaseScope(
            police_station_id=self.police_station_id,
            support_centre_id=self.support_centre_id,
            security_company_id=self.security_company_id,
            protected_user_id=self.protected_person.user_id,
        )

    def reassessment_due(self, today: date) -> str | None:
        """Why this case needs a new assessment now, or None."""
        if self.closed_at is not None:
            return None
        if self.risk_level is None:
            return "not yet assessed"
        if self.reassessment_reason:
            return self.reassessment_reason
        if self.review_due_on is not None and self.review_due_on <= today:
            return f"review date {self.review_due_on.isoformat()} reached"
        return None


class Offender(IdMixin, CreatedMixin, Base):
    __tablename__ = "offender"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    birth_year: Mapped[int | None]
    relation_to_victim: Mapped[str | None] = mapped_column(String(60))

    case: Mapped[Case] = relationship(back_populates="offenders")
    photos: Mapped[list[OffenderPhoto]] = relationship(lazy="selectin")
    orders: Mapped[list[ProtectionOrder]] = relationship(
        lazy="selectin", order_by="ProtectionOrder.starts_on"
    )


class PhotoFile:
    """A photo for face enrolment; the bytes live in the photo store, named by ``stored_name``."""

    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))


class OffenderPhoto(IdMixin, CreatedMixin, PhotoFile, Base):
    __tablename__ = "offender_photo"

    offender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offender.id"))


class AllowedPerson(IdMixin, CreatedMixin, Base):
    """Someone the camera must know as familiar (household member, carer): recognised, they
    never raise a stranger alert. Their photos become the site's allow list."""

    __tablename__ = "allowed_person"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(60))
    photos: Mapped[list[AllowedPersonPhoto]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )


class AllowedPersonPhoto(IdMixin, CreatedMixin, PhotoFile, Base):
    __tablename__ = "allowed_person_photo"

    allowed_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("allowed_person.id", ondelete="CASCADE")
    )


class ProtectionOrder(IdMixin, CreatedMixin, Base):
    __tablename__ = "protection_order"

    offender_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offender.id"))
    kind: Mapped[str] = mapped_column(String(80))  # e.g. restraining order, no-contact order
    issued_by: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    keep_away_metres: Mapped[int | None]
    conditions: Mapped[str] = mapped_column(Text, default="")

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class RiskAssessment(IdMixin, CreatedMixin, Base):
    __tablename__ = "risk_assessment"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    answers: Mapped[dict[str, bool]] = mapped_column(JSON)
    score: Mapped[int]
    suggested_level: Mapped[RiskLevel] = mapped_column(text_enum(RiskLevel))
    decided_level: Mapped[RiskLevel] = mapped_column(text_enum(RiskLevel))
    override_reason: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(200))
    assessed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))


class Measure(IdMixin, CreatedMixin, Base):
    __tablename__ = "measure"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"))
    kind: Mapped[MeasureKind] = mapped_column(text_enum(MeasureKind))
    status: Mapped[MeasureStatus] = mapped_column(text_enum(MeasureStatus))
    required_since: Mapped[datetime] = mapped_column(default=utcnow)
    in_place_since: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class CaseCounter(Base):
    """Per-region yearly counter for human-readable case references (JJ-2026-0001)."""

    __tablename__ = "case_counter"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(10))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class EngagementTask(IdMixin, CreatedMixin, Base):
    """A sign that the protected person is drifting away (``cases.engagement``): the
    caseworker's to-do until a person closes it with what was done."""

    __tablename__ = "engagement_task"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("protection_case.id"), index=True)
    kind: Mapped[Drift] = mapped_column(text_enum(Drift))
    subject: Mapped[str] = mapped_column(String(80), default="")  # a device's serial
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
