"""Bystanders' faces blurred in what the victim and guards see, the recognised offender's
left clear, and the unblurred originals kept for the police.

The face is a real photograph that ships inside matplotlib (Grace Hopper, US Navy, public
domain); whether a face can be seen is judged by the same RetinaFace detector the product
uses, at a lower score threshold than the product's (0.5 instead of 0.8).
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
import supervision as sv
from matplotlib import cbook

from safewatch.vision.analyze import CollectingSink
from safewatch.vision.clip_source import PendingClip
from safewatch.vision.config import CameraConfig, SiteConfig
from safewatch.vision.detectors.base import person_detections
from safewatch.vision.face_boxes import Boxes, merged, no_boxes
from safewatch.vision.faces.detector import FaceDetector
from safewatch.vision.faces.stage import RecognitionStage
from safewatch.vision.outbox import Outbox
from safewatch.vision.pipeline import CameraPipeline
from safewatch.vision.privacy import (
    FaceFinder,
    Redaction,
    Redactor,
    blurred,
    blurred_frame,
    passing,
    sighting,
)
from safewatch.vision.rules import IDENTITY_KIND, IDENTITY_NAME, IDENTITY_SCORE
from safewatch.vision.source import open_video, play
from tests.live import event, jpeg

W, H = 640, 480
FACE_W = 100  # the photo's width in the scene; its face is ~35 px wide
WHOLE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]


@cache
def _photo() -> np.ndarray:
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    img = cv2.imread(str(path))
    assert img is not None
    return cv2.resize(img, (FACE_W, int(FACE_W * img.shape[0] / img.shape[1])))


@cache
def _judge() -> FaceDetector:
    return FaceDetector(score_threshold=0.5)


def faces_seen(bgr: np.ndarray) -> list[tuple[float, float]]:
    """Centres of the faces a face detector can find in a picture."""
    return [((f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2) for f in _judge().detect(bgr)]


def _scene(people: list[tuple[int, int]]) -> np.ndarray:
    """A street-grey picture with a person (photo above a dark body) at each top-left."""
    img = np.full((H, W, 3), (90, 100, 105), np.uint8)
    photo = _photo()
    ph, pw = photo.shape[:2]
    for x, y in people:
        img[y + ph : y + 2 * ph, x : x + pw] = (40, 40, 50)
        img[y : y + ph, x : x + pw] = photo
    return img


def _person_box(x: int, y: int) -> tuple[float, float, float, float]:
    ph, pw = _photo().shape[:2]
    return (float(x), float(y), float(x + pw), float(y + 2 * ph))


def _redactor(detector: FaceDetector | None = None) -> Redactor:
    return Redactor(FaceFinder(detector or FaceDetector(), 960), detect_fps=5, sighting_window=0.3)


def _dets(boxes: list[tuple[float, float, float, float]], kinds: list[str | None]) -> sv.Detections:
    dets = person_detections(np.array(boxes, dtype=np.float32), np.full(len(boxes), 0.9))
    dets.data[IDENTITY_KIND] = np.array(kinds, dtype=object)
    return dets


def test_a_bystanders_face_cannot_be_found_in_what_is_shown() -> None:
    frame = _scene([(80, 60), (400, 120)])
    assert len(faces_seen(frame)) == 2  # the photo's face is findable to begin with
    redaction = _redactor().picture(frame, sv.Detections.empty())
    assert len(redaction.blur) == 2
    assert faces_seen(blurred(frame, redaction)) == []


def test_the_recognised_offenders_face_stays_clear_and_only_his() -> None:
    offender, bystander = (80, 60), (400, 120)
    frame = _scene([offender, bystander])
    dets = _dets([_person_box(*offender), _person_box(*bystander)], ["offender", "unknown"])
    shown = blurred(frame, _redactor().picture(frame, dets))
    seen = faces_seen(shown)
    assert len(seen) == 1
    x1, y1, x2, y2 = _person_box(*offender)
    assert x1 <= seen[0][0] <= x2 and y1 <= seen[0][1] <= y2  # his, not the bystander's


class _Blind:
    """A face detector that misses every face (a turned head, a poor view)."""

    def detect(self, bgr: np.ndarray) -> list[object]:
        return []


def test_a_face_the_detector_missed_is_covered_by_its_persons_head() -> None:
    frame = _scene([(400, 120)])
    dets = _dets([_person_box(400, 120)], ["unknown"])
    redaction = _redactor(_Blind()).picture(frame, dets)  # type: ignore[arg-type]
    assert len(redaction.blur) == 1  # the head of the person box
    assert faces_seen(frame) and faces_seen(blurred(frame, redaction)) == []


def test_the_frame_itself_is_not_changed() -> None:
    frame = _scene([(80, 60)])
    before = frame.copy()
    blurred(frame, _redactor().picture(frame, sv.Detections.empty()))
    assert np.array_equal(frame, before)  # the original snapshot is cut from this frame


# -- the pipeline: snapshot, clip and view ---------------------------------------------------


def _walk(i: int) -> list[tuple[int, int]]:
    """Frame i: one person walking right along the street, one standing by the door."""
    return [(40 + 6 * i, 80), (470, 200)]


class _ScriptedDetector:
    """The person detector port, answering with where the scene put people (the shipped
    detector does not take a photo on a block for a person)."""

    name = "scripted"

    def __init__(self, people: Callable[[float], list[tuple[int, int]]]) -> None:
        self.people = people
        self.t = 0.0

    def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
        boxes = [_person_box(x, y) for x, y in self.people(self.t)]
        return person_detections(np.array(boxes, dtype=np.float32), np.full(len(boxes), 0.9))


class _ClockedPipeline(CameraPipeline):
    def on_frame(self, frame: av.VideoFrame, captured: datetime | None = None) -> list:  # type: ignore[type-arg]
        assert isinstance(self.detector, _ScriptedDetector)
        self.detector.t = float(frame.time or 0)
        return super().on_frame(frame, captured)


class _Recognises:
    """A face stage that has recognised the walker as the offender (the real one needs
    enrolled photos of a real person; tests/vision/test_demo_chain.py runs it)."""

    def attach(self, frame_bgr: np.ndarray, dets: sv.Detections, t: float) -> sv.Detections:
        walker = [bool(b[0] < 400) for b in dets.xyxy]
        dets.data[IDENTITY_KIND] = np.array(
            ["offender" if w else "unknown" for w in walker], dtype=object
        )
        dets.data[IDENTITY_NAME] = np.array(["Kim" if w else None for w in walker], dtype=object)
        dets.data[IDENTITY_SCORE] = np.array([-6.0 if w else None for w in walker], dtype=object)
        return dets

    def faces(self, t: float) -> np.ndarray | None:
        return None  # it looks for no faces: the clips search on their own


def _run(
    tmp_path: Path,
    video: Path,
    face_stage: _Recognises | None = None,
    blur: bool = True,
    people: Callable[[int], list[tuple[int, int]]] = _walk,
    pre_roll: float = 2,
    settle: bool = True,
    clip_max_side: int = 1280,
) -> tuple[CollectingSink, CameraPipeline]:
    """The pipeline over ``video``; ``people(frame number)`` is where the scene put people.
    ``settle``: until every clip job has ended."""
    camera = CameraConfig.model_validate(
        {
            "name": "door",
            "source": str(video),
            "pre_roll_seconds": pre_roll,
            "post_roll_seconds": 2,
            "zones": [{"name": "yard", "kind": "boundary", "polygon": WHOLE}],
            "privacy": {"blur_faces": blur, "clip_max_side": clip_max_side},
        }
    )
    site = SiteConfig(site="home-a", cameras=[camera])
    sink = CollectingSink(tmp_path / "snapshots")
    start = datetime.now(UTC)
    fps = 10
    pipeline = _ClockedPipeline(
        site=site,
        camera=camera,
        detector=_ScriptedDetector(lambda t: people(round(t * fps))),
        sink=sink,
        clip_dir=tmp_path / "clips",
        face_stage=face_stage,
        clock=lambda t: start + timedelta(seconds=t),
    )
    with open_video(str(video)) as container:
        play(container, pipeline)
    if settle:
        pipeline.clip_jobs.wait()
    return sink, pipeline


@pytest.fixture
def street(synthetic_video: Callable[..., Path]) -> Path:
    return synthetic_video(60, lambda i: _scene(_walk(i)), name="street.mp4")


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def test_the_clip_shown_has_no_findable_face_and_the_original_has_them(
    tmp_path: Path, street: Path
) -> None:
    sink, _ = _run(tmp_path, street)
    [intrusion, *_] = [e for e in sink.events if e.type == "intrusion"]
    shown = cv2.imread(str(tmp_path / "snapshots" / f"{intrusion.id}.jpg"))
    original = cv2.imread(str(tmp_path / "snapshots" / f"{intrusion.id}.original.jpg"))
    assert faces_seen(shown) == [] and len(faces_seen(original)) == 2

    clip, kept = sink.clips[intrusion.id], sink.originals[intrusion.id]
    assert clip is not None and Path(clip).name == f"{intrusion.id}.mp4"
    shown_frames, original_frames = _frames(Path(clip)), _frames(Path(kept))
    assert len(shown_frames) == len(original_frames) >= 20  # to the end of the post-roll
    assert [k for k, f in enumerate(shown_frames) if faces_seen(f)] == []  # in no frame
    assert sum(len(faces_seen(f)) == 2 for f in original_frames) >= 0.9 * len(original_frames)


def test_a_clip_shown_smaller_than_its_original_is_blurred_where_the_faces_are(
    tmp_path: Path, street: Path
) -> None:
    """The clip shown is scaled before it is blurred (privacy.clip_max_side): the plan's
    boxes, found on the original, must land on the faces of the smaller picture."""
    sink, _ = _run(tmp_path, street, clip_max_side=W // 2)
    [intrusion, *_] = [e for e in sink.events if e.type == "intrusion"]
    shown = _frames(Path(sink.clips[intrusion.id] or ""))
    assert shown[0].shape[:2] == (H // 2, W // 2)
    bigger = [cv2.resize(f, (W, H)) for f in shown]  # the judge looks at the original's size
    assert [k for k, f in enumerate(bigger) if faces_seen(f)] == []
    original = _frames(Path(sink.originals[intrusion.id]))
    assert sum(len(faces_seen(f)) == 2 for f in original) >= 0.9 * len(original)


def test_the_offenders_face_stays_clear_in_snapshot_and_clip(tmp_path: Path, street: Path) -> None:
    sink, _ = _run(tmp_path, street, _Recognises())
    [recognised, *_] = [e for e in sink.events if e.type == "offender_recognized"]
    assert recognised.identity == "Kim"
    shown = cv2.imread(str(tmp_path / "snapshots" / f"{recognised.id}.jpg"))
    [(x, _)] = faces_seen(shown)  # one face: the walker's (the bystander by the door is blurred)
    assert x < 400
    frames = _frames(Path(sink.clips[recognised.id] or ""))
    clear = [faces_seen(f) for f in frames]
    assert all(all(x < 400 for x, _ in seen) for seen in clear)  # never the bystander
    assert sum(len(seen) == 1 for seen in clear) >= 0.8 * len(frames)  # the offender, mostly


def test_the_cameras_view_is_blurred_too(tmp_path: Path, street: Path) -> None:
    _, pipeline = _run(tmp_path, street)
    jpeg_view = pipeline.view_jpeg()
    assert jpeg_view is not None
    view = cv2.imdecode(np.frombuffer(jpeg_view, np.uint8), cv2.IMREAD_COLOR)
    assert faces_seen(view) == []


def test_with_blurring_off_nothing_is_blurred_and_no_original_goes(
    tmp_path: Path, street: Path
) -> None:
    sink, pipeline = _run(tmp_path, street, blur=False)
    assert pipeline.redactor is None
    [intrusion, *_] = [e for e in sink.events if e.type == "intrusion"]
    shown = cv2.imread(str(tmp_path / "snapshots" / f"{intrusion.id}.jpg"))
    assert len(faces_seen(shown)) == 2
    assert not list((tmp_path / "snapshots").glob("*.original.jpg")) and sink.originals == {}


def _onnxruntime_fails(redactor: Redactor) -> None:
    """The face model's own session, given what it cannot take: onnxruntime's error."""
    redactor.finder.detector.session.run(None, {"input": np.zeros((1, 3), np.float32)})


def _opencv_fails(redactor: Redactor) -> None:
    cv2.resize(np.zeros((0, 0, 3), np.uint8), (6, 6))  # OpenCV's own cv2.error


@pytest.mark.parametrize("fault", [_onnxruntime_fails, _opencv_fails])
def test_a_clip_that_cannot_be_blurred_is_not_shown_but_the_original_is_kept(
    tmp_path: Path,
    street: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: Callable[[Redactor], None],
) -> None:
    """Whatever library fails — onnxruntime, OpenCV — the clip's job says so: before, only
    ValueError was caught, and the clip and the police original were lost unlogged."""

    def no_faces_today(self: Redactor, *args: object) -> list[object]:
        fault(self)
        raise AssertionError("the fault above raises")

    monkeypatch.setattr(Redactor, "clip", no_faces_today)
    sink, _ = _run(tmp_path, street)
    [intrusion, *_] = [e for e in sink.events if e.type == "intrusion"]
    assert sink.clips[intrusion.id] is None  # never the unblurred clip in its place
    assert sink.clip_errors[intrusion.id].startswith("clip not blurred")
    assert Path(sink.originals[intrusion.id]).is_file()


def test_a_scene_without_faces_plans_no_blur(
    tmp_path: Path, synthetic_video: Callable[..., Path]
) -> None:
    empty = synthetic_video(40, lambda i: _scene([]), name="empty.mp4")
    redactor = _redactor()
    frames = []
    with open_video(str(empty)) as c:
        frames = list(c.decode(video=0))
    plan = redactor.clip("s1", frames, [])
    assert len(plan) == 40 and all(r.empty for r in plan)


# -- the outbox carries the originals -------------------------------------------------------


def test_originals_travel_after_their_event_as_items_of_their_own(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    e = event()
    outbox.put_event(e, jpeg(seed="shown"), jpeg(seed="original"))
    clip, original = tmp_path / "c.mp4", tmp_path / "c.original.mp4"
    outbox.put_clip(e.id, "front", clip, None, original)
    head, _ = outbox.next_due()
    assert head is not None and head.kind == "event" and head.snapshot == jpeg(seed="shown")
    assert outbox.next_due_events(10) == [head]  # originals never ride in an event batch
    outbox.mark_sent(head)
    kinds = []
    while (item := outbox.next_due()[0]) is not None:
        kinds.append((item.kind, item.snapshot or item.blob_path))
        outbox.mark_sent(item)
    assert kinds == [
        ("original_snapshot", jpeg(seed="original")),
        ("clip", str(clip)),
        ("original_clip", str(original)),
    ]
    outbox.close()


def test_an_outbox_from_before_blurring_is_upgraded_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE item (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('event', 'clip')),
            event_id TEXT NOT NULL, camera TEXT NOT NULL, payload TEXT, blob_path TEXT,
            snapshot BLOB, error TEXT, created REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL DEFAULT 0,
            last_error TEXT, UNIQUE (kind, event_id)
        );
        CREATE INDEX item_pending ON item (state, seq);
        """
    )
    waiting = event()
    old.execute(
        "INSERT INTO item (kind, event_id, camera, payload, snapshot, created) "
        "VALUES ('event', ?, 'front', ?, ?, 1.0)",
        (str(waiting.id), waiting.model_dump_json(), jpeg()),
    )
    old.commit()
    old.close()
    outbox = Outbox(path)
    head, _ = outbox.next_due()
    assert head is not None and head.event_id == waiting.id  # still waiting to go
    later = event()
    outbox.put_event(later, jpeg(), jpeg(seed="o"))  # the new kinds are taken
    assert outbox.counts() == {"pending": 3}
    outbox.close()
    reopened = Outbox(path)  # and opening it again changes nothing
    assert reopened.counts() == {"pending": 3}
    reopened.close()


