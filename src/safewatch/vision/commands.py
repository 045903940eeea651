"""The camera commands of the ``safewatch`` CLI: camera run, analyze, bench camera, site init."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from safewatch.vision.config import SiteConfig, SiteFileError, load_site

camera_app = typer.Typer(help="Camera workers.", no_args_is_help=True)
site_app = typer.Typer(help="Site files.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)

SiteOption = Annotated[Path, typer.Option("--site", help="The site YAML file.", exists=False)]


def _site(path: Path) -> SiteConfig:
    try:
        return load_site(path)
    except SiteFileError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc


@camera_app.command("run")
def camera_run(site: SiteOption) -> None:
    """Run the live worker for one site's cameras until interrupted."""
    from safewatch.vision.worker import SiteWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = _site(site)
    try:
        worker = SiteWorker(config)
    except ValueError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"site {config.site}: {len(config.cameras)} camera(s); outbox {config.data_dir}")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        typer.echo("stopping")


@camera_app.command("status")
def camera_status(
    site: SiteOption,
    as_json: Annotated[bool, typer.Option("--json", help="The worker's report as JSON.")] = False,
) -> None:
    """What the site's worker says of each camera, and what could not be delivered."""
    from safewatch.vision import status
    from safewatch.vision.outbox import Outbox

    config = _site(site)
    report = status.read(config.data_dir)
    outbox = Outbox(config.data_dir / "outbox.db")
    try:
        quarantined, count = outbox.quarantined(limit=20), outbox.count_quarantined()
    finally:
        outbox.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "worker": report.model_dump(mode="json") if report else None,
                    "quarantined": [u.model_dump(mode="json") for u in quarantined],
                    "quarantined_count": count,
                }
            )
        )
        return
    for line in status.render(report, quarantined, count):
        typer.echo(line)


@camera_app.command("retry")
def camera_retry(site: SiteOption) -> None:
    """Send again what could not be delivered, once its cause is mended (a camera put back
    in the site file, a proxy's size limit raised). The running worker picks it up."""
    from safewatch.vision.outbox import Outbox

    config = _site(site)
    outbox = Outbox(config.data_dir / "outbox.db")
    try:
        n = outbox.retry_quarantined()
    finally:
        outbox.close()
    typer.echo(f"{n} item(s) queued again")


def analyze_command(
    video: Annotated[str, typer.Argument(help="A recorded video file (or a stream URL).")],
    site: SiteOption,
    watchlist: Annotated[
        Path | None, typer.Option(help="Folder of offender photo folders.")
    ] = None,
    allowlist: Annotated[
        Path | None, typer.Option(help="Folder of household photo folders.")
    ] = None,
    clips: Annotated[Path | None, typer.Option(help="Write event clips here.")] = None,
    camera: Annotated[str | None, typer.Option(help="Which camera of the site.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Run the camera pipeline over a recorded file as fast as the CPU allows."""
    from functools import partial

    from safewatch.core.progress import meter
    from safewatch.vision.analyze import analyze, json_line
    from safewatch.vision.faces.lists import face_stage_from_folders
    from safewatch.vision.ports import FaceStage
    from safewatch.vision.source import SourceError

    config = _site(site)
    stage: FaceStage | None
    try:
        if watchlist or allowlist:
            stage = face_stage_from_folders(watchlist, allowlist)
        else:
            from safewatch.vision.worker import site_face_stage

            stage = site_face_stage(config)
        frames = partial(meter, "frames", quiet=as_json)
        result = analyze(
            video, config, clip_dir=clips, camera=camera, face_stage=stage, meter=frames
        )
    except (SourceError, ValueError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    for line in result.lines():
        if as_json:
            typer.echo(json_line(line))
        else:
            where = f" in {line['zone']}" if line["zone"] else ""
            clip = f"  clip {line['clip']}" if line["clip"] else ""
            typer.echo(
                f"{line['t']:8.1f} s  {line['type']:<20} person {line['track']}{where}{clip}"
            )
    s = result.play
    summary = f"{s.frames} frames, {s.duration:.1f} s of video, {len(result.sink.events)} events"
    if s.bad_packets:
        summary += f", {s.bad_packets} undecodable packets skipped"
    if s.ended_by:
        summary += f"; stopped early: {s.ended_by}"
    typer.echo(summary, err=True)


@bench_app.command("camera")
def bench_camera_command(
    video: Annotated[Path, typer.Argument(help="A video to analyse.")],
    site: Annotated[Path | None, typer.Option(help="Site file; default: whole-view zones.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    blur: Annotated[
        bool, typer.Option("--blur/--no-blur", help="Blur bystanders' faces (the default).")
    ] = True,
    cameras: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="A node's worker with this many cameras over the real RTSP server, 1080p15 "
            "streams made from VIDEO (issue 21); without it, VIDEO analysed as fast as it goes.",
        ),
    ] = None,
    busy_share: Annotated[
        float, typer.Option(min=0, max=1, help="With --cameras: the share with people in view.")
    ] = 0.2,
    seconds: Annotated[
        float, typer.Option(min=5, help="With --cameras: each phase's length.")
    ] = 60,
    one_stream: Annotated[
        bool,
        typer.Option(
            "--one-stream", help="With --cameras: each camera's main stream alone, analysed."
        ),
    ] = False,
    offender: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            file_okay=False,
            help="With --cameras: a folder of one person's photos, enrolled as the offender "
            "every camera recognises, as a protected home's camera does.",
        ),
    ] = None,
    busy_video: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="With --cameras: the busy cameras' scene (default: VIDEO's), e.g. people "
            "walking up to the camera as at a home's door.",
        ),
    ] = None,
) -> None:
    """Frames/s analysed, real-time factor, CPU per video second, peak RSS, vs decode only."""
    if cameras is not None:
        from safewatch.vision.bench_region import NodeShape, bench_region

        shape = NodeShape(blur, one_stream, offender, busy_video)
        result = bench_region(video, cameras, busy_share, seconds, shape)
    else:
        from safewatch.vision.bench import bench_camera

        result = bench_camera(video, _site(site) if site else None, blur)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:<42} {value}")


@site_app.command("init")
def site_init(
    video: Annotated[Path, typer.Argument(help="A recording or snapshot source of the camera.")],
    out: Annotated[Path, typer.Option(help="Site file to write.")] = Path("site.yaml"),
    name: Annotated[str, typer.Option(help="Site name.")] = "my-home",
    at: Annotated[float, typer.Option(help="Seconds into the video for the snapshot.")] = 0.0,
) -> None:
    """Write a starter site file and a snapshot with a 10 % grid to draw zones on."""
    from safewatch.vision.site_init import init_site

    try:
        snapshot = init_site(video, out, name, at)
    except (OSError, ValueError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"wrote {out} and {snapshot}: draw zones as [x, y] fractions of the grid")
    sys.stdout.flush()


SHARED = Path("../shared/data")


@bench_app.command("chain")
def bench_chain_command(
    video: Annotated[Path, typer.Argument(help="Video the camera plays in real time.")] = Path(
        "var/testdata/vtest.avi"
    ),
    enrol: Annotated[
        Path | None,
        typer.Option(help="The offender's photo (default: the shared enrolment photo)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Trigger frame → victim's phone for every alert of a video, recognition and blur on."""
    from safewatch.demo.bench_chain import bench_chain

    logging.basicConfig(level=logging.ERROR)
    enrol = enrol or next((SHARED / "video").glob("*.enrol_*.png"), None)
    result = bench_chain(video, enrol)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:<30} {value}")
