"""Zone rules. Geometry is supervision's ``PolygonZone`` (foot point in polygon); the rules keep
per-person state fed by its masks: inertia against flicker, loiter timers tolerant to gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import supervision as sv

from safewatch.vision.config import ZoneConfig
from safewatch.vision.tracking import PERSON_KEY

IDENTITY_KIND = "identity_kind"  # offender / allowed / unknown / uncertain, from the face stage
IDENTITY_NAME = "identity"
IDENTITY_SCORE = "identity_score"


@dataclass(frozen=True)
class RuleHit:
    type: str  # intrusion, loitering, stranger, offender_recognized
    zone: str | None
    person: int
    index: int  # row in the detections of this frame, for the snapshot box
    identity: str | None = None
    score: float | None = None


def zone_polygon(zone: ZoneConfig, frame_size: tuple[int, int]) -> sv.PolygonZone:
    w, h = frame_size
    points = np.array([[x * (w - 1), y * (h - 1)] for x, y in zone.polygon]).round().astype(int)
    return sv.PolygonZone(points, triggering_anchors=(sv.Position.BOTTOM_CENTER,))


def persons(dets: sv.Detections) -> np.ndarray:
    found = dets.data.get(PERSON_KEY)
    return np.asarray(found) if found is not None else np.full(len(dets), -1)


@dataclass
class BoundaryRule:
    """Intrusion once per entry: inside for ``inertia`` analysed frames in a row; a person must
    be seen out for ``exit_seconds`` before a new entry counts (feet on the edge flicker)."""

    zone: ZoneConfig
    polygon: sv.PolygonZone
    exit_seconds: float = 3.0
    _streak: dict[int, int] = field(default_factory=dict)
    _out_since: dict[int, float] = field(default_factory=dict)
    _seen: dict[int, float] = field(default_factory=dict)
    inside: set[int] = field(default_factory=set)

    def update(self, dets: sv.Detections, t: float, armed: bool) -> list[RuleHit]:
        mask = self.polygon.trigger(dets) if len(dets) else np.zeros(0, dtype=bool)
        hits: list[RuleHit] = []
        for k, person in enumerate(int(p) for p in persons(dets)):
            if person < 0:
                continue
            self._seen[person] = t
            if mask[k]:
                self._out_since.pop(person, None)
                self._streak[person] = self._streak.get(person, 0) + 1
                entered = self._streak[person] >= self.zone.inertia_frames
                if armed and entered and person not in self.inside:
                    self.inside.add(person)
                    hits.append(RuleHit("intrusion", self.zone.name, person, k))
            else:
                self._streak[person] = 0
                since = self._out_since.setdefault(person, t)
                if t - since >= self.exit_seconds:
                    self.inside.discard(person)
        for person in [p for p, seen in self._seen.items() if t - seen > 60]:
            self._seen.pop(person, None)
            self._streak.pop(person, None)
            self._out_since.pop(person, None)
            self.inside.discard(person)
        return hits


@dataclass
class LoiterRule:
    """Loitering when one person has been in the zone ``loiter_seconds``; absences shorter than
    ``gap_seconds`` (occlusion, a missed detection, a re-linked track) do not restart the clock."""

    zone: ZoneConfig
    polygon: sv.PolygonZone
    gap_seconds: float = 5.0
    _first: dict[int, float] = field(default_factory=dict)
    _last: dict[int, float] = field(default_factory=dict)
    _fired: set[int] = field(default_factory=set)

    def update(self, dets: sv.Detections, t: float, armed: bool) -> list[RuleHit]:
        mask = self.polygon.trigger(dets) if len(dets) else np.zeros(0, dtype=bool)
        hits: list[RuleHit] = []
        for k, person in enumerate(int(p) for p in persons(dets)):
            if person < 0 or not mask[k]:
                continue
            if person not in self._last or t - self._last[person] > self.gap_seconds:
                self._first[person] = t
                self._fired.discard(person)
            self._last[person] = t
            limit = self.zone.loiter_seconds or 0.0
            if armed and person not in self._fired and t - self._first[person] >= limit:
                self._fired.add(person)
                hits.append(RuleHit("loitering", self.zone.name, person, k))
        for person in [p for p, last in self._last.items() if t - last > 4 * self.gap_seconds]:
            self._last.pop(person)
            self._first.pop(person, None)
            self._fired.discard(person)
        return hits


@dataclass
class IdentityRule:
    """Offender recognised (anywhere in view) and stranger (an unknown person inside a boundary
    zone), from the decisions the face stage attaches; each once per person, and an offender
    once per ``repeat_seconds`` however many tracks they are seen on."""

    repeat_seconds: float = 60.0
    _offenders: set[int] = field(default_factory=set)
    _strangers: set[int] = field(default_factory=set)
    _named_at: dict[str, float] = field(default_factory=dict)

    def update(self, dets: sv.Detections, inside: dict[int, str], t: float = 0.0) -> list[RuleHit]:
        kinds = dets.data.get(IDENTITY_KIND)
        if kinds is None:
            return []
        names = dets.data.get(IDENTITY_NAME, [None] * len(dets))
        scores = dets.data.get(IDENTITY_SCORE, [None] * len(dets))
        hits: list[RuleHit] = []
        for k, person in enumerate(int(p) for p in persons(dets)):
            if person < 0:
                continue
            kind = kinds[k]
            score = None if scores[k] is None else float(scores[k])
            if kind == "offender" and person not in self._offenders:
                self._offenders.add(person)
                name = str(names[k])
                if t - self._named_at.get(name, -1e9) < self.repeat_seconds:
                    continue
                self._named_at[name] = t
                hits.append(
                    RuleHit("offender_recognized", inside.get(person), person, k, names[k], score)
                )
            elif kind == "unknown" and person in inside and person not in self._strangers:
                self._strangers.add(person)
                hits.append(RuleHit("stranger", inside[person], person, k, None, score))
        return hits


@dataclass
class UnidentifiedRule:
    """The masked visitor (Daegu, June 2025: the offender came masked, past a face-recognition
    camera): a person inside an armed boundary zone whose face was never usable — no face
    the stage could compare, in any frame — for the zone's ``unidentified_seconds``. Once per
    person; a face seen once identifies the person for good; absences shorter than
    ``gap_seconds`` do not restart the clock. Without a face stage nothing is known of faces,
    so nothing is raised."""

    seconds: dict[str, float]  # boundary zone name → unidentified_seconds
    gap_seconds: float = 5.0
    _first: dict[int, float] = field(default_factory=dict)
    _last: dict[int, float] = field(default_factory=dict)
    _seen: dict[int, float] = field(default_factory=dict)
    _faced: set[int] = field(default_factory=set)
    _fired: set[int] = field(default_factory=set)

    def update(self, dets: sv.Detections, inside: dict[int, str], t: float) -> list[RuleHit]:
        kinds = dets.data.get(IDENTITY_KIND)
        if kinds is None:
            return []
        hits: list[RuleHit] = []
        for k, person in enumerate(int(p) for p in persons(dets)):
            if person < 0:
                continue
            self._seen[person] = t
            if person in self._fired:
                continue
            if kinds[k] is not None:
                self._faced.add(person)
            zone = inside.get(person)
            if zone is None or person in self._faced:
                continue
            if person not in self._last or t - self._last[person] > self.gap_seconds:
                self._first[person] = t
            self._last[person] = t
            limit = self.seconds.get(zone)
            if limit is not None and t - self._first[person] >= limit:
                self._fired.add(person)
                hits.append(RuleHit("unidentified_person", zone, person, k))
        for person in [p for p, seen in self._seen.items() if t - seen > 60]:
            for kept in (self._seen, self._first, self._last):
                kept.pop(person, None)
            self._faced.discard(person)
            self._fired.discard(person)
        return hits


@dataclass
class LastIdentities:
    """Each person as the face stage last decided, by person id: a frame's zone rules run
    before the stage looks at it (an intrusion's alert does not wait for recognition), and
    its snapshot must still keep a recognised offender's face clear."""

    limit: int = 500
    _known: dict[int, tuple[object, object, object]] = field(default_factory=dict)

    def remember(self, dets: sv.Detections) -> None:
        kinds = dets.data.get(IDENTITY_KIND)
        if kinds is None:
            return
        names = dets.data.get(IDENTITY_NAME, [None] * len(dets))
        scores = dets.data.get(IDENTITY_SCORE, [None] * len(dets))
        people = [int(p) for p in persons(dets)]
        if len(self._known) > self.limit:  # only those in view are worth keeping
            self._known = {p: v for p, v in self._known.items() if p in people}
        for k, person in enumerate(people):
            if person >= 0 and kinds[k] is not None:
                self._known[person] = (kinds[k], names[k], scores[k])

    def recalled(self, dets: sv.Detections) -> sv.Detections:
        """``dets`` with the identities last decided for its people (none for the others)."""
        if not self._known or not len(dets) or IDENTITY_KIND in dets.data:
            return dets
        last = [self._known.get(int(p), (None, None, None)) for p in persons(dets)]
        data = dict(dets.data)  # a copy: the face stage gets this frame's detections as they are
        for key, k in ((IDENTITY_KIND, 0), (IDENTITY_NAME, 1), (IDENTITY_SCORE, 2)):
            data[key] = np.array([v[k] for v in last], dtype=object)
        return replace(dets, data=data)
