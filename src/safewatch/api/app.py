"""The hub's FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from safewatch import __version__
from safewatch.alerts.hub import build_alerting
from safewatch.alerts.intake import EventIntake
from safewatch.alerts.stream_intake import StreamIntake
from safewatch.api import errors
from safewatch.api.deps import check_route_policies
from safewatch.api.edge import Edge
from safewatch.api.routes import (
    agencies,
    assessments,
    audit,
    auth,
    camera_events,
    camera_setup,
    cases,
    devices,
    engagement,
    evidence,
    fund,
    health,
    incidents,
    me,
    measures,
    monitor,
    push,
    registry,
    site_plan,
    sos,
    stats,
    stream,
    support,
    users,
)
from safewatch.api.stream_guard import StreamGuard
from safewatch.api.throttle import Throttle
from safewatch.bus.nats import NatsBus
from safewatch.core.config import Environment, Settings
from safewatch.core.serving import api_docs
from safewatch.services.enrolment import Enrolment, FaceEnrolment, FaceTemplates
from safewatch.services.retention import RetentionJob
from safewatch.store.base import utcnow
from safewatch.store.clips import make_clip_store
from safewatch.store.db import make_engine, make_session_factory
from safewatch.store.photos import LocalPhotoStore, SealedPhotoStore
from safewatch.store.sealing import key_ring_for
from safewatch.web import pages

API_PREFIX = "/api/v1"
ROUTERS = (
    auth,
    users,
    agencies,
    cases,
    assessments,
    measures,
    monitor,
    support,
    devices,
    camera_setup,
    fund,
    registry,
    audit,
    me,
    camera_events,
    incidents,
    sos,
    evidence,
    push,
    stream,
    stats,
    engagement,
    site_plan,
)


def api_routes() -> list[tuple[str, APIRoute]]:
    """Every route of the hub with its full path (FastAPI keeps included routers nested)."""
    prefixed = [(API_PREFIX, r) for m in ROUTERS for r in m.router.routes]
    prefixed += [("", r) for r in health.router.routes]
    return [(prefix + r.path, r) for prefix, r in prefixed if isinstance(r, APIRoute)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The alert dispatcher (and in cluster mode the event stream's consumer) runs while
    the hub serves (not in plain TestClient use)."""
    alerting = app.state.alerting
    alerting.dispatcher.start()
    app.state.retention.start()
    guard = asyncio.create_task(app.state.stream_guard.run(), name="stream guard")
    from_stream = None
    if isinstance(alerting.bus, NatsBus):  # cluster mode: camera events from JetStream too
        from_stream = StreamIntake(alerting.bus.connection, app.state.intake, alerting.bus)
        from_stream.start()
    try:
        yield
    finally:
        guard.cancel()
        if from_stream is not None:
            from_stream.close()
        app.state.retention.close()
        app.state.intake.close()  # publishes through the dispatcher: stop it first
        alerting.dispatcher.close()
        alerting.close()


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The hub; tests hand in their own session factory and a clock they control."""
    docs = api_docs(settings)
    app = FastAPI(
        title="Safewatch hub",
        version=__version__,
        description="Case management, alerts and dispatch for the protection of crime victims.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    app.state.settings = settings
    app.state.engine = session_factory.kw["bind"]
    app.state.session_factory = session_factory
    app.state.alerting = build_alerting(settings, session_factory, clock)
    app.state.throttle = Throttle(settings)
    app.state.stream_guard = StreamGuard(session_factory)
    app.state.keys = keys = key_ring_for(settings)
    app.state.photo_store = SealedPhotoStore(LocalPhotoStore(settings.photo_dir), keys)
    app.state.clip_store = make_clip_store(settings)
    alerting = app.state.alerting
    app.state.intake = EventIntake(
        session_factory, app.state.clip_store, alerting.routing, alerting.dispatcher, alerting.clock
    )
    app.state.enrolment = Enrolment(FaceEnrolment(), FaceTemplates(settings.template_dir, keys))
    app.state.retention = RetentionJob(
        session_factory,
        app.state.clip_store,
        app.state.enrolment.templates,
        settings.clip_retention_days,
        clock,
    )

    api = APIRouter(prefix=API_PREFIX)
    for module in ROUTERS:
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    # The consoles' map tiles, when the hub serves its own (no tile server in the region); a
    # tile not drawn is a 404, never a 500.
    settings.tiles_dir.mkdir(parents=True, exist_ok=True)
    app.mount("/tiles", StaticFiles(directory=settings.tiles_dir), name="tiles")
    errors.install(app)
    app.add_middleware(
        Edge,
        max_body=settings.max_request_bytes,
        https=settings.environment is Environment.production,
        tile_origin=settings.tile_origin,
    )
    check_route_policies(api_routes())
    return app
