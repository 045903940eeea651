"""Migrations from empty, both ways, and in step with the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from safewatch.store import migrate
from safewatch.store.base import Base
from safewatch.store.db import make_engine
from tests.conftest import ENGINE_KIND, PG_SERVER


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    if ENGINE_KIND == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"safewatch_mig_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_from_empty_matches_models(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        assert migrate.is_current(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_back(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    migrate.downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        assert migrate.is_current(engine)
    finally:
        engine.dispose()


def test_delivery_states_are_renamed_to_what_they_were(empty_url: str) -> None:
    """0010: an SMS file written ("sent") and a push service's or the 112 system's 2xx
    ("delivered") were accepted by a service; an in-app "delivered" stays delivered."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    migrate.upgrade(empty_url, "0009")
    before = {
        uuid.uuid4(): (channel, status)
        for channel, status in [
            ("sms", "sent"),
            ("web_push", "delivered"),
            ("webhook", "delivered"),
            ("in_app", "delivered"),
            ("in_app", "pending"),
        ]
    }
    delivery = sa.table(
        "delivery",
        *(sa.column(n, sa.Uuid()) for n in ("id", "incident_id")),
        *(sa.column(n, sa.String()) for n in ("recipient", "channel", "message", "status")),
        sa.column("attempts", sa.Integer()),
        *(sa.column(n, sa.DateTime(timezone=True)) for n in ("created_at", "next_attempt_at")),
    )
    engine = sa.create_engine(empty_url)  # SQLite: foreign keys not enforced on this engine
    at = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":  # only the deliveries matter here
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(
                delivery.insert(),
                [
                    {
                        "id": i,
                        "incident_id": uuid.uuid4(),
                        "recipient": "victim",
                        "channel": channel,
                        "message": "alert",
                        "status": status,
                        "attempts": 1,
                        "created_at": at,
                        "next_attempt_at": at,
                    }
                    for i, (channel, status) in before.items()
                ],
            )

        def statuses() -> set[str]:
            with engine.connect() as conn:
                rows = conn.execute(sa.select(delivery.c.channel, delivery.c.status))
                return {f"{c}:{s}" for c, s in rows}

        migrate.upgrade(empty_url)
        assert statuses() == {
            "sms:accepted",
            "web_push:accepted",
            "webhook:accepted",
            "in_app:delivered",
            "in_app:pending",
        }
        migrate.downgrade(empty_url, "0009")
        assert statuses() == {f"{c}:{s}" for c, s in before.values()}
    finally:
        engine.dispose()
