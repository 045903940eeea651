"""How often the live face stage embeds a face (dlib: 0.1-0.3 s a face with its mirror, the
largest part of a camera's cost with people at the door). Undecided faces every 0.3 s; a face
decided as nobody listed about once a second, and at once when it comes closer. The face is
a real photograph that ships inside matplotlib (Grace Hopper, public domain)."""

from __future__ import annotations

import itertools
from functools import cache

import cv2
import numpy as np
from matplotlib import cbook

from safewatch.vision.detectors.base import person_detections
from safewatch.vision.faces.decisions import TrackIdentity
from safewatch.vision.faces.detector import Face
from safewatch.vision.faces.embedder import FaceEmbedder
from safewatch.vision.faces.stage import EMBED_EVERY, SETTLED_EVERY, FaceStage, _FaceTrack
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


def _stranger_list() -> list[TemplateSet]:
    """Someone listed who looks like nobody: every real face is far from him."""
    vector = np.random.default_rng(1).normal(size=(1, 128)).astype(np.float32)
    return [TemplateSet("listed", "watch", vector / np.linalg.norm(vector))]


def _play(widths: list[int]) -> tuple[_Counting, FaceStage]:
    embedder = _Counting()
    stage = FaceStage(_stranger_list(), embedder=embedder)
    nobody = person_detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))
    for i, width in enumerate(widths):  # analysed at 5 fps
        embedder.t = i / 5
        stage.attach(_scene(width), nobody, i / 5)
    return embedder, stage


def test_a_stranger_standing_at_the_door_is_embedded_about_once_a_second_once_decided() -> None:
    embedder, stage = _play([140] * 25)  # 5 s, the same face size
    [track] = stage._tracks
    assert track.identity.decision == "unknown"
    decided = embedder.calls[2]  # three shots that match nobody decide it
    later = [t for t in embedder.calls if t > decided]
    assert all(b - a >= SETTLED_EVERY - 1e-6 for a, b in itertools.pairwise([decided, *later]))
    assert len(later) >= 3  # still looked at: the same person may not stay behind the track
    assert len(embedder.calls) <= 3 + 5  # was 13: every other analysed frame


def test_a_stranger_coming_closer_is_embedded_again_as_his_face_grows() -> None:
    widths = [110] * 5 + [int(110 * 1.1**k) for k in range(1, 12)]  # from 1 s on
    embedder, _ = _play(widths)
    growing = [t for t in embedder.calls if t >= 1.0]
    gaps = [b - a for a, b in itertools.pairwise(growing)]
    assert len(growing) >= 4 and max(gaps) <= 0.4 + 1e-6  # as often as an undecided face


def _face(size: float) -> Face:
    return Face((0.0, 0.0, size, size), 0.9, np.zeros((5, 2), np.float32))


def test_only_a_settled_face_with_nobody_beside_it_waits_the_long_gap() -> None:
    """The performer of the shared clip: his far-away shots match nobody (0.49-0.51), then
    0.37, 0.32, 0.31 as his face reaches 80 px. A shot near someone listed, the offender's own
    track and a face with another beside it (tracks swap where people cross) keep the short
    gap."""
    track = _FaceTrack(1, np.zeros(4), 0.0, last_embed_t=0.0, last_embed_size=100.0)
    alone, beside = False, True
    assert not track.embedding_due(_face(100), EMBED_EVERY - 0.01, alone)
    assert track.embedding_due(_face(100), EMBED_EVERY, alone)  # uncertain
    track.identity = TrackIdentity(decision="unknown")
    assert not track.embedding_due(_face(100), EMBED_EVERY, alone)
    assert track.embedding_due(_face(100), EMBED_EVERY, beside)
    assert track.embedding_due(_face(100), SETTLED_EVERY, alone)
    assert track.embedding_due(_face(120), EMBED_EVERY, alone)  # a clearer view
    track.last_near = True  # its last shot was near someone listed: settle it quickly
    assert track.embedding_due(_face(100), EMBED_EVERY, alone)
    track.identity = TrackIdentity(decision="offender")  # whom he is must stay right
    assert track.embedding_due(_face(100), EMBED_EVERY, alone)
    track.identity = TrackIdentity(decision="allowed")
    assert not track.embedding_due(_face(100), EMBED_EVERY, alone)
    assert track.embedding_due(_face(100), EMBED_EVERY, beside)
    later = _FaceTrack(2, np.zeros(4), 0.0, last_embed_t=1.8, identity=track.identity)
    assert later.embedding_due(_face(100), 14 / 5, alone)  # 1.0 s in floating point


def test_two_faces_side_by_side_are_crowded_and_far_apart_are_not() -> None:
    from safewatch.vision.faces.stage import _crowded

    a, b = _face(40), Face((60.0, 0.0, 100.0, 40.0), 0.9, np.zeros((5, 2), np.float32))
    far = Face((300.0, 0.0, 340.0, 40.0), 0.9, np.zeros((5, 2), np.float32))
    assert _crowded(a, [a, b]) and _crowded(b, [a, b])
    assert not _crowded(a, [a, far]) and not _crowded(a, [a])
