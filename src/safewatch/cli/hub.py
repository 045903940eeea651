"""The hub's commands: its database schema, accounts, the retention purge, and serving."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from safewatch.cli.common import settings_or_exit
from safewatch.cli.demo import seed_demo, start_demo_camera
from safewatch.core.config import Environment, Settings
from safewatch.core.roles import Role
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the database schema up to date (creates it when empty)."""
    settings = settings_or_exit()
    migrate.upgrade(settings.sqlalchemy_url, revision)
    typer.echo(f"database at {revision}: {_redacted(settings.sqlalchemy_url)}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[Role, typer.Option(help="The person's role.")],
    full_name: Annotated[str, typer.Option(help="Name shown to others.")],
    agency: Annotated[str | None, typer.Option(help="Agency name (staff roles).")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Read from a prompt when not given.", envvar="SAFEWATCH_NEW_PASSWORD"),
    ] = None,
) -> None:
    """Create a person's account."""
    from safewatch.core.errors import SafewatchError
    from safewatch.models import Agency
    from safewatch.schemas.people import UserCreate
    from safewatch.services import accounts
    from safewatch.services.context import system_record

    settings = settings_or_exit()
    if password is None:
        password = getpass.getpass("password: ")
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    try:
        with transaction(factory) as session:
            agency_id = None
            if agency is not None:
                agency_id = session.scalar(select(Agency.id).where(Agency.name == agency))
                if agency_id is None:
                    raise SafewatchError(f"no agency named '{agency}'")
            user = accounts.create_user(
                session,
                UserCreate(
                    username=username,
                    full_name=full_name,
                    password=password,
                    role=role,
                    agency_id=agency_id,
                ),
            )
            system_record(session, "create", "user", user.id, "account created from the CLI")
    except SafewatchError as exc:
        typer.secho(exc.message, fg="red", err=True)
        raise typer.Exit(1) from exc
    except ValueError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {role.value} '{user.username}'")


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """End the lock after repeated failed sign-ins (once the person was identified)."""
    from safewatch.services import accounts

    settings = settings_or_exit()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        unlocked = accounts.unlock(session, username)
    if not unlocked:
        typer.secho(f"'{username}' is not locked", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"unlocked '{username.strip().lower()}'")


def purge() -> None:
    """Delete what retention says is due now (the hub also does it every hour): snapshots and
    clips past the retention period unless held as evidence, templates of ended orders."""
    from datetime import UTC, datetime

    from safewatch.services.enrolment import FaceTemplates
    from safewatch.services.retention import purge as run_purge
    from safewatch.store.clips import make_clip_store
    from safewatch.store.sealing import key_ring_for

    settings = settings_or_exit()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    templates = FaceTemplates(settings.template_dir, key_ring_for(settings))
    done = run_purge(
        factory,
        make_clip_store(settings),
        templates,
        settings.clip_retention_days,
        datetime.now(UTC),
    )
    typer.echo(
        f"deleted {done.snapshots} snapshots, {done.clips} clips and {done.templates} face "
        f"templates, and the positions of {done.positions} incidents or people (each in the "
        "audit trail)"
    )


def _refuse_published_passwords(settings: Settings) -> None:
    """A production hub does not start while any account still has the demo's published
    password (seeded before the environment was set, or copied from a test database)."""
    from safewatch.demo.seed import published_password_accounts

    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        exposed = published_password_accounts(session)
    if exposed:
        typer.secho(
            "refusing to serve in production: these active accounts have the demo's published "
            f"password: {', '.join(exposed)}. Disable them or change their passwords "
            "('safewatch user …').",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    demo: Annotated[bool, typer.Option(help="Migrate and seed the demo region first.")] = False,
    demo_video: Annotated[
        Path, typer.Option(help="Recording the demo camera plays (with --demo).")
    ] = Path("var/testdata/vtest.avi"),
) -> None:
    """Run the hub."""
    import uvicorn

    from safewatch.api.app import create_app
    from safewatch.core.config import DEFAULT_SECRET_KEY
    from safewatch.core.runtime import tune_for_alerts
    from safewatch.core.serving import api_docs, development_key_exposed, proxy_options
    from safewatch.demo.server import SHUTDOWN_GRACE

    settings = settings_or_exit()
    host, port = host or settings.host, port or settings.port
    if development_key_exposed(settings, host):
        typer.secho(
            f"refusing to serve on {host}: SAFEWATCH_SECRET_KEY is the published development "
            "key, with which anyone can sign a link to any clip (police-only originals too). "
            "Set a secret ('safewatch keys secret') or listen on 127.0.0.1.",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    if settings.secret_key == DEFAULT_SECRET_KEY:
        typer.secho(
            "WARNING: the development secret key is in use — media links can be forged by "
            "anyone who can reach this hub. Never use this configuration with real people's "
            "data.",
            fg="yellow",
            err=True,
        )
    if demo and settings.environment is Environment.production:
        typer.secho(
            "refusing --demo in production: the demo accounts have a published password",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    if demo or settings.seed_demo:
        migrate.upgrade(settings.sqlalchemy_url)
        if not seed_demo(settings, quiet=True):
            from safewatch.demo.seed import DEMO_PASSWORD, DEMO_USERS

            users = ", ".join(u for u, *_ in DEMO_USERS)
            typer.echo(f"demo logins: {users} (password: {DEMO_PASSWORD})")
    for folder in (settings.photo_dir, settings.clip_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if settings.environment is Environment.production:
        _refuse_published_passwords(settings)
    if demo or settings.seed_demo:
        start_demo_camera(settings, demo_video, f"http://{host}:{port}")
    docs = f"  (API docs: http://{host}:{port}/docs)" if api_docs(settings) else ""
    typer.echo(f"Safewatch hub on http://{host}:{port}{docs}")
    sys.stdout.flush()
    app = create_app(settings)
    tune_for_alerts()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        **proxy_options(settings)._asdict(),
    )
