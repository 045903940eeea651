"""Bystanders' faces blurred in what the victim and the guards see; the recognised offender's
face stays clear, so the victim can tell who is at the door. The unblurred originals travel
beside the blurred pictures, for police eyes only (the hub audits every opening).

It fails towards privacy: every face the detector finds is blurred unless it lies on the
recognised offender, and so is the head of every other person the person detector saw, in
case the face detector missed a turned or distant face.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import av
import cv2
import numpy as np
import supervision as sv

from safewatch.vision.clips import FrameEdit
from safewatch.vision.config import PrivacyConfig
from safewatch.vision.face_boxes import (
    Boxes,
    around,
    grown,
    head_boxes,
    merged,
    no_boxes,
    on_offender,
    padded,
    paths,
    touching,
)
from safewatch.vision.faces.detector import FaceDetector
from safewatch.vision.motion import DIFF_LEVEL, small_luma
from safewatch.vision.rules import IDENTITY_KIND

MOSAIC_BLOCKS = 6  # a face becomes 6 × 6 flat blocks, then smoothed: nobody is recognisable
# Less sure than recognition needs (0.8): a patch blurred for nothing costs little, a face
# left clear does not.
BLUR_SCORE = 0.5
STILL_SHARE = 0.001  # fewer changed pixels than this since the last look: the faces stay put
# A clip's frame is searched whole at most this often; in between only around the people the
# analysis saw (issue 21: the whole-frame search was most of a clip's cost). A face the person
# detector missed is found at the next whole look, and covered back to the last one.
WHOLE_LOOK_SECONDS = 1.0
# The live stage's faces are of a frame up to a sighting window away, on the other stream:
# where a clip's frame takes them, they are blurred grown by this share on each side (where
# the face can have moved), since nothing searched that frame itself.
MOVED = 0.5
SAME = 0.8  # boxes of one face found by several looks cover each other by this much or more
MEMORY_CAP = 1000  # whole looks remembered, at most (a minute of two streams is ~120)


@dataclass(frozen=True)
class Sighting:
    """What the analysis knew at one analysed frame, for blurring the frames of a clip."""

    t: float
    offenders: Boxes  # boxes of people recognised as the offender
    heads: Boxes  # heads of everyone else
    # The faces the live recognition found in the frame (None: it did not look). A clip's
    # frame at this time needs no search of its own around the people (issue 21).
    faces: Boxes | None = None


def sighting(t: float, dets: sv.Detections, faces: Boxes | None = None) -> Sighting:
    offender = offender_mask(dets)
    return Sighting(t, dets.xyxy[offender].copy(), head_boxes(dets.xyxy[~offender]), faces)


def moved(
    sightings: Iterable[Sighting], shift: float, scale: tuple[float, float]
) -> list[Sighting]:
    """Sightings on another stream of the camera: ``shift`` seconds later on its clock, its
    picture ``scale`` times as large (the record stream's, for its clips)."""
    by = np.array([scale[0], scale[1], scale[0], scale[1]], dtype=np.float32)
    return [
        Sighting(
            s.t + shift, s.offenders * by, s.heads * by, None if s.faces is None else s.faces * by
        )
        for s in sightings
    ]


def offender_mask(dets: sv.Detections) -> np.ndarray:
    kinds = dets.data.get(IDENTITY_KIND)
    if kinds is None:
        return np.zeros(len(dets), dtype=bool)
    return np.array([k == "offender" for k in kinds], dtype=bool)


@dataclass(frozen=True)
class Redaction:
    """What to blur in one frame, and what to leave clear (the offender's face)."""

    blur: Boxes
    keep: Boxes

    @property
    def empty(self) -> bool:
        return not len(self.blur)


def redaction(faces: Boxes, offenders: Boxes, heads: Boxes) -> Redaction:
    keep = on_offender(faces, offenders)
    return Redaction(np.concatenate([faces[~keep], heads]), faces[keep])


def blurred(bgr: np.ndarray, redaction: Redaction) -> np.ndarray:
    """A copy of the frame with the redaction applied (the frame itself is not changed)."""
    out = bgr.copy()
    _redact(out, redaction.blur, redaction.keep)
    return out


def blurred_frame(frame: av.VideoFrame, redaction: Redaction) -> av.VideoFrame:
    """A new frame with the redaction applied, blurred in its own YUV 4:2:0 planes when it
    has them (issue 21: converting each frame of a clip to BGR and back cost more than the
    blur)."""
    w, h = frame.width, frame.height
    if frame.format.name != "yuv420p" or w % 2 or h % 2:
        bgr = blurred(frame.to_ndarray(format="bgr24"), redaction)
        return av.VideoFrame.from_ndarray(bgr, format="bgr24")
    planes = frame.to_ndarray()  # a copy: Y, then U and V at half the size, back to back
    flat = planes.reshape(-1)
    cw, ch = w // 2, h // 2
    _redact(flat[: w * h].reshape(h, w), redaction.blur, redaction.keep)
    for k in range(2):
        chroma = flat[w * h + k * cw * ch : w * h + (k + 1) * cw * ch].reshape(ch, cw)
        _redact(chroma, redaction.blur / 2, redaction.keep / 2)
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def _redact(picture: np.ndarray, blur: Boxes, keep: Boxes) -> None:
    """Mosaics the ``blur`` boxes of a picture (or of one plane of it) in place; the
    offender's own face (``keep``) is put back where a bystander's blur reached over it."""
    h, w = picture.shape[:2]
    kept = [
        (box, picture[box[1] : box[3], box[0] : box[2]].copy()) for box in padded(keep, w, h, 0)
    ]
    for x1, y1, x2, y2 in padded(blur, w, h):
        region = picture[y1:y2, x1:x2]
        if region.size == 0:
            continue
        blocks = cv2.resize(region, (MOSAIC_BLOCKS, MOSAIC_BLOCKS), interpolation=cv2.INTER_AREA)
        mosaic = cv2.resize(blocks, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
        picture[y1:y2, x1:x2] = mosaic
    for (x1, y1, x2, y2), pixels in kept:
        picture[y1:y2, x1:x2] = pixels


class FaceFinder:
    """Faces for blurring, looked for on a frame scaled to at most ``max_side`` pixels: faces
    smaller than that leaves findable are too small to recognise anyone by."""

    def __init__(self, detector: FaceDetector, max_side: int) -> None:
        self.detector = detector
        self.max_side = max_side

    def find(self, bgr: np.ndarray) -> Boxes:
        h, w = bgr.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        small = bgr if scale == 1.0 else cv2.resize(bgr, None, fx=scale, fy=scale)
        faces = self.detector.detect(small)
        if not faces:
            return no_boxes()
        boxes: Boxes = np.array([f.box for f in faces], dtype=np.float32) / np.float32(scale)
        return boxes

    def find_around(self, bgr: np.ndarray, regions: Boxes) -> Boxes:
        """Faces within the regions (people's heads), each searched on its own crop."""
        faces = self.detector.detect_in(bgr, around(regions, bgr))
        return np.array([f.box for f in faces], dtype=np.float32).reshape(-1, 4)


def passing(before: Boxes, after: Boxes, offenders: Boxes, heads: Boxes) -> Redaction:
    """A frame between two looks: the offender's face kept clear where it was, where it is
    next and on his way between the two; every other face blurred, and so is any way from his
    face to someone else's (a union of the two had its centre on him: hers was kept clear)."""
    kb, ka = on_offender(before, offenders), on_offender(after, offenders)
    others = np.concatenate([before[~kb], after[~ka]])
    his_way = paths(before[kb], after[ka])
    clear = ~touching(his_way, others)  # his way is kept clear only where nobody else is
    blur = [others, paths(before[~kb], after[~ka]), paths(before[kb], after[~ka])]
    blur += [paths(before[~kb], after[ka]), his_way[~clear], heads]
    keep = np.concatenate([before[kb], after[ka], his_way[clear]]).astype(np.float32)
    return Redaction(np.concatenate(blur).astype(np.float32), keep)


def nearest(sightings: Sequence[Sighting], t: float, within: float) -> Sighting | None:
    best = min(sightings, key=lambda s: abs(s.t - t), default=None)
    return best if best is not None and abs(best.t - t) <= within else None


class Redactor:
    """Decides what to blur in a picture (at once, from what the analysis knows) or in a clip
    (after its post-roll, looking at its frames ``detect_fps`` times a second)."""

    def __init__(
        self,
        finder: FaceFinder,
        detect_fps: float,
        sighting_window: float,
        memory_seconds: float = 60.0,
        clip_max_side: int | None = None,
        clip_max_kbps: int | None = None,
    ) -> None:
        self.finder = finder
        self.clip_max_side = clip_max_side  # the clip shown is encoded at most this large
        self.clip_max_kbps = clip_max_kbps  # and at most at this bit rate
        self.detect_fps = detect_fps
        self.sighting_window = sighting_window  # how far a sighting still tells who is who
        # Faces found per frame (stream number, time): clips of events close together share
        # their frames.
        self.memory_seconds = memory_seconds
        self._memory: dict[tuple[str, float], Boxes] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: PrivacyConfig, analyse_fps: float) -> Redactor | None:
        if not config.blur_faces:
            return None
        finder = FaceFinder(FaceDetector(score_threshold=BLUR_SCORE), config.max_side)
        window = 1.5 / analyse_fps
        return cls(
            finder,
            config.detect_fps,
            window,
            clip_max_side=config.clip_max_side,
            clip_max_kbps=config.clip_max_kbps,
        )

    def picture(
        self, bgr: np.ndarray, dets: sv.Detections, faces: Boxes | None = None
    ) -> Redaction:
        """For a frame the analysis has just seen (``dets``: its people, with who they are);
        ``faces``: the frame's, when it has been searched already."""
        found = sighting(0.0, dets)
        faces = self.finder.find(bgr) if faces is None else faces
        return redaction(faces, found.offenders, found.heads)

    def _remember(self, stream: str, t: float, faces: Boxes) -> None:
        with self._lock:
            self._memory[(stream, round(t, 3))] = faces
            # (per stream: the shared encode and a clip blurred alone keep theirs side by side;
            # a reconnected stream's old name is let go by the cap, oldest first)
            old = [k for k in self._memory if k[0] == stream and k[1] < t - self.memory_seconds]
            old += list(self._memory)[: max(0, len(self._memory) - len(old) - MEMORY_CAP)]
            for key in set(old):
                del self._memory[key]

    def _recall(self, stream: str, t: float) -> Boxes | None:
        with self._lock:
            return self._memory.get((stream, round(t, 3)))

    def clip(
        self,
        stream: str,
        frames: Iterable[av.VideoFrame],
        sightings: Sequence[Sighting],
        offset: float = 0.0,
        whole_last: int | None = None,
    ) -> list[Redaction]:
        """One redaction per frame of a clip of the stream named ``stream``, in order; a frame's
        time + ``offset`` is its time on the stream's clock. ``whole_last``: the index of the
        last frame, to be searched whole whatever else (a part of a longer clip: the frames
        before it need the whole look after them)."""
        times: list[float] = []
        looked: dict[int, Boxes] = {}
        whole: dict[int, Boxes] = {}  # frames searched whole
        borrowed: set[int] = set()  # frames given the live stage's faces
        last, last_luma, last_faces = -1e9, None, no_boxes()
        last_whole = -1e9
        for i, frame in enumerate(frames):
            t = float(frame.time) + offset if frame.time is not None else last
            times.append(t)
            known = self._recall(stream, t) if frame.time is not None else None
            if known is not None:  # searched whole for an earlier clip of this stream
                looked[i] = whole[i] = last_faces = known
                last = last_whole = t
                last_luma = small_luma(frame)
            elif i == whole_last or frame.time is None or t - last >= 1 / self.detect_fps - 1e-6:
                luma = small_luma(frame)
                if i != whole_last and still(luma, last_luma):  # the faces are where they were
                    looked[i], last = last_faces, t
                    continue
                seen = nearest(sightings, t, self.sighting_window)
                due = t - last_whole >= WHOLE_LOOK_SECONDS or i == whole_last
                if seen is None or frame.time is None or due:
                    looked[i] = whole[i] = self.finder.find(frame.to_ndarray(format="bgr24"))
                    last_whole = t
                elif seen.faces is not None:  # the live recognition looked at this moment
                    looked[i] = seen.faces
                    borrowed.add(i)
                else:  # around the people only; the whole looks either side are added below
                    people = np.concatenate([seen.heads, head_boxes(seen.offenders)])
                    bgr = frame.to_ndarray(format="bgr24")
                    looked[i] = self.finder.find_around(bgr, people)
                last_faces, last, last_luma = looked[i], t, luma
                if frame.time is not None and i in whole:
                    self._remember(stream, t, looked[i])
        # A frame searched only around people also gets the faces of the whole looks before
        # and after it: someone the person detector missed stays covered (towards privacy).
        wholes = sorted(whole)
        for i in [k for k in looked if k not in whole and wholes]:
            k = bisect.bisect(wholes, i)
            around = [whole[wholes[j]] for j in (k - 1, k) if 0 <= j < len(wholes)]
            # the same face found by several looks once (not a union of nearby faces: which
            # face is the offender's is told by each face's own centre, below)
            looked[i] = merged(np.concatenate([looked[i], *around]).astype(np.float32), SAME)
        at = sorted(looked)
        plan = []
        for i, t in enumerate(times):
            seen = nearest(sightings, t, self.sighting_window)
            offenders, heads = (seen.offenders, seen.heads) if seen else (no_boxes(), no_boxes())
            if i in looked:
                step, sources = redaction(looked[i], offenders, heads), {i}
            else:
                k = bisect.bisect(at, i)
                after = looked[at[k]] if k < len(at) else no_boxes()
                step = passing(looked[at[k - 1]], after, offenders, heads)
                sources = set(at[max(0, k - 1) : k + 1])
            if sources & borrowed:  # the offender's face (keep) is not grown over others
                step = Redaction(grown(step.blur, MOVED), step.keep)
            plan.append(Redaction(merged(step.blur), step.keep))
        return plan


def still(luma: np.ndarray, reference: np.ndarray | None) -> bool:
    """No face can have come or gone: hardly a pixel changed since the frame looked at last
    (the empty pre-roll of most clips, a person standing still)."""
    if reference is None or reference.shape != luma.shape:
        return False
    return float((cv2.absdiff(luma, reference) > DIFF_LEVEL).mean()) < STILL_SHARE


def frame_edit(plan: Sequence[Redaction], width: int | None = None) -> FrameEdit:
    """Applies a clip's plan frame by frame as the clip is encoded. ``width``: the width the
    plan's boxes were found at, when the frames come scaled (the clip shown is smaller than
    the original: blurring the smaller frame costs less)."""

    def edit(i: int, frame: av.VideoFrame) -> av.VideoFrame:
        if i >= len(plan):  # never let a frame through unlooked-at
            raise ValueError("the clip decoded to more frames than were looked at for faces")
        if plan[i].empty:
            return frame
        scale = np.float32(frame.width / width if width else 1.0)
        return blurred_frame(frame, Redaction(plan[i].blur * scale, plan[i].keep * scale))

    return edit