class _Counting(FaceDetector):
    """Counts the searches, and the size of the picture each searched."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.shapes: list[tuple[int, int]] = []

    def detect(self, bgr: np.ndarray, score_threshold: float | None = None) -> list:  # type: ignore[type-arg]
        self.calls += 1
        self.shapes.append(bgr.shape[:2])
        return super().detect(bgr, score_threshold)


def _no_face_left(frames: list[av.VideoFrame], plan: list[Redaction]) -> bool:
    """No face can be found in any frame blurred by its plan."""
    return all(
        faces_seen(blurred(f.to_ndarray(format="bgr24"), r)) == []
        for f, r in zip(frames, plan, strict=True)
    )


def test_a_still_scene_is_looked_at_once_and_its_face_blurred_in_every_frame(
    synthetic_video: Callable[..., Path],
) -> None:
    still = synthetic_video(40, lambda i: _scene([(200, 100)]), name="still.mp4")
    counting = _Counting()
    with open_video(str(still)) as c:
        frames = list(c.decode(video=0))
    plan = _redactor(counting).clip("s1", frames, [])
    assert counting.calls == 1  # nothing moved after the first look
    assert all(len(r.blur) >= 1 for r in plan)
    assert _no_face_left(frames, plan)


def test_the_offender_stays_clear_in_a_clip_cut_later_in_the_stream(
    tmp_path: Path, synthetic_video: Callable[..., Path]
) -> None:
    """The clip's own clock starts at its first keyframe (here 4 s into the stream): what the
    analysis knew at each moment is matched to the clip's frames on the stream's clock."""
    late = 45  # nobody in view for the first 4.5 s

    def people(i: int) -> list[tuple[int, int]]:
        return _walk(i - late) if i >= late else []

    video = synthetic_video(90, lambda i: _scene(people(i)), name="late.mp4")
    sink, _ = _run(tmp_path, video, _Recognises(), people=people, pre_roll=0.3)
    [recognised, *_] = [e for e in sink.events if e.type == "offender_recognized"]
    assert (recognised.clip_start_t or 0) >= 4.0  # the clip starts at the keyframe at 4 s
    frames = _frames(Path(sink.clips[recognised.id] or ""))
    with_people = [faces_seen(f) for f in frames[5:]]  # from 4.5 s: the walker and the bystander
    assert all(all(x < 400 for x, _ in seen) for seen in with_people)
    assert sum(len(seen) == 1 for seen in with_people) >= 0.8 * len(with_people)


def test_a_stream_that_ends_is_let_go_while_its_clips_are_still_being_blurred(
    tmp_path: Path, street: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blurring a clip takes seconds; a camera whose stream ended (a reconnection, a camera
    rebooting) waited for every queued blur before it could reopen — blind for tens of
    seconds under load (the region bench: a 12 s `camera_offline`). Clips blurred from the
    original on disk need nothing of the stream: only jobs that read its packets hold it."""
    slow_look = 0.2  # seconds a face search takes on a loaded node
    real_find = FaceFinder.find

    def slow_find(self: FaceFinder, bgr: np.ndarray) -> np.ndarray:
        time.sleep(slow_look)
        return real_find(self, bgr)

    monkeypatch.setattr(FaceFinder, "find", slow_find)
    sink, pipeline = _run(tmp_path, street, settle=False)  # play() ends with end_stream()
    clips = [e for e in sink.events if e.clip_end_t is not None]
    assert clips and len(sink.clips) < len(clips)  # blurs still under way
    pipeline.clip_jobs.wait()
    assert len(sink.clips) == len(clips) and all(sink.clips.values())


