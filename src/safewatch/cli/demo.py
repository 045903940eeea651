"""The demo: the whole alert chain timed, the demo region, cluster mode on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.cli.common import settings_or_exit
from safewatch.core.config import Environment, Settings
from safewatch.models import Case, Device
from safewatch.store.db import make_engine, make_session_factory, transaction

demo_app = typer.Typer(
    help="The whole alert chain, timed (no sub-command), or the demo region (seed).",
    invoke_without_command=True,
)
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
    seed_demo(settings_or_exit(), quiet=False)


def seed_demo(settings: Settings, quiet: bool) -> bool:
    from safewatch.demo import seed as demo
    from safewatch.demo.tiles import make_tiles
    from safewatch.store.base import utcnow

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
        demo.live_incidents(session, utcnow())
    make_tiles(settings.tiles_dir, *demo.MAP_BOX, demo.MAP_ZOOMS)
    typer.echo("demo region seeded. Sign in with (password for all: " + demo.DEMO_PASSWORD + "):")
    for login in logins:
        typer.echo(f"  {login.username:<11} {login.role.value}")
    return True


def start_demo_camera(settings: Settings, video: Path, hub_url: str) -> None:
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


@demo_app.command("monitor")
def demo_monitor(
    secret: Annotated[str, typer.Option(help="The offender's monitor's device credential.")],
    hub: Annotated[str, typer.Option(help="The hub's address.")] = "http://127.0.0.1:8000",
    track: Annotated[
        Path | None,
        typer.Option(help="A CSV track: seconds,latitude,longitude,accuracy_m."),
    ] = None,
    towards: Annotated[
        str | None,
        typer.Option(help="Instead of a track: walk from 5 km towards LAT,LON."),
    ] = None,
    speed: Annotated[float, typer.Option(help="Replay this many times faster.")] = 10.0,
) -> None:
    """Stand in for the electronic-monitoring centre: replay an offender's GPS track through
    the hub's monitor feed (each point with its own time and accuracy)."""
    from safewatch.demo.monitor_feed import approach, read_track, replay

    if track is not None:
        points = read_track(track)
    elif towards is not None:
        latitude, longitude = (float(x) for x in towards.split(","))
        points = approach(latitude, longitude)
    else:
        typer.secho("give --track FILE or --towards LAT,LON", fg="red", err=True)
        raise typer.Exit(2)
    answers = replay(hub, secret, points, speed, say=typer.echo)
    if any(a.status != 200 for a in answers):
        raise typer.Exit(1)
