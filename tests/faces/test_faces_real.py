"""Recognition on real faces and real video from ../shared/data (skipped when it is absent)."""

from __future__ import annotations

import functools
import itertools
import json
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import supervision as sv
from typer.testing import CliRunner

from safewatch.cli import app
from safewatch.vision.analyze import analyze
from safewatch.vision.faces.enrol import Enroller, PhotoCheck
from safewatch.vision.faces.evaluate import evaluate_folders, photos_of
from safewatch.vision.faces.lists import enrol_folder
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD
from safewatch.vision.faces.stage import RecognitionStage
from safewatch.vision.faces.templates import TemplateSet
from tests.vision.sites import WHOLE_VIEW

SHARED = Path(__file__).parents[2].parent / "shared" / "data"
FACES, VIDEO = SHARED / "faces", SHARED / "video"
HAMILTON = VIDEO / "face_recognition_short_hamilton_clip.mp4"
MIRANDA = VIDEO / "face_recognition_short_hamilton_clip.enrol_lin_manuel_miranda.png"

TARGET_TAR = 0.95  # issue 20: at FAR 0.1 %, open-set, identity-disjoint

pytestmark = [
    pytest.mark.video,
    pytest.mark.skipif(not FACES.is_dir(), reason=f"real faces are not here ({FACES} absent)"),
]


class _OncePerPhoto(Enroller):
    """The shared photos are checked once for the whole module: the lists and the
    evaluation read the same photos (a minute, embedding all 299 again)."""

    @functools.cache  # noqa: B019 — one instance for the module, on purpose
    def check_file(self, path: Path) -> PhotoCheck:
        return super().check_file(path)


@pytest.fixture(scope="module")
def enroller() -> Enroller:
    return _OncePerPhoto()


UNRELATED = ("obama", "biden", "lfw_tom_hanks", "lfw_keanu_reeves", "rose_leslie")


@pytest.fixture(scope="module")
def unrelated(enroller: Enroller, tmp_path_factory: pytest.TempPathFactory) -> list[TemplateSet]:
    """Five people who are in none of the shared clips, enrolled as a site enrols them."""
    folder = tmp_path_factory.mktemp("unrelated")
    for name in UNRELATED:
        (folder / name).symlink_to(FACES / name)
    return enrol_folder(folder, "watch", enroller)