def test_a_clip_is_searched_whole_once_a_second_and_a_face_nobody_saw_stays_blurred(
    synthetic_video: Callable[..., Path],
) -> None:
    """Between whole-frame searches (at most one a second) a clip's frames are searched only
    around the people the analysis saw. The person by the door is one the person detector
    missed: the whole looks either side still cover his face in every frame."""
    street = synthetic_video(40, lambda i: _scene(_walk(i)), name="street4s.mp4")
    with open_video(str(street)) as c:
        frames = list(c.decode(video=0))
    walker = [  # what the analysis saw at 5 fps: the walker only
        sighting(i / 10, _dets([_person_box(*_walk(i)[0])], [None])) for i in range(0, 40, 2)
    ]
    counting = _Counting()
    plan = _redactor(counting).clip("s1", frames, walker)
    whole = [shape for shape in counting.shapes if shape == (H, W)]
    assert 1 <= len(whole) <= 5  # 4 s of clip: at most one a second (and the first frame)
    assert len(counting.shapes) > len(whole)  # the rest around the walker
    assert _no_face_left(frames, plan)


def _doubled(boxes: np.ndarray) -> int:
    """How many pairs of the boxes cover each other by half the smaller one or more."""
    count = 0
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            w = min(a[2], b[2]) - max(a[0], b[0])
            h = min(a[3], b[3]) - max(a[1], b[1])
            smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            count += int(w > 0 and h > 0 and w * h >= 0.5 * smaller)
    return count


