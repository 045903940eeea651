"""The face stage of the camera pipeline: faces found, tracked, embedded when useful, and
decided per track; the decision is attached to the person it belongs to."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import supervision as sv

from safewatch.vision.face_boxes import Boxes, around, grown, head_boxes, merged, touching
from safewatch.vision.faces.decisions import Shot, TrackIdentity
from safewatch.vision.faces.detector import Face, FaceDetector, overlap
from safewatch.vision.faces.embedder import FaceEmbedder
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD, Matcher
from safewatch.vision.faces.quality import MIN_SHOT_PX
from safewatch.vision.faces.templates import ListKind, TemplateSet
from safewatch.vision.privacy import BLUR_SCORE, WHOLE_LOOK_SECONDS
from safewatch.vision.rules import IDENTITY_KIND, IDENTITY_NAME, IDENTITY_SCORE
from safewatch.vision.tracking import PERSON_KEY

log = logging.getLogger(__name__)
EMBED_EVERY = 0.3  # seconds between embeddings of a face track
# A track decided as someone on the allow list (the household, on a list the caseworker
# keeps) is embedded again only every SETTLED_EVERY, to see that the same person is still
# behind it; every 0.3 s while another face is close by (tracks swap where people cross).
# (dlib's own network took 0.1-0.35 s a face with its mirror; ONNX Runtime ~9 ms.)
# Strangers are not slowed: a stranger decided "unknown" may still be the offender seen
# better (slowing them named the shared clip's performer 1.2-1.4 s after his face reached
# 80 px instead of within 1 s).
SETTLED_EVERY = 1.0
SAME_FACE_MAX = 0.6  # embedding distance beyond which a face track has switched to someone else
RECENT_FACE = 0.5  # seconds: a face track seen this recently is looked for where it was
FACE_MOVES = 1.0  # …within its own size on each side (a face at the door moves fast)
SEARCH_OVERLAP = 0.3  # of the smaller region: two regions covering each other this much merge
FACE_PERSON_BASE = 1_000_000  # person ids for faces seen without a person box


@dataclass
class _FaceTrack:
    id: int
    box: np.ndarray
    last_t: float
    identity: TrackIdentity = field(default_factory=TrackIdentity)
    last_embed_t: float = -1e9
    last_vector: np.ndarray | None = None
    # Seen again after a gap: whoever stands there now may have stepped into the place of
    # whom the track was (the offender where one of the household stood a moment before).
    resumed: bool = False

    def embedding_due(self, t: float, crowded: bool) -> bool:
        since = t - self.last_embed_t
        if self.identity.decision == "allowed" and not crowded and not self.resumed:
            return since >= SETTLED_EVERY - 1e-6
        return since >= EMBED_EVERY - 1e-6


@dataclass(frozen=True)
class _Lists:
    """What a face is compared with; replaced whole, so a frame never sees half a refresh."""

    people: list[TemplateSet]
    threshold: float
    matcher: Matcher
    kinds: list[ListKind]

    @classmethod
    def build(cls, people: list[TemplateSet], threshold: float) -> _Lists:
        today = date.today()
        expired = [t.person for t in people if not t.active(today)]
        if expired:  # an order that ended no longer puts anyone on a list
            log.info("templates expired with their order: %s", ", ".join(expired))
        people = [t for t in people if t.active(today)]
        kinds = [t.kind for t in people]
        return cls(people, threshold, Matcher(people), kinds)

    def fingerprint(self) -> tuple[object, ...]:
        return (
            self.threshold,
            tuple((t.person, t.kind, t.expires_on, t.vectors.tobytes()) for t in self.people),
        )


def _crowded(face: Face, faces: list[Face]) -> bool:
    """Another face within the face's own size of it (two people crossing)."""
    others = np.array([f.box for f in faces if f is not face], dtype=np.float32).reshape(-1, 4)
    near = grown(np.array([face.box], dtype=np.float32), 1.0)
    return bool(touching(near, others)[0])


