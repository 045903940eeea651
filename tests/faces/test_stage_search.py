"""Where the live face stage looks: the whole frame at most once a second while people are
in view, around their heads and the faces it saw last in between (issue 21). The face is a
real photograph that ships inside matplotlib (Grace Hopper, public domain)."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import supervision as sv
from matplotlib import cbook

from safewatch.vision.detectors.base import person_detections
from safewatch.vision.faces.detector import Face, FaceDetector
from safewatch.vision.faces.stage import RecognitionStage

W, H = 640, 360  # a sub stream's frame
FACE_W = 100  # the photo's width; its face is ~35 px wide


@cache
def _photo() -> np.ndarray:
    img = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert img is not None
    return cv2.resize(img, (FACE_W, int(FACE_W * img.shape[0] / img.shape[1])))


def _scene(people: list[tuple[int, int]]) -> np.ndarray:
    img = np.full((H, W, 3), (90, 100, 105), np.uint8)
    ph, pw = _photo().shape[:2]
    for x, y in people:
        img[y : y + ph, x : x + pw] = _photo()
    return img


def _person(x: int, y: int) -> tuple[float, float, float, float]:
    ph, pw = _photo().shape[:2]
    return (float(x), float(y), float(x + pw), float(y + 3 * ph))


class _Counting(FaceDetector):
    """Counts the searches by the size of the picture each searched."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[tuple[int, int]] = []

    def detect(self, bgr: np.ndarray, score_threshold: float | None = None) -> list[Face]:
        self.shapes.append(bgr.shape[:2])
        return super().detect(bgr, score_threshold)


def test_people_in_view_are_searched_around_and_the_whole_frame_once_a_second() -> None:
    """A walker with a person box, and a face close to the door without one: both faces are
    found in every analysed frame, with the whole frame searched at most once a second."""
    counting = _Counting()
    stage = RecognitionStage([], detector=counting)
    found = []
    for i in range(15):  # 3 s at 5 fps
        t, walker = i / 5, (40 + 12 * i, 60)
        dets: sv.Detections = person_detections(
            np.array([_person(*walker)], dtype=np.float32), np.array([0.9])
        )
        stage.attach(_scene([walker, (480, 200)]), dets, t)
        faces = stage.faces(t)
        assert faces is not None
        found.append(len(faces))
    whole = [s for s in counting.shapes if s == (H, W)]
    assert len(whole) == 3  # at 0, 1 and 2 s
    assert len(counting.shapes) > len(whole)  # the rest around the walker and the door face
    assert found == [2] * 15


def test_nobody_in_view_the_whole_frame_is_searched_every_time() -> None:
    counting = _Counting()
    stage = RecognitionStage([], detector=counting)
    for i in range(5):
        stage.attach(_scene([(300, 100)]), sv.Detections.empty(), i / 5)
    assert counting.shapes == [(H, W)] * 5


def test_a_face_without_a_person_box_moving_fast_is_followed_between_whole_looks() -> None:
    """A face close to the camera has no person box; someone else is in view, so the whole
    frame is searched only once a second. The face moves ~2/3 of its width between analysed
    frames and is still found in every one."""
    counting = _Counting()
    stage = RecognitionStage([], detector=counting)
    found = []
    for i in range(10):  # 2 s at 5 fps
        t, walker, door = i / 5, (40, 60), (200 + 25 * i, 200)
        dets: sv.Detections = person_detections(
            np.array([_person(*walker)], dtype=np.float32), np.array([0.9])
        )
        stage.attach(_scene([walker, door]), dets, t)
        faces = stage.faces(t)
        assert faces is not None
        centres = (faces[:, 0] + faces[:, 2]) / 2
        found.append(bool((abs(centres - (door[0] + FACE_W / 2)) < FACE_W / 2).any()))
    assert len([s for s in counting.shapes if s == (H, W)]) == 2
    assert all(found)


def test_the_pixels_around_a_head_are_searched_once_not_once_per_reason() -> None:
    """Between whole looks a walker's face lies both in the region around his head and in
    the region where his face was seen last: the two cover each other, and were searched as
    two crops (on the door video ~6 crops a frame, a face cut at one crop's edge found in
    neither). Regions that cover each other are searched as the one box that holds them."""
    counting = _Counting()
    stage = RecognitionStage([], detector=counting)
    found = []
    for i in range(5):  # 1 s at 5 fps: a whole look, then four between
        t, walker = i / 5, (200 + 4 * i, 60)
        dets: sv.Detections = person_detections(
            np.array([_person(*walker)], dtype=np.float32), np.array([0.9])
        )
        stage.attach(_scene([walker]), dets, t)
        faces = stage.faces(t)
        assert faces is not None
        found.append(len(faces))
    assert counting.shapes[0] == (H, W)
    assert len(counting.shapes) == 5  # one crop a frame between whole looks
    assert found == [1] * 5