def test_a_clips_plan_blurs_each_face_once_not_once_per_look_that_found_it(
    synthetic_video: Callable[..., Path],
) -> None:
    """A frame between looks takes the faces of the looks either side and of the whole looks
    around them, and the path between each pair: the same faces again and again (a real
    clip with five people in view planned 181 boxes a frame, and blurring them took longer
    than the rest of its encode). Boxes that cover each other become the one box that holds
    them: every face still blurred, each once."""
    street = synthetic_video(40, lambda i: _scene(_walk(i)), name="street4s.mp4")
    with open_video(str(street)) as c:
        frames = list(c.decode(video=0))
    both = [  # what the analysis saw at 5 fps: both people
        sighting(i / 10, _dets([_person_box(*p) for p in _walk(i)], [None, None]))
        for i in range(0, 40, 2)
    ]
    plan = _redactor().clip("s1", frames, both)
    assert _no_face_left(frames, plan)
    assert max(len(step.blur) for step in plan) <= 4  # two faces (a head box beside each)
    assert sum(_doubled(step.blur) for step in plan) == 0


class _FacesAt(FaceFinder):
    """A face finder that finds the same faces wherever it looks (a whole look and the
    searches around people both)."""

    def __init__(self, faces: list[tuple[float, float, float, float]]) -> None:
        super().__init__(FaceDetector(), 960)
        self.boxes = np.array(faces, dtype=np.float32)

    def find(self, bgr: np.ndarray) -> np.ndarray:
        return self.boxes.copy()

    def find_around(self, bgr: np.ndarray, regions: np.ndarray) -> np.ndarray:
        return self.boxes.copy()


