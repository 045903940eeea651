"""The masked visitor on real video (issue 23, point 3; Daegu, June 2025: the offender came
masked past a face-recognition camera). vtest.avi's camera is far above the lawn: no face on
it is ever large enough to compare, as with a mask. With a face stage watching for an
offender, everyone who stays on the lawn past the zone's ``unidentified_seconds`` raises
``unidentified_person`` — once each, after their intrusion, never an offender alert."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safewatch.vision.analyze import analyze
from safewatch.vision.config import SiteConfig
from safewatch.vision.faces.lists import face_stage_from_folders

LAWN = Path(__file__).parent.parent / "data" / "vtest_lawn.yaml"
FACES = Path(__file__).parents[3] / "shared" / "data" / "faces" / "biden"


@pytest.mark.skipif(not FACES.is_dir(), reason=f"the shared faces are absent ({FACES})")
def test_people_whose_faces_are_never_usable_on_the_lawn_are_unidentified_once(
    vtest: Path, tmp_path: Path
) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "offender").symlink_to(FACES)  # read from ../shared, never copied
    stage = face_stage_from_folders(watch, None)
    raw = yaml.safe_load(LAWN.read_text())
    raw["cameras"][0]["zones"][0]["unidentified_seconds"] = 2.0
    lines = analyze(vtest, SiteConfig.model_validate(raw), face_stage=stage).lines()
    types = [line["type"] for line in lines]
    assert "offender_recognized" not in types and "stranger" not in types, lines
    intrusions = {line["track"]: line["t"] for line in lines if line["type"] == "intrusion"}
    unidentified = [line for line in lines if line["type"] == "unidentified_person"]
    assert len(intrusions) == 3 and unidentified, lines
    assert len({line["track"] for line in unidentified}) == len(unidentified)  # once each
    for line in unidentified:
        assert line["zone"] == "lawn"
        assert line["t"] >= intrusions[line["track"]] + 1.5, line
