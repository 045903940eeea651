"""The 112 registry: a dispatcher finds a registered protected person by the calling number."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from safewatch.cases.measures import MeasureKind, MeasureStatus
from safewatch.core.errors import Invalid
from safewatch.models import Agency, Case, Measure, ProtectedPerson
from safewatch.services.context import Caller


def phone_digits(phone: str) -> str:
    """Digits in national form: '+82 10-1234-5678' and '010-1234-5678' are the same number."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("82"):
        digits = "0" + digits[2:]
    return digits


def _stored_digits() -> ColumnElement[str]:
    col: ColumnElement[str] = ProtectedPerson.phone.expression
    for ch in ("-", " ", "+", "(", ")"):
        col = func.replace(col, ch, "")
    return col


def lookup(session: Session, caller: Caller, phone: str) -> list[tuple[Case, Agency]]:
    digits = phone_digits(phone)
    if len(digits) < 6:
        raise Invalid("give the caller's full phone number")
    forms = {digits, "82" + digits[1:]} if digits.startswith("0") else {digits}
    registered = select(Measure.case_id).where(
        Measure.kind == MeasureKind.emergency_line_registration,
        Measure.status == MeasureStatus.in_place,
    )
    rows = session.execute(
        select(Case, Agency)
        .join(ProtectedPerson, ProtectedPerson.id == Case.protected_person_id)
        .join(Agency, Agency.id == Case.police_station_id)
        .where(
            _stored_digits().in_(forms),
            Case.closed_at.is_(None),
            Case.id.in_(registered),
        )
    )
    found = [(case, station) for case, station in rows]
    caller.record(
        session,
        "read",
        "registry",
        digits[-4:],  # the audit shows which call, without storing the number in full
        f"112 look-up at {datetime.now(UTC):%H:%M:%S}, {len(found)} match(es)",
    )
    for case, _ in found:
        caller.record(session, "read", "case", case.id, "112 registry match", case.id)
    return found