def test_a_bystanders_face_beside_the_offenders_stays_blurred_in_every_frame(
    synthetic_video: Callable[..., Path],
) -> None:
    """Faces are told apart (the offender's kept clear, everyone else's blurred) before the
    boxes the looks found many times are merged: a union of the bystander's face with his
    had its centre on him, and her face was left clear."""
    video = synthetic_video(20, lambda i: _scene([]), name="empty.mp4")
    with open_video(str(video)) as c:
        frames = list(c.decode(video=0))
    bystander, his = (100.0, 100.0, 140.0, 140.0), (120.0, 100.0, 160.0, 140.0)
    offender_box = (125.0, 90.0, 205.0, 300.0)  # his face's centre in its upper part; hers not
    seen = [sighting(i / 10, _dets([offender_box], ["offender"])) for i in range(0, 20, 2)]
    plan = Redactor(_FacesAt([bystander, his]), 5, 0.3).clip("s1", frames, seen)
    for step in plan:
        assert len(step.keep) and all(tuple(k) == his for k in step.keep)
        covered = (step.blur[:, 0] <= bystander[0]) & (step.blur[:, 1] <= bystander[1])
        covered &= (step.blur[:, 2] >= bystander[2]) & (step.blur[:, 3] >= bystander[3])
        assert covered.any()


def test_the_offenders_way_between_two_looks_is_not_kept_clear_over_someone_else() -> None:
    """His face moves down between two looks; a bystander stands beside where he passes. The
    box of his way is kept clear only where nobody else is (kept pixels are put back after
    the blur: over her face, hers would show)."""
    before, after = (
        np.array([[100, 100, 160, 160]], np.float32),
        np.array([[100, 180, 160, 240], [155, 150, 195, 190]], np.float32),
    )
    his_body = np.array([[90, 90, 170, 600]], np.float32)
    step = passing(before, after, his_body, no_boxes())
    way = [100, 100, 160, 240]
    assert not any(list(k) == way for k in step.keep)
    assert any(list(b) == way for b in step.blur)
    assert any(list(b) == [155, 150, 195, 190] for b in step.blur)
    alone = passing(before, after[:1], his_body, no_boxes())  # nobody beside him: kept
    assert any(list(k) == way for k in alone.keep)


def test_merged_boxes_hold_every_box_they_replace() -> None:
    boxes = np.array(
        [[10, 10, 50, 50], [12, 8, 52, 49], [20, 20, 60, 60], [200, 200, 220, 220]],
        dtype=np.float32,
    )
    out = merged(boxes)
    assert len(out) == 2 and _doubled(out) == 0
    for box in boxes:  # each inside one of the merged boxes
        inside = (out[:, 0] <= box[0]) & (out[:, 1] <= box[1])
        inside &= (out[:, 2] >= box[2]) & (out[:, 3] >= box[3])
        assert inside.any()
    assert len(merged(np.zeros((0, 4), dtype=np.float32))) == 0


def test_a_clips_frames_the_live_recognition_looked_at_are_not_searched_again(
    synthetic_video: Callable[..., Path],
) -> None:
    """The live face stage has already searched the analysed frames (issue 21: a busy camera
    searched each of them twice, once to recognise, once for its clip). Its faces are used;
    only the whole looks, once a second, still search, and they still cover the face by the
    door that neither the person detector nor the stage's frames had."""
    street = synthetic_video(40, lambda i: _scene(_walk(i)), name="street4s.mp4")
    with open_video(str(street)) as c:
        frames = list(c.decode(video=0))
    stage = RecognitionStage([])  # nobody enrolled: it finds faces and recognises nobody
    walker = []
    for i in range(0, 40, 2):  # what the analysis saw at 5 fps: the walker and his face
        x, y = _walk(i)[0]
        dets = _dets([_person_box(x, y)], [None])
        alone = _scene([(x, y)])  # the stage's frame, without the man by the door
        stage.attach(alone, dets, i / 10)
        walker.append(sighting(i / 10, dets, stage.faces(i / 10)))
    assert all(s.faces is not None and len(s.faces) == 1 for s in walker)
    counting = _Counting()
    plan = _redactor(counting).clip("s1", frames, walker)
    assert 1 <= counting.calls <= 5  # the whole looks only: 4 s of clip
    assert all(shape == (H, W) for shape in counting.shapes)
    assert _no_face_left(frames, plan)


def test_the_live_stages_faces_of_a_moment_before_still_cover_a_fast_face(
    synthetic_video: Callable[..., Path],
) -> None:
    """The stage's faces are of a sub-stream frame up to a sighting window from the clip's
    frame (the two streams' clocks, 5 fps against 10): a face moving fast has moved on. Where
    a frame takes them, they are blurred grown by where it can have gone."""

    def runner(i: int) -> tuple[int, int]:
        return (40 + 16 * i, 80)  # 160 px a second

    video = synthetic_video(30, lambda i: _scene([runner(i)]), name="runner.mp4")
    with open_video(str(video)) as c:
        frames = list(c.decode(video=0))
    stage = RecognitionStage([])
    late = []
    for i in range(0, 30, 2):
        dets = _dets([_person_box(*runner(i))], [None])
        stage.attach(_scene([runner(i)]), dets, i / 10)
        late.append(sighting((i + 2.5) / 10, dets, stage.faces(i / 10)))  # 0.25 s stale
    plan = _redactor().clip("s1", frames, late)
    assert _no_face_left(frames, plan)


def test_the_face_stage_reports_the_faces_of_the_frame_it_looked_at_only() -> None:
    stage = RecognitionStage([])
    picture = _scene([(100, 100), (400, 150)])
    stage.attach(picture, _dets([], []), 1.0)
    found = stage.faces(1.0)
    assert found is not None and len(found) == 2
    assert stage.faces(1.2) is None  # another frame: it did not look


def _an_original(folder: Path) -> Path:
    original = folder / "kept.original.mp4"
    original.write_bytes(b"mp4")
    return original


def _keep_busy(submit: Callable[..., object]) -> None:
    """A job that keeps the thread busy a moment: what is queued after it waits."""
    started = threading.Event()

    def busy() -> None:
        started.set()
        time.sleep(0.3)

    submit(busy)
    started.wait(5)


