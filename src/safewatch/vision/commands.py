"""The camera commands of the ``safewatch`` CLI: camera run, analyze, site init."""

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

SiteOption = Annotated[Path, typer.Option("--site", help="The site YAML file.", exists=False)]


def site_or_exit(path: Path) -> SiteConfig:
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
    config = site_or_exit(site)
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

    config = site_or_exit(site)
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

    config = site_or_exit(site)
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

    config = site_or_exit(site)
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
