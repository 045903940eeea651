"""The hot path's bulk insert stores what the ORM would have stored, on either engine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.roles import AgencyKind
from safewatch.models import Agency
from safewatch.store.base import table
from safewatch.store.bulk import insert_rows
from safewatch.store.db import transaction


def test_rows_read_back_as_the_orm_would_write_them(
    session_factory: sessionmaker[Session],
) -> None:
    given = uuid.uuid4()
    seoul = timezone(timedelta(hours=9))
    at = datetime(2026, 12, 1, 18, 30, 5, 123456, tzinfo=seoul)
    with transaction(session_factory) as session:
        insert_rows(
            session,
            table(Agency),
            [
                {
                    "id": given,
                    "created_at": at,
                    "name": "Bulk A",
                    "kind": AgencyKind.police_station,
                    "region": "jeju",
                    "phone": None,
                },
                {
                    "id": uuid.uuid4(),
                    "created_at": at,
                    "name": "Bulk B",
                    "kind": AgencyKind.security_company,
                    "region": "jeju",
                    "phone": "064-1",
                },
            ],
        )
    with session_factory() as session:
        a = session.get(Agency, given)
        assert a is not None
        assert (a.name, a.kind, a.region, a.phone) == (
            "Bulk A",
            AgencyKind.police_station,
            "jeju",
            None,
        )
        assert a.created_at == at and a.created_at.tzinfo is not None  # stored as UTC, aware
        b = session.scalar(select(Agency).where(Agency.name == "Bulk B"))
        assert b is not None and b.kind is AgencyKind.security_company and b.phone == "064-1"


def test_left_out_columns_take_their_python_defaults(
    session_factory: sessionmaker[Session],
) -> None:
    before = datetime.now(UTC)
    with transaction(session_factory) as session:
        insert_rows(
            session,
            table(Agency),
            [
                {"name": f"Default {k}", "kind": AgencyKind.support_centre, "region": "r"}
                for k in range(3)
            ],
        )
    with session_factory() as session:
        rows = list(session.scalars(select(Agency).where(Agency.name.like("Default %"))))
    assert len(rows) == 3
    assert len({r.id for r in rows}) == 3  # each row its own new id
    assert all(r.created_at >= before - timedelta(seconds=1) for r in rows)


def test_a_failing_row_rolls_back_the_whole_insert(session_factory: sessionmaker[Session]) -> None:
    row = {"name": "Twice", "kind": AgencyKind.police_station, "region": "r"}
    with pytest.raises(Exception, match=r"(?i)unique"), transaction(session_factory) as session:
        insert_rows(session, table(Agency), [row, dict(row)])
    with session_factory() as session:
        assert session.scalar(select(Agency).where(Agency.name == "Twice")) is None


def test_an_unknown_column_is_named(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(KeyError, match="agency has no column colour"), session_factory() as s:
        insert_rows(s, table(Agency), [{"name": "x", "colour": "red"}])
