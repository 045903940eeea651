"""The face commands: eval faces, eval pairs, faces check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

eval_app = typer.Typer(help="Measure recognition on labelled photos.", no_args_is_help=True)
faces_app = typer.Typer(help="Face enrolment.", no_args_is_help=True)


@eval_app.command("faces")
def eval_faces(
    folder: Annotated[
        Path, typer.Argument(help="One folder of photos per person.", exists=True, file_okay=False)
    ],
    far: Annotated[float, typer.Option(help="Target false-match rate.")] = 1e-3,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Enrol up to 3 photos per person, probe with the rest; open-set cross-validation of the
    live scoring beside the former one and the plain pipeline, and the closed-set figures."""
    from safewatch.core.progress import meter
    from safewatch.vision.faces.enrol import Enroller
    from safewatch.vision.faces.evaluate import count_photos, evaluate_folders

    with meter("photos", count_photos(folder), quiet=as_json) as step:
        evaluation = evaluate_folders(folder, Enroller(), step=step)
    result = evaluation.points(far)
    typer.echo(json.dumps(result) if as_json else json.dumps(result, indent=2))


@eval_app.command("pairs")
def eval_pairs(
    pairs: Annotated[Path, typer.Argument(help="pairs.txt in the LFW View-2 format.")],
    images: Annotated[Path, typer.Option(help="Folder with Name/Name_NNNN.jpg.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """10-fold accuracy (mean ± std) and TAR at FAR 1e-3."""
    from safewatch.core.progress import meter
    from safewatch.vision.faces.enrol import Enroller
    from safewatch.vision.faces.pairs import evaluate_pairs, read_pairs

    try:
        _, listed = read_pairs(pairs, images)
        with meter(
            "images", len({p for pair in listed for p in (pair.a, pair.b)}), quiet=as_json
        ) as step:
            result = evaluate_pairs(pairs, images, Enroller(), step)
    except (OSError, ValueError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result) if as_json else json.dumps(result, indent=2))


@eval_app.command("video")
def eval_video(
    clips: Annotated[list[Path], typer.Argument(help="Video clips to analyse.")],
    watchlist: Annotated[
        Path,
        typer.Option(
            help="Folder of photo folders of people who are not in the clips.",
            exists=True,
            file_okay=False,
        ),
    ],
    present: Annotated[
        str | None, typer.Option(help="A listed person who is in the clips (timed, not false).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Passers-by named as an offender per hour of video (with its 95 % upper bound), how
    close the nearest came, and how soon a person who is present is named."""
    from safewatch.core.progress import meter
    from safewatch.vision.faces.lists import face_stage_from_folders
    from safewatch.vision.faces.video_eval import evaluate_video
    from safewatch.vision.source import SourceError

    try:
        stage = face_stage_from_folders(watchlist, None)
        assert stage is not None
        if present is not None and present not in stage.lists.matcher.names:
            raise ValueError(f"--present {present}: nobody of that name was enrolled")
        with meter("clips", len(clips), quiet=as_json) as step:
            result = evaluate_video(clips, stage, step).report(present)
    except (SourceError, ValueError) as exc:  # a clip that does not open, nobody enrolled
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result) if as_json else json.dumps(result, indent=2))


@faces_app.command("check")
def faces_check(
    photos: Annotated[list[Path], typer.Argument(help="Photos to check for enrolment.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What enrolment would say about each photo."""
    from safewatch.vision.faces.enrol import Enroller

    enroller = Enroller()
    refused = 0
    for photo in photos:
        check = enroller.check_file(photo)
        refused += not check.accepted
        q = check.quality
        line = {
            "photo": str(photo),
            "accepted": check.accepted,
            "reasons": check.reasons,
            "face_px": round(q.size) if q else None,
            "sharpness": round(q.sharpness, 1) if q else None,
        }
        if as_json:
            typer.echo(json.dumps(line, ensure_ascii=False))
        else:
            verdict = "accepted" if check.accepted else "refused: " + "; ".join(check.reasons)
            typer.echo(f"{photo}: {verdict}")
    if refused:
        raise typer.Exit(1)