def test_a_clip_job_a_stop_drops_tells_its_event_why_with_the_original(tmp_path: Path) -> None:
    """At a stop the clip jobs not started were dropped, counting on the next start to report
    their events from the outbox; an event the full disk had kept in memory is not there, and
    its clip was never spoken of (the chaos run under load found it)."""
    import uuid

    from safewatch.vision.clip_jobs import ClipJobs, Unsettled
    from safewatch.vision.clips import write_clip

    sink = CollectingSink()
    jobs = ClipJobs(sink, tmp_path, "home-a", "door", write_clip, None)
    original = _an_original(tmp_path)
    event = uuid.uuid4()
    _keep_busy(jobs._submit)
    jobs._submit(lambda: None, settles=Unsettled(event, original, "blurred"))
    jobs.close()
    assert sink.clips == {event: None}
    assert sink.clip_errors[event] == "the camera worker stopped before the clip was blurred"
    assert sink.originals[event] == str(original)


def test_a_clip_asked_for_after_the_stop_is_told_why_and_the_reader_does_not_fail(
    tmp_path: Path,
) -> None:
    """At a stop the worker waits 5 s for a camera's reader, then closes its clip jobs: a
    reader far behind (a node past its limit) still analysed, cut a clip, and failed on the
    closed thread pool ("cannot schedule new futures after shutdown"), logged as a camera
    failure with a restart it never made, and its clip's event never heard of it (the
    region bench at 24 cameras found it)."""
    import uuid

    from safewatch.vision.clip_jobs import ClipJobs, Unsettled
    from safewatch.vision.clips import write_clip

    sink = CollectingSink()
    jobs = ClipJobs(sink, tmp_path, "home-a", "door", write_clip, None)
    original = _an_original(tmp_path)
    event = uuid.uuid4()
    jobs.close()
    jobs._submit(lambda: None, settles=Unsettled(event, original, "blurred"))
    assert sink.clips == {event: None}
    assert sink.clip_errors[event] == "the camera worker stopped before the clip was blurred"
    assert sink.originals[event] == str(original)


def test_a_clip_asked_for_while_the_stop_waits_loses_no_other_clip() -> None:
    """The stop cancels the queued jobs, then waits for the one under way; a reader it did
    not wait for asks for another clip meanwhile. Both clips' events are told why: before,
    the late request tidied the cancelled job away and its event never heard of it (found
    by review)."""
    import tempfile
    import uuid

    from safewatch.vision.clip_jobs import ClipJobs, Unsettled
    from safewatch.vision.clips import write_clip

    with tempfile.TemporaryDirectory() as tmp:
        sink = CollectingSink()
        jobs = ClipJobs(sink, Path(tmp), "home-a", "door", write_clip, None)
        queued, late = uuid.uuid4(), uuid.uuid4()
        _keep_busy(jobs._submit)
        jobs._submit(lambda: None, settles=Unsettled(queued, None, "blurred"))
        jobs._executor.shutdown(wait=False, cancel_futures=True)  # what close() does first
        jobs._submit(lambda: None, settles=Unsettled(late, None, "cut"))
        jobs.close()
        assert sink.clips == {queued: None, late: None}
        assert sink.clip_errors[queued] == "the camera worker stopped before the clip was blurred"
        assert sink.clip_errors[late] == "the camera worker stopped before the clip was cut"


# -- the clip shown: one blurred encode for the clips that overlap ---------------------------


def _someone_comes_later(i: int) -> list[tuple[int, int]]:
    """The walker from the start; someone else comes into view at 3.3 s."""
    return [(40 + 6 * i, 80), *([(470, 200)] if i >= 33 else [])]


def test_overlapping_clips_are_cut_from_one_blurred_encode_each_to_its_window(
    tmp_path: Path, synthetic_video: Callable[..., Path]
) -> None:
    """A busy camera's events come seconds apart and their clips cover the same video: the
    video is blurred and encoded once, as it comes, and each clip shown is cut from it to its
    own window — to the frame, though keyframes are 2 s apart (an edit list hides the rest
    of the GOP); the police original keeps whole GOPs."""
    video = synthetic_video(80, lambda i: _scene(_someone_comes_later(i)), name="two.mp4")
    sink, pipeline = _run(tmp_path, video, people=_someone_comes_later)
    with_clips = [e for e in sink.events if e.clip_start_t is not None]
    assert len(with_clips) >= 2
    fps, total = 10, 0
    for raised in with_clips:
        assert raised.clip_start_t is not None and raised.clip_end_t is not None
        window = round((raised.clip_end_t - raised.clip_start_t) * fps) + 1
        with av.open(sink.clips[raised.id] or "") as c:
            frames = list(c.decode(video=0))
        assert len(frames) == window and frames[0].time == 0.0
        assert [f.time for f in frames][-1] == pytest.approx((window - 1) / fps)
        assert all(faces_seen(f.to_ndarray(format="bgr24")) == [] for f in frames)
        first = _frames(Path(sink.originals[raised.id]))[0]
        assert len(faces_seen(first)) >= 1  # the original, unblurred, from its keyframe
        total += window
    stats = pipeline.clip_jobs.shown.stats if pipeline.clip_jobs.shown else None
    assert stats is not None and stats.cut == len(with_clips) and stats.fell_back == 0
    assert stats.frames < total  # frames the clips share were encoded once


