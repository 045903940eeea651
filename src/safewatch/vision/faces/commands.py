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
    folder: Annotated[Path, typer.Argument(help="One folder of photos per person.")],
    far: Annotated[float, typer.Option(help="Target false-match rate.")] = 1e-3,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Enrol up to 3 photos per person, probe with the rest and with everyone else."""
    from safewatch.vision.faces.enrol import Enroller
    from safewatch.vision.faces.evaluate import evaluate_folders

    result = evaluate_folders(folder, Enroller()).points(far)
    typer.echo(json.dumps(result) if as_json else json.dumps(result, indent=2))


@eval_app.command("pairs")
def eval_pairs(
    pairs: Annotated[Path, typer.Argument(help="pairs.txt in the LFW View-2 format.")],
    images: Annotated[Path, typer.Option(help="Folder with Name/Name_NNNN.jpg.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """10-fold accuracy (mean ± std) and TAR at FAR 1e-3."""
    from safewatch.vision.faces.enrol import Enroller
    from safewatch.vision.faces.pairs import evaluate_pairs

    try:
        result = evaluate_pairs(pairs, images, Enroller())
    except (OSError, ValueError) as exc:
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
