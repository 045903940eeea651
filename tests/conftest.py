"""Test set-up: a real database (SQLite file or a fresh PostgreSQL database) migrated with the
real migrations, emptied between tests, and the real app on top.

SAFEWATCH_TEST_DATABASE=sqlite (default) or postgresql chooses the engine; `make test` runs both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from safewatch.api.app import create_app
from safewatch.core.config import Settings
from safewatch.services.enrolment import Enrolment, FaceTemplates
from safewatch.store import migrate
from safewatch.store.base import Base
from safewatch.store.db import make_engine, make_session_factory
from tests.live import LiveHub
from tests.world import World

PG_SERVER = os.environ.get("SAFEWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ENGINE_KIND = os.environ.get("SAFEWATCH_TEST_DATABASE", "sqlite")
# The PostgreSQL pass runs the whole suite in cluster mode: alerts over the real NATS.
BUS_URL = os.environ.get("SAFEWATCH_TEST_BUS_URL", "memory://")


# Camera and face tests that use none of these run once, in the SQLite pass: the PostgreSQL
# pass is for what the database and the bus change.
DB_FIXTURES = {"engine", "session_factory", "world", "client", "live_hub", "database_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        worker_side = item.nodeid.startswith(("tests/vision/", "tests/faces/"))
        if worker_side and not DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db_free)


def pytest_report_header() -> str:
    return f"safewatch database under test: {ENGINE_KIND}; bus: {BUS_URL}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ENGINE_KIND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'safewatch.db'}"
        return
    if ENGINE_KIND != "postgresql":
        raise pytest.UsageError("SAFEWATCH_TEST_DATABASE is sqlite or postgresql")
    name = f"safewatch_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise pytest.UsageError(
            f"PostgreSQL is not reachable at {PG_SERVER}: {exc}. Start it with "
            "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'"
        ) from exc
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # TRUNCATE, not DELETE (a tenth of the time): rows written after a DELETE reuse
            # freed space, so a query without ORDER BY comes back in another order.
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",  # type: ignore[arg-type]
        database_url=database_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-0123456789",
        bus_url=BUS_URL,
    )


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    _empty(engine)
    yield make_session_factory(engine)


class AnyPhoto:
    """Accepts every photo with a vector derived from its bytes."""

    def vector(self, data: bytes) -> np.ndarray:
        rng = np.random.default_rng(abs(hash(data)) % 2**32)
        v = rng.normal(size=128).astype(np.float32)
        return v / np.linalg.norm(v)


class Clock:
    """A clock the test moves: deadlines fall due when the test says so."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(
    settings: Settings, session_factory: sessionmaker[Session], clock: Clock
) -> Iterator[TestClient]:
    app = create_app(settings, session_factory, clock)
    # Face models are slow to load: API tests that are not about faces accept any photo;
    # tests/faces checks real photos through the real enrolment.
    app.state.enrolment = Enrolment(
        AnyPhoto(), FaceTemplates(settings.template_dir, app.state.keys)
    )
    with TestClient(app) as c:
        # API tests drive the alert dispatcher by hand (tests/test_incidents.py: _settle), so
        # what they read is never half-way through a background pass.
        app.state.alerting.dispatcher.close()
        app.state.retention.close()  # tests run the purge by hand (tests/test_retention.py)
        yield c


@pytest.fixture
def world(session_factory: sessionmaker[Session], client: TestClient) -> World:
    return World.build(session_factory, client)


@pytest.fixture
def camera_secret(world: World) -> str:
    """The device credential of a camera installed for side a's case."""
    return world.device("camera", "CAM-A1")


@pytest.fixture(scope="session")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve seconds of real surveillance video (vtest.avi) as H.264, for tests of the
    whole chain that need a database too (so they run in both passes, unlike tests/vision)."""
    from tests.vision.conftest import transcode, vtest_path

    source = vtest_path()
    if source is None:
        pytest.skip("vtest.avi is not here: run scripts/fetch-test-video.sh var/testdata/vtest.avi")
    return transcode(source, tmp_path_factory.mktemp("video") / "camera.mp4", seconds=12)


@pytest.fixture
def live_hub(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[LiveHub]:
    hub = LiveHub(settings, session_factory)
    hub.start()
    yield hub
    if hub.server is not None and not hub.server.should_exit:
        hub.stop()
