"""What tells the world of a change runs only once the change is durable."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.roles import AgencyKind
from safewatch.models import Agency
from safewatch.store.db import on_commit, transaction


def _agency(name: str) -> Agency:
    return Agency(name=name, kind=AgencyKind.police_station, region="test")


def test_after_commit_steps_run_once_the_commit_stands(
    session_factory: sessionmaker[Session],
) -> None:
    seen: list[int] = []

    def seen_in_database() -> list[Agency]:
        with session_factory() as other:
            name = Agency.name == "Commit Test Station"
            return list(other.scalars(select(Agency).where(name)))

    with transaction(session_factory) as session:
        session.add(_agency("Commit Test Station"))
        on_commit(session, lambda: seen.append(len(seen_in_database())))
        assert seen == []  # not before the commit
    assert seen == [1]  # it ran, and the row was already visible to another session


def test_a_rolled_back_change_runs_no_after_commit_step(
    session_factory: sessionmaker[Session],
) -> None:
    seen: list[str] = []
    with pytest.raises(RuntimeError), transaction(session_factory) as session:
        session.add(_agency("Rollback Test Station"))
        on_commit(session, lambda: seen.append("published"))
        raise RuntimeError("the use case failed")
    assert seen == []
    with transaction(session_factory) as session:
        step_left = session.info.get("safewatch.after_commit")
        assert not step_left
        assert session.scalar(select(Agency).where(Agency.name == "Rollback Test Station")) is None


def test_a_failing_after_commit_step_does_not_undo_the_commit(
    session_factory: sessionmaker[Session],
) -> None:
    seen: list[str] = []

    def broken() -> None:
        raise OSError("the bus is down")

    with transaction(session_factory) as session:
        session.add(_agency("Failing Step Station"))
        on_commit(session, broken)
        on_commit(session, lambda: seen.append("second step ran"))
    assert seen == ["second step ran"]
    with transaction(session_factory) as session:
        assert session.scalar(select(Agency).where(Agency.name == "Failing Step Station"))