@pytest.mark.parametrize(
    ("photo", "reason"),
    [
        ("steve_wozniak/1.jpg", "the photo shows 4 faces; use a photo of the person alone"),
        ("obama/1.jpg|tiny", "the face is too small"),
        ("obama/1.jpg|blur", "the face is blurred or out of focus"),
        ("obama/1.jpg|turned", "no face was found"),
        ("garbage", "the file is not a readable photo"),
    ],
)
def test_enrolment_refuses_with_a_reason(
    enroller: Enroller, tmp_path: Path, photo: str, reason: str
) -> None:
    path = tmp_path / "photo.jpg"
    if photo == "garbage":
        path.write_bytes(b"not a photo")
    else:
        name, _, change = photo.partition("|")
        img = cv2.imread(str(FACES / name))
        if change == "tiny":
            img = cv2.resize(img, None, fx=0.2, fy=0.2)
        elif change == "blur":
            img = cv2.GaussianBlur(img, (41, 41), 0)
        elif change == "turned":
            img = img[:, : img.shape[1] // 5]  # the face is cut out of the picture
        cv2.imwrite(str(path), img)
    check = enroller.check_file(path)
    assert not check.accepted
    assert any(r.startswith(reason) for r in check.reasons), check.reasons


def test_a_good_photo_is_accepted(enroller: Enroller) -> None:
    check = enroller.check_file(FACES / "obama" / "1.jpg")
    assert check.accepted and check.vector is not None and check.vector.shape == (128,)


LONG = pytest.mark.skipif(
    not os.environ.get("SAFEWATCH_LONG"), reason="the full evaluation (4 minutes): make test-long"
)


@pytest.fixture(scope="module")
def shared_evaluation(enroller: Enroller) -> dict[str, Any]:
    return evaluate_folders(FACES, enroller).points(1e-3)


@LONG
def test_shared_faces_open_set_cross_validation(shared_evaluation: dict[str, Any]) -> None:
    """Issue 20's evaluation on the shared faces, identity-disjoint and open-set: each
    threshold chosen on other people, each impostor a stranger. The live scoring beats the
    plain pipeline on the same folds, and the default threshold is the one the
    cross-validation chose. Figures in docs/performance.md."""
    points = shared_evaluation
    assert points["identities"] == 58
    cv = points["cross_validation"]
    live, plain, former = cv["live"], cv["plain_pipeline"], cv["cohort_z_former"]
    assert live["folds"] == 20 and live["impostor_open_set"] > 6000, live
    assert live["tar"] >= TARGET_TAR, live  # 96.1 % (2026-12-06)
    splits = cv["live_over_other_splits"]
    assert splits["tar_min"] >= 0.94 and splits["tar_mean"] >= TARGET_TAR, splits
    assert live["far"] <= 0.002 and live["far"] <= live["far_upper_95"], live
    assert live["tar"] > plain["tar"] + 0.02, (live, plain)
    assert live["tar"] > former["tar"] + 0.1, (live, former)  # why the cohort went
    assert live["threshold_mean"] == pytest.approx(DEFAULT_THRESHOLD, abs=0.005), live
    closed = points["closed_set"]
    assert closed["protocol"].startswith("closed-set, superseded")
    assert closed["tar_at_far_0.0001"] is None  # 7,638 impostors cannot back 1e-4


def _stage(lists: list[TemplateSet], enroller: Enroller) -> RecognitionStage:
    return RecognitionStage(lists, DEFAULT_THRESHOLD, enroller.detector, enroller.embedder)


def test_the_enrolled_performer_is_recognised_within_a_second(
    enroller: Enroller, tmp_path: Path
) -> None:
    """One offender enrolled from one photo, nobody else in the region: no cohort."""
    miranda, checks = enroller.enrol("lin_manuel_miranda", "watch", [MIRANDA])
    assert miranda is not None, checks
    stage = _stage([miranda], enroller)
    snapshots = tmp_path / "snapshots"
    seen: dict[int, Any] = {}  # every face track, also those that ended before the last frame
    attach = stage.attach

    def attach_and_keep(frame: np.ndarray, dets: sv.Detections, t: float) -> sv.Detections:
        out = attach(frame, dets, t)
        seen.update({tr.id: tr for tr in stage._tracks})
        return out

    stage.attach = attach_and_keep  # type: ignore[method-assign]
    lines = analyze(HAMILTON, WHOLE_VIEW, face_stage=stage, snapshots_dir=snapshots).lines()
    named = [line for line in lines if line["type"] == "offender_recognized"]
    assert [line["identity"] for line in named] == ["lin_manuel_miranda"]
    # his face may be tracked in pieces (turned away a moment): the piece he was named on
    tracks = [tr for tr in seen.values() if tr.identity.decision == "offender"]
    first_large = min(s.t for tr in tracks for s in tr.identity.shots if s.size >= 80)
    # within a second of his face reaching 80 px; earlier is better (which frames are
    # analysed decides whether his 78-79 px shots come first and already name him)
    assert named[0]["t"] - first_large <= 1.0
    # The victim is shown who it is: the recognised face is not blurred in the snapshot.
    shown = cv2.imread(str(snapshots / f"{named[0]['id']}.jpg"))
    assert enroller.detector.detect(shown), "the offender's face was blurred"


# The clips whose faces come close enough to be embedded; the others (people far away, from
# above, at night) are checked in make test-long: minutes on a slow machine, and no face to name.
FACE_CLIPS = {
    "face_recognition_short_hamilton_clip.mp4",
    "facenet_pytorch_pedestrians_approaching.mp4",
    "intel_face_demographics_walking.mp4",
}


def _clips() -> list[Any]:
    if not VIDEO.is_dir():
        return []
    names = sorted(p.name for p in VIDEO.glob("*.mp4"))
    return [pytest.param(n, marks=[] if n in FACE_CLIPS else [LONG]) for n in names]


@pytest.mark.parametrize("clip", _clips())
def test_unrelated_watch_list_raises_no_offender_alert(
    enroller: Enroller, unrelated: list[TemplateSet], clip: str
) -> None:
    """Five unrelated people listed and no cohort: nobody in any shared clip is named."""
    assert len(unrelated) == 5
    stage = _stage(unrelated, enroller)
    lines = analyze(VIDEO / clip, WHOLE_VIEW, face_stage=stage).lines()
    assert [line for line in lines if line["type"] == "offender_recognized"] == []


def test_eval_video_counts_passers_by_and_times_the_one_present(tmp_path: Path) -> None:
    watch = tmp_path / "watch"
    watch.mkdir()
    (watch / "rose_leslie").symlink_to(FACES / "rose_leslie")  # two photos: quick to enrol
    (watch / "lin_manuel_miranda").mkdir()
    (watch / "lin_manuel_miranda" / "1.png").symlink_to(MIRANDA)
    args = ["eval", "video", str(HAMILTON), "--watchlist", str(watch), "--json"]
    r = CliRunner().invoke(app, [*args, "--present", "lin_manuel_miranda"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["clips"] == 1 and result["video_seconds"] > 9 and result["face_tracks"] > 5
    assert result["passers_by_named"] == [] and result["passers_by_named_per_hour"] == 0
    assert result["per_hour_upper_95"] > 1000  # ten seconds of video cannot back a low rate
    # Unnamed tracks count as passers-by (the performer far away may be one): the nearest is
    # reported, not judged here.
    assert 0 < result["nearest_passer_by_shot"]["distance"] < 1
    present = result["present"]
    assert present["named_tracks"] == 1 and 0 <= present["seconds_after_80px_face"][0] <= 1.0


def test_eval_video_refuses_what_it_cannot_measure(tmp_path: Path) -> None:
    """A clip that is not a video, a present person nobody enrolled, a missing folder: each
    a one-line reason and exit 1 (2 for a missing folder), never a traceback."""
    (tmp_path / "watch" / "lin_manuel_miranda").mkdir(parents=True)
    (tmp_path / "watch" / "lin_manuel_miranda" / "1.png").symlink_to(MIRANDA)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    base = ["eval", "video", "--watchlist", str(tmp_path / "watch")]
    r = CliRunner().invoke(app, [*base, str(broken)])
    assert r.exit_code == 1 and "broken.mp4" in r.stderr, r.output
    r = CliRunner().invoke(app, [*base, str(HAMILTON), "--present", "lin_manuel"])
    assert r.exit_code == 1 and "nobody of that name" in r.stderr, r.output
    r = CliRunner().invoke(app, ["eval", "faces", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "not exist" in r.stderr, r.output


def test_faces_check_command(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        [
            "faces",
            "check",
            "--json",
            str(FACES / "obama" / "1.jpg"),
            str(FACES / "steve_wozniak" / "1.jpg"),
        ],
    )
    assert r.exit_code == 1  # one photo refused
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [line["accepted"] for line in lines] == [True, False]


def test_eval_pairs_on_an_lfw_layout(tmp_path: Path) -> None:
    """The View-2 format on the shared LFW people: 2 folds of 5 same + 5 different pairs."""
    people = sorted(p for p in FACES.iterdir() if p.name.startswith("lfw_"))[:12]
    images = tmp_path / "lfw"
    for person in people:
        (images / person.name).mkdir(parents=True)
        for i, photo in enumerate(photos_of(person)[:3], start=1):
            (images / person.name / f"{person.name}_{i:04d}.jpg").symlink_to(photo)
    lines = ["2\t5"]
    for fold in range(2):
        group = people[fold * 6 : fold * 6 + 6]
        lines += [f"{p.name}\t1\t2" for p in group[:5]]
        lines += [f"{a.name}\t1\t{b.name}\t3" for a, b in itertools.pairwise(group)]
    (tmp_path / "pairs.txt").write_text("\n".join(lines) + "\n")
    args = ["eval", "pairs", str(tmp_path / "pairs.txt"), "--images", str(images)]
    terminal = CliRunner(env={"TTY_COMPATIBLE": "1"})  # as if a person were watching
    r = terminal.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)  # nothing but the JSON: no bar with --json
    assert result["pairs"] == 20 and result["folds"] == 2
    assert result["accuracy_mean"] >= 0.8
    assert r.stderr == ""
    shown = terminal.invoke(app, args)
    assert "images" in shown.stderr and "30/30" in shown.stderr and "left" in shown.stderr
    assert json.loads(shown.stdout) == result  # the bar went to stderr


def test_a_site_file_turns_recognition_on_at_its_threshold(tmp_path: Path) -> None:
    from safewatch.vision.config import SiteConfig
    from safewatch.vision.faces import thresholds
    from safewatch.vision.worker import site_face_stage

    (tmp_path / "watch" / "miranda").mkdir(parents=True)
    (tmp_path / "watch" / "miranda" / "1.png").symlink_to(MIRANDA)
    site_threshold = thresholds.SiteThreshold()
    site_threshold.not_the_offender(0.3, "a neighbour")
    thresholds.save(tmp_path / "threshold.json", site_threshold)
    site = SiteConfig.model_validate(
        {
            "site": "home",
            "cameras": [{"name": "front", "source": "x"}],
            "faces": {
                "watchlist": str(tmp_path / "watch"),
                "cohort": str(tmp_path / "cohort"),  # a site file from before: ignored
                "threshold_file": str(tmp_path / "threshold.json"),
            },
        }
    )
    stage = site_face_stage(site)
    assert stage is not None
    assert stage.lists.matcher.names == ["miranda"] and stage.lists.kinds == ["watch"]
    assert stage.threshold == pytest.approx(0.28)


def test_the_hub_refuses_an_unusable_offender_photo_and_enrols_a_good_one(
    world: object, settings: object, tmp_path: Path
) -> None:
    from safewatch.services.enrolment import Enrolment, FaceEnrolment, FaceTemplates

    w = world  # the API world of tests/world.py, with the real enrolment swapped in
    templates = FaceTemplates(tmp_path / "templates", w.client.app.state.keys)  # type: ignore[attr-defined]
    w.client.app.state.enrolment = Enrolment(FaceEnrolment(), templates)  # type: ignore[attr-defined]
    case = w.get("officer_a", f"/api/v1/cases/{w.cases['a']}").json()  # type: ignore[attr-defined]
    offender = case["offenders"][0]
    url = f"/api/v1/cases/{w.cases['a']}/offenders/{offender['id']}/photos"  # type: ignore[attr-defined]

    def upload(path: Path) -> object:
        return w.client.post(
            url,
            headers=w.h("officer_a"),  # type: ignore[attr-defined]
            files={"file": (path.name, path.read_bytes(), "image/jpeg")},
        )

    refused = upload(FACES / "steve_wozniak" / "1.jpg")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "the photo shows 4 faces" in refused.json()["detail"]  # type: ignore[attr-defined]
    assert upload(FACES / "obama" / "1.jpg").status_code == 201  # type: ignore[attr-defined]
    stored = templates.store.load(offender["id"])
    assert stored is not None and stored.vectors.shape == (1, 128)
    assert stored.expires_on is not None
    assert stored.expires_on.isoformat() == offender["orders"][0]["ends_on"]


def test_a_worker_takes_its_lists_from_the_hub_answer(unrelated: list[TemplateSet]) -> None:
    from safewatch.vision.faces.lists import face_stage_from_hub

    watch, others = unrelated[0], unrelated[1:]
    payload = {
        "watch": [
            {
                "key": "k",
                "name": "Oh Tae-seok",
                "vectors": watch.vectors.tolist(),
                "expires_on": "2099-01-01",
            }
        ],
        "allow": [{"key": "m", "name": "Mother", "vectors": others[0].vectors.tolist()}],
        "threshold": 0.3,
        "scoring": "distance",
    }
    stage = face_stage_from_hub(payload)
    assert stage.lists.matcher.names == ["Oh Tae-seok", "Mother"]
    assert stage.lists.kinds == ["watch", "allow"] and stage.threshold == 0.3
    # A hub from before issue 20: a cohort, and a z-score threshold that as a distance would
    # match nobody — refused, so that the camera says recognition is off.
    older = {**payload, "cohort": [o.vectors.mean(axis=0).tolist() for o in others[1:]]}
    del older["scoring"]
    with pytest.raises(ValueError, match="another scoring"):
        face_stage_from_hub({**older, "threshold": -2.07})
    with pytest.raises(ValueError, match="no face templates"):
        face_stage_from_hub({**payload, "watch": [], "allow": []})


def test_analyze_with_one_person_on_the_watch_list(tmp_path: Path) -> None:
    """`analyze --watchlist` with one offender and nobody else: no cohort is asked for."""
    (tmp_path / "watch" / "lin_manuel_miranda").mkdir(parents=True)
    (tmp_path / "watch" / "lin_manuel_miranda" / "1.png").symlink_to(MIRANDA)
    site = tmp_path / "site.yaml"
    site.write_text("site: home\ncameras:\n  - {name: door, source: x}\n")
    args = ["analyze", str(HAMILTON), "--site", str(site), "--json"]
    r = CliRunner().invoke(app, [*args, "--watchlist", str(tmp_path / "watch")])
    assert r.exit_code == 0, r.output
    named = [json.loads(x) for x in r.stdout.splitlines() if '"offender_recognized"' in x]
    assert [x["identity"] for x in named] == ["lin_manuel_miranda"]
