"""Track ids from ByteTrack (the ``trackers`` library), and person ids that survive a track switch.

A tracker gives a walker a new id after an occlusion; rules that count time (loitering) or count
people (one intrusion each) need the same person to keep one id. ``PersonLinker`` gives a new track
the person id of one that vanished moments ago close by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker

PERSON_KEY = "person"
FOLLOW_SECONDS = 3.0  # how long after losing a person faint detections still carry them on


def foot_points(dets: sv.Detections) -> np.ndarray:
    """Bottom-centre of each box: where a person stands."""
    xyxy = dets.xyxy
    return np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]], axis=1)


def make_tracker(analyse_fps: float) -> ByteTrackTracker:
    return ByteTrackTracker(
        frame_rate=analyse_fps,
        lost_track_buffer=45,  # 1.5 s, counted in 30 fps frames by the library
        track_activation_threshold=0.5,
        minimum_consecutive_frames=2,
        minimum_iou_threshold=0.1,
        high_conf_det_threshold=0.55,
    )


@dataclass
class _Seen:
    person: int
    t: float
    x: float
    y: float
    vx: float = 0.0  # smoothed foot-point velocity, px/s
    vy: float = 0.0
    taken: bool = False  # a new track took this person over: it is not to be rejoined
    lost_at: float | None = None  # when a track last saw them, while faint detections follow

    def move(self, t: float, x: float, y: float) -> None:
        dt = t - self.t
        if dt > 0:
            self.vx = 0.5 * self.vx + 0.5 * (x - self.x) / dt
            self.vy = 0.5 * self.vy + 0.5 * (y - self.y) / dt
        self.t, self.x, self.y = t, x, y

    def expected(self, t: float) -> tuple[float, float]:
        """Where the person probably is now; damped, since people slow down and turn."""
        gap = t - self.t
        return self.x + 0.5 * self.vx * gap, self.y + 0.5 * self.vy * gap


class PersonLinker:
    def __init__(
        self, rejoin_seconds: float = 6.0, near: float = 0.06, drift: float = 0.05
    ) -> None:
        self.rejoin_seconds = rejoin_seconds
        # How far from where we expect a lost person they may turn up, in frame diagonals:
        # ``near`` plus ``drift`` per second unseen.
        self.near, self.drift = near, drift
        self._by_track: dict[int, _Seen] = {}
        self._next = 1

    def update(self, dets: sv.Detections, t: float, frame_size: tuple[int, int]) -> sv.Detections:
        """Adds ``data['person']``; detections without a track id get -1."""
        diagonal = math.hypot(*frame_size)
        ids = dets.tracker_id if dets.tracker_id is not None else np.full(len(dets), -1)
        feet = foot_points(dets) if len(dets) else np.zeros((0, 2))
        current = {int(i) for i in ids if i >= 0}
        lost = [s for tid, s in self._by_track.items() if tid not in current]
        persons = np.full(len(dets), -1, dtype=int)
        untracked = [(float(feet[k, 0]), float(feet[k, 1])) for k in range(len(ids)) if ids[k] < 0]
        self._follow(lost, untracked, t, diagonal)
        for k, tid in enumerate(int(i) for i in ids):
            if tid < 0:
                continue
            x, y = float(feet[k, 0]), float(feet[k, 1])
            seen = self._by_track.get(tid)
            if seen is None:
                seen = self._rejoin(lost, t, x, y, diagonal)
                self._by_track[tid] = seen
            seen.move(t, x, y)
            seen.lost_at = None
            persons[k] = seen.person
        # Forget tracks long gone, so memory stays flat over days.
        self._by_track = {
            tid: s for tid, s in self._by_track.items() if t - s.t <= 2 * self.rejoin_seconds
        }
        dets.data[PERSON_KEY] = persons
        return dets

    def _follow(
        self, lost: list[_Seen], boxes: list[tuple[float, float]], t: float, diagonal: float
    ) -> None:
        """A person lost moments ago goes on where a detection too faint to start a track is
        seen near them (someone coming out from behind another): a new track there is still
        them. Closest pairs first; each faint detection follows one person."""
        pairs = []
        for s in lost:
            gap = t - s.t
            lost_for = t - (s.t if s.lost_at is None else s.lost_at)
            if s.taken or gap <= 0 or lost_for > FOLLOW_SECONDS:
                continue
            ex, ey = s.expected(t)
            reach = (self.near + self.drift * gap) * diagonal
            for b in boxes:
                if (d := math.hypot(b[0] - ex, b[1] - ey)) <= reach:
                    pairs.append((d, id(s), s, b))
        followed: set[int] = set()
        used: set[tuple[float, float]] = set()
        for _, key, s, b in sorted(pairs, key=lambda p: p[0]):
            if key not in followed and b not in used:
                followed.add(key)
                used.add(b)
                s.lost_at = s.t if s.lost_at is None else s.lost_at
                s.move(t, *b)

    def _rejoin(self, lost: list[_Seen], t: float, x: float, y: float, diagonal: float) -> _Seen:
        best: _Seen | None = None
        best_score = 1.0
        for s in lost:
            gap = t - s.t
            if s.taken or not 0 < gap <= self.rejoin_seconds:
                continue
            ex, ey = s.expected(t)
            score = math.hypot(ex - x, ey - y) / ((self.near + self.drift * gap) * diagonal)
            if score <= best_score:
                best, best_score = s, score
        if best is not None:
            lost.remove(best)
            heir = _Seen(best.person, best.t, best.x, best.y, best.vx, best.vy)
            # Not to be rejoined by another track; but when the tracker revives the old track
            # (ByteTrack keeps lost tracks), it is still the same person.
            best.taken = True
            return heir
        self._next += 1
        return _Seen(self._next - 1, t, x, y)
