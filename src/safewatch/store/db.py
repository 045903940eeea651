"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
_AFTER_COMMIT = "safewatch.after_commit"
_HOLDS_WRITER = "safewatch.holds_writer"
WRITER_WAIT_SECONDS = 30.0  # as SQLite's busy timeout


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, start transactions (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # SQLite lets one transaction write at a time. Threads of this process queue for it on
    # a lock that wakes the next one the moment it is free; SQLite's own busy handler would
    # have them sleep and poll (up to 100 ms between tries), leaving the database idle while
    # requests wait. Other processes still meet SQLite's lock and its busy timeout.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        info = conn.connection.info
        if not info.get(_HOLDS_WRITER):
            if not writer.acquire(timeout=WRITER_WAIT_SECONDS):
                raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked"))
            info[_HOLDS_WRITER] = True
        try:
            # Every use case may append to the audit chain: take the write lock up front so
            # two transactions never read the same chain head (a deferred one would fail on
            # upgrade).
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    # The transaction is over when its connection goes back to the pool (committed or
    # rolled back) or is thrown away.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        _release(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exc: Any) -> None:
        _release(record.info)


def first_of_replicas(session: Session, job: int) -> bool:
    """For scheduled work every hub replica runs (silent-watch sweeps): True in the one
    transaction that may do ``job`` now; the others skip it. PostgreSQL's
    transaction-scoped advisory lock, released by the commit. SQLite has one hub process."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": job}))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One use case, one transaction: commit on success, roll back on any error."""
    with factory() as session:
        with session.begin():
            yield session
        run_after_commit(session)


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has committed (never if it rolls back):
    whatever tells the world of a change must not run before the change is durable."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def run_after_commit(session: Session) -> None:
    """Called by whoever committed. A failing callback is logged: the commit stands."""
    run_steps(take_after_commit(session))


def take_after_commit(session: Session) -> list[Callable[[], None]]:
    """The steps waiting for this commit, for whoever will run them (``run_steps``)."""
    steps: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    return steps


def run_steps(steps: list[Callable[[], None]]) -> None:
    for step in steps:
        try:
            step()
        except Exception:
            log.exception("after-commit step failed")


def discard_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