def test_a_shared_encode_that_fails_leaves_each_clip_to_be_blurred_from_its_original(
    tmp_path: Path, street: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safewatch.vision import shown_run

    def encoder_refuses(self: object, chunk: object) -> None:
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr(shown_run.EncodeRun, "_encode", encoder_refuses)
    sink, pipeline = _run(tmp_path, street)
    with_clips = [e for e in sink.events if e.clip_start_t is not None]
    assert with_clips and all(sink.clips[e.id] for e in with_clips)
    for raised in with_clips:
        frames = _frames(Path(sink.clips[raised.id] or ""))
        assert frames and all(faces_seen(f) == [] for f in frames)
    assert pipeline.clip_jobs.shown is not None
    assert pipeline.clip_jobs.shown.stats.fell_back == len(with_clips)


def test_a_stop_tells_the_clips_waiting_for_the_shared_encode_why(tmp_path: Path) -> None:
    import uuid

    from safewatch.vision.shown import Delivery, ShownStream

    sink = CollectingSink()
    stream = ShownStream(_redactor(), "door", sink)
    original = _an_original(tmp_path)
    event = uuid.uuid4()
    stream._wanted.add(event)
    _keep_busy(stream._submit)
    fell_back: list[bool] = []
    clip = PendingClip(event, 0.0, 20.0)
    assert stream.deliver(
        Delivery(clip, "s1", tmp_path / "x.mp4", original, lambda: fell_back.append(True))
    )
    stream.close()
    assert sink.clips == {event: None} and not fell_back
    assert sink.clip_errors[event] == "the camera worker stopped before the clip was blurred"
    assert sink.originals[event] == str(original)


@contextlib.contextmanager
def _shared_encode(video: Path) -> Iterator[tuple[Any, Any]]:
    """A camera's shared encode from 0 s, and the video's packets in a pre-roll ring."""
    from safewatch.vision import shown_run
    from safewatch.vision.ring import PacketRing

    ring = PacketRing(60)
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            ring.push(packet)
        run = shown_run.EncodeRun("s1", shown_run.Codec.of(stream), 0.0, _redactor())
        try:
            yield run, ring
        finally:
            run.close()


def test_a_pre_roll_handed_at_once_is_decoded_a_chunk_at_a_time(
    synthetic_video: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event hands the shared encode its whole pre-roll at once: decoded all together,
    10 s of 1080p frames held 450 MB per camera (the region bench: 1.8 GB at 8 cameras)."""
    from safewatch.vision import shown_run

    video = synthetic_video(100, lambda i: _scene(_walk(i % 60)), name="ten.mp4")
    held: list[int] = []
    real = shown_run.EncodeRun._decoded

    def counting(self: shown_run.EncodeRun, frames: list[av.VideoFrame]) -> None:
        real(self, frames)
        held.append(len(self.frames))

    monkeypatch.setattr(shown_run.EncodeRun, "_decoded", counting)
    with _shared_encode(video) as (run, ring):
        run.take(ring.window(0.0, 10.0), [])
        run.advance(10.0)
    assert run.frames_encoded >= 90
    assert max(held) <= 10 * shown_run.CHUNK_SECONDS + 1  # frames at 10 fps: one chunk at most


def test_the_shared_encode_holds_its_frames_no_larger_than_faces_are_looked_for_at(
    tmp_path: Path, synthetic_video: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy camera's shared encode holds a second of decoded frames: held at the camera's
    1080p they were most of its ~160 MB (issue 21: ≤ 60 MB per camera). They are scaled as
    they are decoded, to the size faces are looked for at (the clip's if larger), and the
    clip shown is still blurred where the faces are."""
    from safewatch.vision import shown_run
    from safewatch.vision.ring import PacketRing

    video = synthetic_video(30, lambda i: _scene(_walk(i)), name="three.mp4")
    widths: list[int] = []
    real = shown_run.EncodeRun._decoded

    def watching(self: shown_run.EncodeRun, frames: list[av.VideoFrame]) -> None:
        real(self, frames)
        widths.extend(f.width for _, f in self.frames)

    monkeypatch.setattr(shown_run.EncodeRun, "_decoded", watching)
    redactor = Redactor(FaceFinder(FaceDetector(), 3 * W // 4), 5, 0.3, clip_max_side=W // 2)
    ring = PacketRing(60)
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            ring.push(packet)
        run = shown_run.EncodeRun("s1", shown_run.Codec.of(stream), 0.0, redactor)
        run.take(ring.window(0.0, 3.0), [])
        run.advance(3.0, final=True)
        out = tmp_path / "shown.mp4"
        run.cut(PendingClip(uuid.uuid4(), 0.0, 2.9), out, stream_ended=True)
        run.close()
    assert widths and set(widths) == {3 * W // 4}
    shown = _frames(out)
    assert len(shown) >= 25 and shown[0].shape[:2] == (H // 2, W // 2)
    assert [k for k, f in enumerate(shown) if faces_seen(cv2.resize(f, (W, H)))] == []


def test_a_face_nobody_saw_that_comes_mid_second_is_blurred_by_the_whole_look_after_it(
    synthetic_video: Callable[..., Path],
) -> None:
    """The shared encode looks for faces a second at a time. Someone the person detector
    missed who comes into view at 1.5 s is found by no search around people: only the whole
    look at 2 s finds him. That look must cover the frames before it, as in a clip blurred
    whole; before, the frames from 1.5 s to 2 s went out with his face."""

    def people(i: int) -> list[tuple[int, int]]:
        return [(40 + 6 * i, 80), *([(470, 200)] if i >= 15 else [])]

    video = synthetic_video(40, lambda i: _scene(people(i)), name="late.mp4")
    walker = [  # what the analysis saw at 5 fps: the walker only
        sighting(i / 10, _dets([_person_box(*people(i)[0])], [None])) for i in range(0, 40, 2)
    ]
    clip = Path(video).with_name("late-shown.mp4")
    with _shared_encode(video) as (run, ring):
        run.take(ring.window(0.0, 4.0), walker)
        run.advance(4.0, final=True)
        run.cut(PendingClip(uuid.uuid4(), 0.0, 3.9), clip, stream_ended=True)
    frames = _frames(clip)
    assert len(frames) == 40
    assert [k for k, f in enumerate(frames) if faces_seen(f)] == []


def test_a_clip_whose_original_cannot_be_saved_does_not_keep_the_shared_encode_going(
    tmp_path: Path, street: Path
) -> None:
    """Its clip never reaches the shared encode: were it still wanted, the camera would be
    decoded, searched for faces and encoded for nothing until it reconnected."""
    (tmp_path / "clips").write_text("a file where the clip folder should be")
    sink, pipeline = _run(tmp_path, street)
    with_clips = [e for e in sink.events if e.clip_start_t is not None]
    assert with_clips and all(
        sink.clip_errors[e.id].startswith("clip not saved") for e in with_clips
    )
    assert pipeline.clip_jobs.shown is not None and not pipeline.clip_jobs.shown.active


def test_a_stream_with_b_frames_is_encoded_whole_and_in_order(tmp_path: Path) -> None:
    """Some cameras send B-frames: packets then come in decoding order, not by time. The
    shared encode takes and decodes them in that order (by their decoding times); before,
    a packet was dropped or fed twice and the clip came out broken."""
    from fractions import Fraction

    video = tmp_path / "bframes.mp4"
    with av.open(str(video), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "20", "bf": "2", "tune": "film"}
        for i in range(40):
            grey = np.full((240, 320, 3), 5 * i, np.uint8)
            frame = av.VideoFrame.from_ndarray(grey, format="bgr24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    clip = tmp_path / "shown.mp4"
    with _shared_encode(video) as (run, ring):
        packets = ring.window(0.0, 4.0)
        assert any(b.t < a.t for a, b in itertools.pairwise(packets)), "no B-frames made"
        for k in range(0, len(packets), 7):  # handed over a few packets at a time
            run.take(packets[: k + 7], [])
            run.advance(packets[min(k + 6, len(packets) - 1)].t)
        run.advance(4.0, final=True)
        run.cut(PendingClip(uuid.uuid4(), 0.5, 3.5), clip, stream_ended=True)
    shades = [int(f[120, 160, 0]) for f in _frames(clip)]
    assert len(shades) == 31  # 0.5 s to 3.5 s at 10 fps
    assert shades == sorted(shades) and shades[0] == pytest.approx(25, abs=6)


def test_a_stop_tells_a_clip_parked_for_the_encode_to_pass_its_end_why(
    tmp_path: Path, street: Path
) -> None:
    """The usual waiting state: the clip's original is saved and it waits for the encode to
    reach its end when the worker stops."""
    from safewatch.vision.clip_source import ClipSource
    from safewatch.vision.ring import PacketRing
    from safewatch.vision.shown import Delivery, ShownStream

    sink = CollectingSink()
    encode = ShownStream(_redactor(), "door", sink)
    ring = PacketRing(60)
    event, original = uuid.uuid4(), _an_original(tmp_path)
    clip = PendingClip(event, 0.0, 5.0)
    fell_back: list[bool] = []
    with av.open(str(street)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            ring.push(packet)
        source = ClipSource(stream, ring, [], "s1")
        encode.want(clip, source, upto=1.0)  # analysed to 1 s
        encode.want(PendingClip(uuid.uuid4(), 0.5, 5.5), source, upto=1.0)  # the next event
        delivery = Delivery(
            clip, "s1", tmp_path / "x.mp4", original, lambda: fell_back.append(True)
        )
        assert encode.deliver(delivery)
        encode.wait()
        assert encode._parked == [delivery]  # waiting for the encode to pass 5 s
        encode.close()
    assert sink.clips == {event: None} and not fell_back
    assert sink.clip_errors[event] == "the camera worker stopped before the clip was blurred"
    assert sink.originals[event] == str(original)


@pytest.mark.parametrize("size", [(W, H), (W + 2, H - 2)])  # rows not a multiple of four
def test_a_frame_is_blurred_in_its_own_yuv_planes_and_the_offender_left_clear(
    size: tuple[int, int],
) -> None:
    """The clip's frames are blurred in their YUV 4:2:0 planes, without a round trip through
    BGR: no face left findable, the offender's face as it was."""
    scene = cv2.resize(_scene([(100, 100), (400, 150)]), size)
    frame = av.VideoFrame.from_ndarray(scene, format="bgr24").reformat(format="yuv420p")
    faces = np.array([f.box for f in _judge().detect(scene)], dtype=np.float32)
    assert len(faces) == 2
    offender = faces[np.argmin(faces[:, 0])]  # the one on the left
    bystander = faces[np.argmax(faces[:, 0])]
    out = blurred_frame(frame, Redaction(bystander[None], offender[None]))
    assert out.format.name == "yuv420p" and (out.width, out.height) == size
    seen = faces_seen(out.to_ndarray(format="bgr24"))
    assert len(seen) == 1 and seen[0][0] < size[0] / 2
    before, after = frame.to_ndarray(), out.to_ndarray()
    x1, y1, x2, y2 = (int(v) for v in offender)
    assert np.array_equal(before[y1:y2, x1:x2], after[y1:y2, x1:x2])


def test_the_events_of_one_frame_share_one_face_search_and_each_snapshot_is_blurred(
    tmp_path: Path, street: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both people are in the yard from the first frame: two intrusions of one frame, one
    picture. Its faces are searched once for both (``CameraPipeline._faces_in``; each
    event searched it again before), and both snapshots shown have no face to find."""
    analysis, searches = threading.current_thread(), []
    find = FaceFinder.find

    def counted(self: FaceFinder, bgr: np.ndarray) -> Boxes:
        if threading.current_thread() is analysis:  # the snapshots (clips: their own thread)
            searches.append(bgr)
        return find(self, bgr)

    monkeypatch.setattr(FaceFinder, "find", counted)
    sink, _ = _run(tmp_path, street)
    with_picture = [e for e in sink.events if (tmp_path / "snapshots" / f"{e.id}.jpg").exists()]
    frames = {e.video_t for e in with_picture}
    assert len(with_picture) > len(frames), "the scene raises two events in one frame"
    assert len(searches) == len(frames)
    for e in with_picture:
        assert faces_seen(cv2.imread(str(tmp_path / "snapshots" / f"{e.id}.jpg"))) == []
