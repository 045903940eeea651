"""How often the live face stage embeds a face (dlib: 0.1-0.35 s a face with its mirror, the
largest part of a camera's cost with people at the door). Every face every 0.3 s, but one of
the household (the allow list) about once a second once it is known, while nobody stands
beside it. The face is a real photograph that ships inside matplotlib (Grace Hopper, public
domain)."""

from __future__ import annotations

import itertools
from functools import cache

import cv2
import numpy as np
from matplotlib import cbook

from safewatch.vision.detectors.base import person_detections
from safewatch.vision.faces.decisions import TrackIdentity
from safewatch.vision.faces.detector import Face, FaceDetector
from safewatch.vision.faces.embedder import FaceEmbedder
from safewatch.vision.faces.stage import EMBED_EVERY, SETTLED_EVERY, RecognitionStage, _FaceTrack
from safewatch.vision.faces.templates import TemplateSet

W, H = 640, 360


@cache
def _photo(width: int) -> np.ndarray:
    img = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert img is not None
    return cv2.resize(img, (width, int(width * img.shape[0] / img.shape[1])))


def _scene(width: int) -> np.ndarray:
    img = np.full((H, W, 3), (90, 100, 105), np.uint8)
    photo = _photo(width)[: H - 20]
    img[10 : 10 + photo.shape[0], 200 : 200 + photo.shape[1]] = photo
    return img


class _Counting(FaceEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[float] = []
        self.t = 0.0

    def embed_chip(self, chip: np.ndarray, jitters: int = 0) -> np.ndarray:
        self.calls.append(self.t)
        return super().embed_chip(chip, jitters)


def _household() -> list[TemplateSet]:
    """Her own descriptor on the allow list, as the caseworker enrols the victim's family."""
    scene = _scene(140)
    face = FaceDetector().detect(scene)[0]
    vector = FaceEmbedder().embed(np.ascontiguousarray(scene[:, :, ::-1]), face)
    return [TemplateSet("family", "allow", vector[None, :])]


def _stranger_list() -> list[TemplateSet]:
    """Someone listed who looks like nobody: every real face is far from him."""
    vector = np.random.default_rng(1).normal(size=(1, 128)).astype(np.float32)
    return [TemplateSet("listed", "watch", vector / np.linalg.norm(vector))]


def _play(lists: list[TemplateSet], seconds: int) -> tuple[_Counting, RecognitionStage]:
    embedder = _Counting()
    stage = RecognitionStage(lists, embedder=embedder)
    nobody = person_detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))
    for i in range(5 * seconds):  # analysed at 5 fps
        embedder.t = i / 5
        stage.attach(_scene(140), nobody, i / 5)
    return embedder, stage


def test_one_of_the_household_at_the_door_is_embedded_about_once_a_second_once_known() -> None:
    embedder, stage = _play(_household(), 5)
    [track] = stage._tracks
    assert track.identity.decision == "allowed"
    named = track.identity.decided_at
    assert named is not None and named <= 0.5
    later = [t for t in embedder.calls if t > named]
    assert all(b - a >= SETTLED_EVERY - 1e-6 for a, b in itertools.pairwise([named, *later]))
    assert len(later) >= 3  # still looked at: the same person may not stay behind the track


def test_a_stranger_is_embedded_every_short_gap_however_long_he_stays() -> None:
    """He may be the offender, seen better the next moment."""
    embedder, stage = _play(_stranger_list(), 3)
    assert stage._tracks[0].identity.decision == "unknown"
    assert len(embedder.calls) >= 7  # every other analysed frame: 0.4 s apart


def test_the_offender_or_one_with_another_face_beside_it_waits_only_the_short_gap() -> None:
    track = _FaceTrack(1, np.zeros(4), 0.0, last_embed_t=0.0)
    alone, beside = False, True
    assert not track.embedding_due(EMBED_EVERY - 0.01, alone)
    for decision in ("uncertain", "unknown", "offender"):
        track.identity = TrackIdentity(decision=decision)
        assert track.embedding_due(EMBED_EVERY, alone)
    track.identity = TrackIdentity(decision="allowed")
    assert not track.embedding_due(EMBED_EVERY, alone)
    assert track.embedding_due(EMBED_EVERY, beside)  # tracks swap where people cross
    later = _FaceTrack(2, np.zeros(4), 0.0, last_embed_t=1.8, identity=track.identity)
    assert later.embedding_due(14 / 5, alone)  # 1.0 s in floating point


def _face(box: tuple[float, float, float, float]) -> Face:
    return Face(box, 0.9, np.zeros((5, 2), np.float32))


def test_two_faces_side_by_side_are_crowded_and_far_apart_are_not() -> None:
    from safewatch.vision.faces.stage import _crowded

    a, b, far = _face((0, 0, 40, 40)), _face((60, 0, 100, 40)), _face((300, 0, 340, 40))
    assert _crowded(a, [a, b]) and _crowded(b, [a, b])
    assert not _crowded(a, [a, far]) and not _crowded(a, [a])


def test_a_known_face_seen_again_after_a_gap_is_looked_at_at_once() -> None:
    """The offender steps where one of the household stood a moment before: he takes over
    her track, known as allowed; he is embedded at the next frame, not a second later."""
    stage = RecognitionStage(_stranger_list(), embedder=_Counting())
    face = _face((100, 100, 150, 150))
    [track] = stage._track([face], 0.0)
    assert not track.resumed
    [again] = stage._track([face], 0.2)
    assert again is track and not again.resumed  # the next analysed frame
    [later] = stage._track([face], 1.0)
    assert later is track and later.resumed
    track.identity, track.last_embed_t = TrackIdentity(decision="allowed"), 0.6
    assert track.embedding_due(1.0, crowded=False)
