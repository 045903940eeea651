"""The ``safewatch`` command."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.config import Environment, Settings, get_settings
from safewatch.core.roles import Role
from safewatch.demo.bench_commands import bench_alerts_command, bench_cluster_command
from safewatch.models import Case, Device
from safewatch.store import migrate
from safewatch.store.db import make_engine, make_session_factory, transaction
from safewatch.vision.commands import analyze_command, bench_app, camera_app, site_app
from safewatch.vision.faces.commands import eval_app, faces_app

app = typer.Typer(help="Safewatch: protection of crime victims.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
evidence_app = typer.Typer(help="Incident evidence packages: export, verify.", no_args_is_help=True)
keys_app = typer.Typer(
    help="The data keys that seal face photos and templates.", no_args_is_help=True
)
demo_app = typer.Typer(
    help="The whole alert chain, timed (no sub-command), or the demo region (seed).",
    invoke_without_command=True,
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(evidence_app, name="evidence")
app.add_typer(demo_app, name="demo")
app.add_typer(camera_app, name="camera")
app.add_typer(site_app, name="site")
app.add_typer(bench_app, name="bench")
app.command("analyze")(analyze_command)
app.add_typer(eval_app, name="eval")
app.add_typer(faces_app, name="faces")


def _settings() -> Settings:
    try:
        settings = get_settings()
    except ValueError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Bring the database schema up to date (creates it when empty)."""
    settings = _settings()
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

    settings = _settings()
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

    settings = _settings()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        unlocked = accounts.unlock(session, username)
    if not unlocked:
        typer.secho(f"'{username}' is not locked", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"unlocked '{username.strip().lower()}'")


@app.command()
def purge() -> None:
    """Delete what retention says is due now (the hub also does it every hour): snapshots and
    clips past the retention period unless held as evidence, templates of ended orders."""
    from datetime import UTC, datetime

    from safewatch.services.enrolment import FaceTemplates
    from safewatch.services.retention import purge as run_purge
    from safewatch.store.clips import make_clip_store
    from safewatch.store.sealing import key_ring_for

    settings = _settings()
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
        f"templates (each in the audit trail)"
    )


@evidence_app.command("export")
def evidence_export(
    reference: Annotated[str, typer.Argument(help="The incident's reference (INC-…).")],
    reason: Annotated[str, typer.Option(help="Why it is exported (audited).")],
    out: Annotated[Path, typer.Option(help="The zip to write.")] = Path("."),
    originals: Annotated[
        bool, typer.Option(help="With the unblurred snapshots and clips (for the police).")
    ] = False,
) -> None:
    """An incident's evidence package, from the command line (audited as the system)."""
    from datetime import UTC, datetime

    from safewatch.models import Case, Incident
    from safewatch.services import evidence
    from safewatch.services.context import system_record
    from safewatch.store import signing
    from safewatch.store.clips import make_clip_store
    from safewatch.store.sealing import key_ring_for

    settings = _settings()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        incident = session.scalar(select(Incident).where(Incident.reference == reference))
        if incident is None:
            typer.secho(f"no incident {reference}", fg="red", err=True)
            raise typer.Exit(1)
        case = session.get(Case, incident.case_id)
        assert case is not None
        package = evidence.build(
            session,
            make_clip_store(settings),
            signing.load_or_create(settings.evidence_key_file),
            incident,
            case,
            "command line",
            reason,
            datetime.now(UTC),
            key_ring_for(settings, create=False) if originals else None,
        )
        system_record(
            session,
            "export",
            "incident",
            incident.id,
            f"evidence exported{' with unblurred originals' if originals else ''} "
            f"(manifest sha256 {package.manifest_sha256}): {reason}"[:300],
        )
    target = out / package.name if out.is_dir() else out
    target.write_bytes(package.data)
    typer.echo(f"{target}: manifest sha256 {package.manifest_sha256}")


@evidence_app.command("verify")
def evidence_verify(
    package: Path,
    public_key: Annotated[
        Path | None,
        typer.Option(help="The hub's public key (PEM) the package must be signed with."),
    ] = None,
) -> None:
    """Check an evidence package: every file against the signed manifest. Exits 1 and names
    each file changed, added or removed."""
    from safewatch.services import evidence
    from safewatch.store import signing

    trusted = signing.load_public(public_key.read_bytes()) if public_key else None
    result = evidence.verify(package, trusted)
    if result.ok:
        typer.echo(
            f"evidence intact: incident {result.incident}, {result.files} files, signed by key "
            f"{result.signed_by}, manifest sha256 {result.manifest_sha256}"
        )
        if trusted is None:
            typer.echo("(give --public-key to require the hub's own key)")
        return
    typer.secho(f"evidence NOT intact ({package}):", fg="red", err=True)
    for problem in result.problems:
        typer.secho(f"  {problem}", fg="red", err=True)
    raise typer.Exit(1)


