"""``safewatch bench camera`` and ``safewatch bench chain`` (registered by the CLI package):
the camera worker's benchmarks, kept out of the worker's own package."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from safewatch.vision.commands import site_or_exit


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
        from safewatch.demo.bench_region import NodeShape, bench_region

        shape = NodeShape(blur, one_stream, offender, busy_video)
        result = bench_region(video, cameras, busy_share, seconds, shape)
    else:
        from safewatch.demo.bench_camera import bench_camera

        result = bench_camera(video, site_or_exit(site) if site else None, blur)
    if as_json:
        typer.echo(json.dumps(result))
        return
    for key, value in result.items():
        typer.echo(f"{key:<42} {value}")


SHARED = Path("../shared/data")


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