class RecognitionStage:
    def __init__(
        self,
        lists: list[TemplateSet],
        threshold: float = DEFAULT_THRESHOLD,
        detector: FaceDetector | None = None,
        embedder: FaceEmbedder | None = None,
    ) -> None:
        self.lists = _Lists.build(lists, threshold)
        self.detector = detector or FaceDetector()
        self.embedder = embedder or FaceEmbedder()
        self._tracks: list[_FaceTrack] = []
        self._tracks_lists = self.lists
        self._next = 1
        self._found: tuple[float, Boxes] | None = None
        self._last_whole = -1e9

    @property
    def threshold(self) -> float:
        return self.lists.threshold

    def for_another_camera(self) -> RecognitionStage:
        """The same lists and models (enrolled and loaded once per site), tracks of its own."""
        return RecognitionStage(
            self.lists.people, self.lists.threshold, self.detector, self.embedder
        )

    def replace_lists(self, lists: list[TemplateSet], threshold: float) -> bool:
        """New lists from a refresh (another thread); False when nothing changed."""
        new = _Lists.build(lists, threshold)
        if new.fingerprint() == self.lists.fingerprint():
            return False
        self.lists = new
        return True

    def drop_expired(self) -> None:
        """When the hub cannot be reached, orders still end on time."""
        self.replace_lists(self.lists.people, self.lists.threshold)

    def _track(self, faces: list[Face], t: float) -> list[_FaceTrack]:
        self._tracks = [tr for tr in self._tracks if t - tr.last_t <= 2.0]
        matched: list[_FaceTrack] = []
        for face in faces:
            box = np.array(face.box)
            best = max(self._tracks, key=lambda tr: overlap(tr.box, box), default=None)
            if best is None or best in matched or overlap(best.box, box) < 0.2:
                best = _FaceTrack(self._next, box, t)
                self._next += 1
                self._tracks.append(best)
            best.resumed = t - best.last_t > EMBED_EVERY
            best.box, best.last_t = box, t
            matched.append(best)
        return matched

    def attach(self, frame_bgr: np.ndarray, dets: sv.Detections, t: float) -> sv.Detections:
        lists = self.lists
        if lists is not self._tracks_lists:  # person indices changed: decide afresh
            self._tracks, self._tracks_lists = [], lists
        # One search serves both: every face for blurring, the surer ones for recognition.
        score = self.detector.score_threshold
        found = self._look(frame_bgr, dets, t, min(BLUR_SCORE, score))
        self._found = (t, np.array([f.box for f in found], dtype=np.float32).reshape(-1, 4))
        faces = [f for f in found if f.score >= score]
        tracks = self._track(faces, t)
        rgb = None
        for face, track in zip(faces, tracks, strict=True):
            if face.width < MIN_SHOT_PX:
                continue
            if not track.embedding_due(t, _crowded(face, found)):
                continue
            rgb = rgb if rgb is not None else np.ascontiguousarray(frame_bgr[:, :, ::-1])
            vector = self.embedder.embed_chip(self.embedder.chip(rgb, face))
            if track.last_vector is not None and (
                float(np.linalg.norm(vector - track.last_vector)) > SAME_FACE_MAX
            ):
                # Someone else's face took this place (a cut, a crossing): start afresh.
                track.identity, track.id = TrackIdentity(), self._next
                self._next += 1
            size = min(face.width, face.height)
            track.last_vector, track.last_embed_t = vector, t
            scores = lists.matcher.scores(vector)
            best = int(np.argmin(scores))
            track.identity.add(Shot(t, size, best, float(scores[best])))
            track.identity.decide(lists.threshold, lists.kinds, t)
        return self._annotate(dets, faces, tracks, lists)

    def _look(self, bgr: np.ndarray, dets: sv.Detections, t: float, score: float) -> list[Face]:
        """The whole frame at most once a second while people are in view (issue 21: most
        of a busy camera's searching); in between, around their heads and the faces seen
        last, where a face can be. Nobody in view: the whole frame (a face close to the
        camera may come without a person box)."""
        if not len(dets) or not 0 <= t - self._last_whole < WHOLE_LOOK_SECONDS:
            self._last_whole = t
            return self.detector.detect(bgr, score)
        recent = [tr.box for tr in self._tracks if t - tr.last_t <= RECENT_FACE]
        faces = grown(np.array(recent, dtype=np.float32).reshape(-1, 4), FACE_MOVES)
        regions = np.concatenate([around(head_boxes(dets.xyxy), bgr), faces])
        # Regions that cover each other searched as one: the same pixels once, and a face at
        # one crop's edge whole in the union (door video: 367 → 475 faces in 151 frames).
        return self.detector.detect_in(bgr, merged(regions, SEARCH_OVERLAP), score)

    def faces(self, t: float) -> Boxes | None:
        """Every face ``attach`` found in the frame at ``t``, for blurring; None when it did
        not look at that frame."""
        if self._found is None or self._found[0] != t:
            return None
        return self._found[1]

    def _annotate(
        self, dets: sv.Detections, faces: list[Face], tracks: list[_FaceTrack], lists: _Lists
    ) -> sv.Detections:
        persons = dets.data.get(PERSON_KEY, np.full(len(dets), -1))
        kinds = np.array([None] * len(dets), dtype=object)
        names = np.array([None] * len(dets), dtype=object)
        scores = np.array([None] * len(dets), dtype=object)
        extra_boxes: list[tuple[float, float, float, float]] = []
        extra: list[tuple[str, str | None, float | None, int]] = []
        for face, track in zip(faces, tracks, strict=True):
            ident = track.identity
            if not ident.shots:
                continue
            name = lists.matcher.names[ident.person] if ident.person is not None else None
            cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
            owner = None
            for k, (x1, y1, x2, y2) in enumerate(dets.xyxy):
                if x1 <= cx <= x2 and y1 <= cy <= y1 + 0.6 * (y2 - y1) and persons[k] >= 0:
                    owner = k
                    break
            if owner is not None:
                kinds[owner], names[owner], scores[owner] = ident.decision, name, ident.score
            else:  # a face close to the camera, without a person box: report it on its own
                extra_boxes.append(face.box)
                extra.append((ident.decision, name, ident.score, FACE_PERSON_BASE + track.id))
        if extra:
            more = sv.Detections(
                xyxy=np.array(extra_boxes, dtype=np.float32),
                confidence=np.ones(len(extra), dtype=np.float32),
                class_id=np.zeros(len(extra), dtype=int),
                tracker_id=np.array([e[3] for e in extra], dtype=int),
            )
            more.data[PERSON_KEY] = np.array([e[3] for e in extra], dtype=int)
            base = dets if len(dets) else None
            if base is not None:
                base.data[PERSON_KEY] = np.asarray(persons)
            dets = sv.Detections.merge([d for d in (base, more) if d is not None])
            kinds = np.concatenate([kinds, np.array([e[0] for e in extra], dtype=object)])
            names = np.concatenate([names, np.array([e[1] for e in extra], dtype=object)])
            scores = np.concatenate([scores, np.array([e[2] for e in extra], dtype=object)])
        dets.data[IDENTITY_KIND] = kinds
        dets.data[IDENTITY_NAME] = names
        dets.data[IDENTITY_SCORE] = scores
        return dets