@evidence_app.command("public-key")
def evidence_public_key() -> None:
    """The hub's evidence public key (PEM), to hand to whoever checks packages."""
    from safewatch.store import signing

    key = signing.load_or_create(_settings().evidence_key_file).public_key()
    typer.echo(signing.public_pem(key), nl=False)
    typer.secho(f"fingerprint {signing.fingerprint(key)}", err=True)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """A new data key: every face photo and template sealed again with it, the old keys dropped.
    A backup made before needs the old key file: keep that with the backup."""
    from safewatch.services import keys

    settings = _settings()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    try:
        done = keys.rotate(settings, factory)
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    retired = ", ".join(done.retired) or "none"
    typer.echo(f"data key {done.new_key} seals from now on; {done.files} files sealed again")
    typer.echo(f"retired: {retired}")


@keys_app.command("secret")
def keys_secret() -> None:
    """A new SAFEWATCH_SECRET_KEY (48 random bytes): it signs sign-ins' media links, so it
    must be secret and the same on every hub replica."""
    from safewatch.core.config import new_secret

    typer.echo(new_secret())


@keys_app.command("status")
def keys_status() -> None:
    """The key ring and how many files each key sealed (plain: written before sealing)."""
    from collections import Counter

    from safewatch.store.sealing import is_sealed, key_id_of, key_ring_for

    settings = _settings()
    try:
        ring = key_ring_for(settings, create=False)
    except (ValueError, FileNotFoundError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    count: Counter[str] = Counter()
    for folder in (settings.photo_dir, settings.template_dir):
        for path in folder.glob("[!.]*") if folder.is_dir() else []:
            blob = path.read_bytes()
            count[key_id_of(blob) if is_sealed(blob) else "plain"] += 1
    for key_id in ring.keys:
        mark = " (current)" if key_id == ring.current else ""
        typer.echo(f"{key_id}{mark}: {count.pop(key_id, 0)} files")
    for other, n in sorted(count.items()):
        typer.echo(f"{other}: {n} files" + (" (not on the ring!)" if other != "plain" else ""))


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exits 1 and names the entries if any were edited or removed."""
    from safewatch.store import audit

    settings = _settings()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with factory() as session:
        report = audit.verify(session)
    if report.ok:
        typer.echo(f"audit chain intact: {report.entries} entries")
        return
    typer.secho(f"audit chain BROKEN ({report.entries} entries read):", fg="red", err=True)
    for problem in report.problems:
        typer.secho(f"  - {problem}", fg="red", err=True)
    raise typer.Exit(1)


SHARED_VIDEO = Path("../shared/data/video")
HAMILTON = SHARED_VIDEO / "face_recognition_short_hamilton_clip.mp4"


@demo_app.callback()
def demo_chain(
    ctx: typer.Context,
    video: Annotated[
        Path | None,
        typer.Option(help="Video the camera plays (default: the shared face clip, else vtest)."),
    ] = None,
    enrol: Annotated[
        Path | None, typer.Option(help="The offender's enrolment photo (recognition demo).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each step.")] = 120.0,
    json_out: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """Hub + camera worker + a simulated phone and console: recognition (or intrusion) →
    alert → clip → SOS → guards and police → resolved, each step timed."""
    if ctx.invoked_subcommand is not None:
        return
    from safewatch.demo.chain import ChainError, run_chain

    if video is None:
        if HAMILTON.is_file():
            video = HAMILTON
            enrol = enrol or next(SHARED_VIDEO.glob(f"{HAMILTON.stem}.enrol_*.png"), None)
        else:
            video = Path("var/testdata/vtest.avi")
    if not video.is_file():
        typer.echo(f"no video at {video} (make run fetches var/testdata/vtest.avi)", err=True)
        raise typer.Exit(2)
    name = enrol.stem.split(".enrol_")[-1].replace("_", " ").title() if enrol else "Offender"
    import logging

    # The worker's event log would bury the report.
    logging.basicConfig(level=logging.ERROR)
    try:
        report = run_chain(video, enrol, name, timeout)
    except ChainError as exc:
        typer.echo(f"demo failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    result = report.as_dict()
    if json_out:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    typer.echo(f"video: {result['video']} (recognition: {'on' if report.recognition else 'off'})")
    for step in result["steps"]:
        typer.echo(f"{step['ms_from_trigger']:>10.1f} ms  {step['step']}  {step['detail']}")
    for key, value in result["figures"].items():
        typer.echo(f"{key}: {value}")


PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"  # this machine's, for the cluster tools
NATS_LOCAL = "nats://127.0.0.1:4222"
bench_app.command("alerts")(bench_alerts_command)
bench_app.command("cluster")(bench_cluster_command)


@app.command("cluster-demo")
def cluster_demo(
    postgres: Annotated[str, typer.Option(help="PostgreSQL server.")] = PG_SERVER,
    nats_url: Annotated[str, typer.Option("--nats", help="NATS URL.")] = NATS_LOCAL,
    video: Annotated[Path, typer.Option(help="Recording the two demo cameras play.")] = Path(
        "var/testdata/vtest.avi"
    ),
) -> None:
    """Cluster mode on this machine: 2 hub replicas (PostgreSQL, NATS) on ports 8001 and
    8002 and 2 camera workers publishing to JetStream, until interrupted."""
    from safewatch.demo.cluster import DATABASE, ClusterDemo

    if not video.is_file():
        typer.secho(f"no recording at {video} (make run fetches one)", fg="red", err=True)
        raise typer.Exit(2)
    demo = ClusterDemo(postgres, nats_url, video)
    typer.echo(f"fresh database {DATABASE} on {postgres}; NATS {nats_url}")
    demo.prepare()
    try:
        demo.start(typer.echo)
        typer.echo("demo logins as for make run; Ctrl-C stops everything")
        demo.watch(typer.echo)
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo region (agencies, one user per role, a few cases)."""
    _seed_demo(_settings(), quiet=False)


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


def _seed_demo(settings: Settings, quiet: bool) -> bool:
    from safewatch.demo import seed as demo

    if settings.environment is Environment.production:
        typer.secho(
            "refusing to seed the demo region in production: its accounts have a published "
            "password",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    with transaction(factory) as session:
        if demo.is_seeded(session):
            if not quiet:
                typer.echo("the demo region is already there")
            return False
        logins = demo.seed(session)
    typer.echo("demo region seeded. Sign in with (password for all: " + demo.DEMO_PASSWORD + "):")
    for login in logins:
        typer.echo(f"  {login.username:<11} {login.role.value}")
    return True


def _start_demo_camera(settings: Settings, video: Path, hub_url: str) -> None:
    import logging

    from safewatch.demo import camera

    if not video.is_file():
        typer.echo(f"demo camera off: no recording at {video} (make run fetches one)")
        return
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    secret = camera.issue_demo_credential(factory)
    if secret is None:
        typer.echo("demo camera off: the demo region has no installed camera")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    site = camera.write_site(settings.data_dir / "demo", video, hub_url)
    camera.start_demo_camera(site, secret)
    typer.echo(f"demo camera 'front' at demo-home plays {video} (site file {site})")
    enrol = next(SHARED_VIDEO.glob(f"{HAMILTON.stem}.enrol_*.png"), None)
    if not HAMILTON.is_file() or enrol is None:
        typer.echo(f"demo door camera off: no face video with an enrolment photo at {HAMILTON}")
        return
    door_secret = camera.issue_demo_credential(factory, camera.DOOR_CAMERA_SERIAL)
    if door_secret is None:
        typer.echo("demo door camera off: no camera installed at the door (an older demo region)")
        return
    door = camera.write_door_site(
        settings.data_dir / "demo-door", HAMILTON, hub_url, enrol, _demo_offender(factory)
    )
    camera.start_demo_camera(door, door_secret, camera.DOOR_SECRET_ENV)
    typer.echo(f"demo camera 'door' recognises the offender in {HAMILTON} (site file {door})")


def _demo_offender(factory: sessionmaker[Session]) -> str:
    from safewatch.demo import camera

    with factory() as session:
        device = session.scalar(select(Device).where(Device.serial == camera.DOOR_CAMERA_SERIAL))
        case = session.get(Case, device.case_id) if device and device.case_id else None
        return case.offenders[0].full_name if case and case.offenders else "Offender"


@app.command()
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
    from safewatch.core.config import (
        DEFAULT_SECRET_KEY,
        api_docs,
        development_key_exposed,
        proxy_options,
    )
    from safewatch.core.runtime import tune_for_alerts
    from safewatch.demo.server import SHUTDOWN_GRACE

    settings = _settings()
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
        if not _seed_demo(settings, quiet=True):
            from safewatch.demo.seed import DEMO_PASSWORD, DEMO_USERS

            users = ", ".join(u for u, *_ in DEMO_USERS)
            typer.echo(f"demo logins: {users} (password: {DEMO_PASSWORD})")
    for folder in (settings.photo_dir, settings.clip_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if settings.environment is Environment.production:
        _refuse_published_passwords(settings)
    if demo or settings.seed_demo:
        _start_demo_camera(settings, demo_video, f"http://{host}:{port}")
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
