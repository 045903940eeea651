"""Zone rules on hand-made detections: inertia, one intrusion per entry, loiter timers, identity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import supervision as sv
from hypothesis import given, settings
from hypothesis import strategies as st

from safewatch.vision.config import ZoneConfig
from safewatch.vision.rules import (
    IDENTITY_KIND,
    IDENTITY_NAME,
    IDENTITY_SCORE,
    BoundaryRule,
    IdentityRule,
    LoiterRule,
    UnidentifiedRule,
    zone_polygon,
)
from safewatch.vision.tracking import PERSON_KEY, PersonLinker

SIZE = (1000, 1000)
RIGHT_HALF = [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]


def people(*feet: tuple[float, float, int]) -> sv.Detections:
    """Persons standing at (x, y) in pixels, with a person id each."""
    boxes = [[x - 20, y - 100, x + 20, y] for x, y, _ in feet]
    dets = sv.Detections(
        xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
        confidence=np.full(len(feet), 0.9, dtype=np.float32),
        class_id=np.zeros(len(feet), dtype=int),
        tracker_id=np.array([p for *_, p in feet], dtype=int),
    )
    dets.data[PERSON_KEY] = np.array([p for *_, p in feet], dtype=int)
    return dets


def boundary(inertia: int = 2) -> BoundaryRule:
    zone = ZoneConfig(name="yard", kind="boundary", polygon=RIGHT_HALF, inertia_frames=inertia)
    return BoundaryRule(zone, zone_polygon(zone, SIZE))


def run(rule: BoundaryRule, xs: list[float], dt: float = 0.2, armed: bool = True) -> list[float]:
    """Walk person 1 along x positions; returns the times intrusions fired."""
    fired = []
    for i, x in enumerate(xs):
        t = i * dt
        if rule.update(people((x, 500, 1)), t, armed):
            fired.append(round(t, 1))
    return fired


def test_entering_fires_once_after_inertia() -> None:
    assert run(boundary(), [100, 300, 600, 650, 700, 750]) == [0.6]  # 2nd frame inside


def test_one_frame_of_flicker_is_not_an_intrusion() -> None:
    assert run(boundary(), [100, 600, 100, 600, 100, 100]) == []


def test_staying_inside_or_edge_jitter_does_not_repeat() -> None:
    xs = [600, 650, 700] + [490, 510] * 5 + [700] * 5  # feet on the edge for 2 s
    assert run(boundary(), xs) == [0.2]


def test_leaving_for_a_while_then_returning_is_a_new_entry() -> None:
    xs = [600, 650] + [100] * 20 + [600, 650]  # 4 s outside
    assert run(boundary(), xs) == [0.2, 4.6]


def test_disarmed_zone_is_silent_and_arming_with_someone_inside_fires() -> None:
    rule = boundary()
    assert run(rule, [600, 650, 700], armed=False) == []
    assert rule.update(people((700, 500, 1)), 1.0, True)


def test_every_person_counts_once() -> None:
    rule = boundary()
    hits = []
    for t in (0.0, 0.2, 0.4):
        hits += rule.update(people((600, 500, 1), (800, 300, 2), (100, 100, 3)), t, True)
    assert sorted(h.person for h in hits) == [1, 2]


def loiter(seconds: float = 10.0) -> LoiterRule:
    zone = ZoneConfig(name="street", kind="perimeter", polygon=RIGHT_HALF, loiter_seconds=seconds)
    return LoiterRule(zone, zone_polygon(zone, SIZE))


def test_loitering_after_the_set_time_once() -> None:
    rule = loiter(10)
    fired = [t / 5 for t in range(0, 100) if rule.update(people((700, 500, 1)), t / 5, True)]
    assert fired == [10.0]


def test_short_gaps_do_not_reset_the_clock_long_ones_do() -> None:
    rule = loiter(10)
    times = [t / 5 for t in range(0, 30)] + [t / 5 for t in range(50, 60)]  # 4 s gap at 6–10 s
    fired = [t for t in times if rule.update(people((700, 500, 1)), t, True)]
    assert fired == [10.0]
    rule = loiter(10)
    times = [t / 5 for t in range(0, 30)] + [t / 5 for t in range(70, 130)]  # 8 s gap
    fired = [t for t in times if rule.update(people((700, 500, 1)), t, True)]
    assert fired == [24.0]  # the clock restarted at 14 s


def test_identity_rule_offender_anywhere_stranger_only_inside() -> None:
    rule = IdentityRule()
    dets = people((100, 100, 1), (700, 500, 2), (800, 500, 3))
    dets.data[IDENTITY_KIND] = np.array(["offender", "unknown", "allowed"], dtype=object)
    dets.data[IDENTITY_NAME] = np.array(["Oh Tae-seok", None, "Min"], dtype=object)
    dets.data[IDENTITY_SCORE] = np.array([0.91, None, 0.8], dtype=object)
    hits = rule.update(dets, inside={2: "yard", 3: "yard"})
    assert [(h.type, h.person, h.zone, h.identity) for h in hits] == [
        ("offender_recognized", 1, None, "Oh Tae-seok"),
        ("stranger", 2, "yard", None),
    ]
    assert rule.update(dets, inside={2: "yard", 3: "yard"}) == []  # once per person


def _faces(*kinds: str | None) -> sv.Detections:
    """Persons 1 (in the yard) and 2 (outside it), as the face stage saw them this frame."""
    dets = people((700, 500, 1), (100, 500, 2))
    dets.data[IDENTITY_KIND] = np.array(list(kinds), dtype=object)
    return dets


def test_a_person_whose_face_is_never_usable_in_the_zone_is_unidentified_once() -> None:
    """Daegu 2025: the offender came masked. No face the stage could compare, 20 s inside an
    armed boundary zone: unidentified_person (not an offender alert), once; a short absence
    does not restart the clock; outside the zone nothing counts."""
    rule = UnidentifiedRule({"yard": 20.0})
    fired = []
    for k in range(0, 130):  # 0.2 s frames, 26 s
        t = k * 0.2
        if 40 <= k < 50:  # 2 s out of sight (behind the gas pipe)
            continue
        hits = rule.update(_faces(None, None), inside={1: "yard"}, t=t)
        fired += [(round(t, 1), h.type, h.zone, h.person) for h in hits]
    assert fired == [(20.0, "unidentified_person", "yard", 1)]


def test_a_face_seen_once_or_no_face_stage_means_no_unidentified_alert() -> None:
    rule = UnidentifiedRule({"yard": 20.0})
    rule.update(_faces("uncertain", None), inside={1: "yard"}, t=0.0)  # his face, once
    hits = [rule.update(_faces(None, None), inside={1: "yard"}, t=k * 0.5) for k in range(1, 80)]
    assert not any(hits)
    blind = UnidentifiedRule({"yard": 20.0})  # no face stage: nothing is known of faces
    hits = [blind.update(people((700, 500, 1)), inside={1: "yard"}, t=k * 0.5) for k in range(80)]
    assert not any(hits)


def test_zones_take_their_kinds_defaults_however_they_are_built() -> None:
    """Found while adding unidentified_seconds: a perimeter zone built by its constructor kept
    loiter_seconds None (pydantic drops an after-validator's copy there), and its loiter rule
    then fired the moment anyone stepped in."""
    door = {"name": "door", "kind": "boundary", "polygon": RIGHT_HALF}
    walk = {"name": "walk", "kind": "perimeter", "polygon": RIGHT_HALF}
    for zone in (ZoneConfig(**door), ZoneConfig.model_validate(door)):  # type: ignore[arg-type]
        assert zone.unidentified_seconds == 20.0 and zone.loiter_seconds is None
    for zone in (ZoneConfig(**walk), ZoneConfig.model_validate(walk)):  # type: ignore[arg-type]
        assert zone.loiter_seconds == 20.0 and zone.unidentified_seconds is None
    with pytest.raises(ValueError, match="boundary zones"):
        ZoneConfig(name="p", kind="perimeter", polygon=RIGHT_HALF, unidentified_seconds=5)


def test_uncertain_identity_never_raises_an_offender_alert() -> None:
    dets = people((700, 500, 1))
    dets.data[IDENTITY_KIND] = np.array(["uncertain"], dtype=object)
    assert IdentityRule().update(dets, inside={1: "yard"}) == []


def test_linker_keeps_the_person_across_a_track_switch() -> None:
    linker = PersonLinker()
    a = linker.update(people((100, 500, 7)), 0.0, SIZE)
    linker.update(people((140, 500, 7)), 1.0, SIZE)
    b = linker.update(people((250, 500, 9)), 3.0, SIZE)  # new track id after 2 s unseen
    c = linker.update(people((900, 100, 11)), 3.0, SIZE)  # someone far away is someone else
    assert a.data[PERSON_KEY][0] == b.data[PERSON_KEY][0]
    assert c.data[PERSON_KEY][0] != a.data[PERSON_KEY][0]


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(0, 999),
    y=st.floats(101, 999),
    corners=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=8),
)
def test_zone_trigger_is_the_foot_point_in_the_polygon(
    x: float, y: float, corners: list[tuple[float, float]]
) -> None:
    """Property: the trigger agrees with OpenCV's point-in-polygon on the box's bottom centre."""
    import cv2

    zone = ZoneConfig(name="z", kind="boundary", polygon=corners)
    polygon = zone_polygon(zone, SIZE)
    inside = bool(polygon.trigger(people((x, y, 1)))[0])
    contour = polygon.polygon.reshape(-1, 1, 2).astype(np.int32)
    distance = cv2.pointPolygonTest(contour, (round(x), round(y)), True)
    if abs(distance) > 2:  # away from the edge, where pixel rounding decides
        assert inside == (distance > 0)


@pytest.mark.parametrize(
    ("start", "end", "day", "at", "armed"),
    [
        ("22:00", "06:00", 0, "23:30", True),
        ("22:00", "06:00", 0, "05:00", True),  # Monday's early hours belong to Sunday's window
        ("22:00", "06:00", 6, "05:00", False),  # Sunday 05:00 would be Saturday's window
        ("22:00", "06:00", 0, "12:00", False),
        ("09:00", "17:00", 0, "09:00", True),
        ("09:00", "17:00", 0, "17:00", False),
    ],
)
def test_arm_windows(start: str, end: str, day: int, at: str, armed: bool) -> None:
    from datetime import datetime

    days = [6] if day == 0 and at < end and start > end else [day]
    zone = ZoneConfig(
        name="z",
        kind="boundary",
        polygon=RIGHT_HALF,
        armed=[{"start": start, "end": end, "days": days}],
    )  # type: ignore[list-item]
    monday = datetime(2026, 11, 23 + day, int(at[:2]), int(at[3:]))
    assert zone.armed_at(monday) is armed


# --- Properties of the rules over any walk ----------------------------------------------------

DT = 0.2  # s between analysed frames
walks = st.lists(st.booleans(), min_size=1, max_size=80)  # inside the zone at each frame


def _walk(rule: BoundaryRule | LoiterRule, inside: list[bool], armed: bool = True) -> list[int]:
    """Person 1 inside (x=750) or outside (x=250) the right half; the frames that fired."""
    return [
        i
        for i, flag in enumerate(inside)
        if rule.update(people((750 if flag else 250, 500, 1)), i * DT, armed)
    ]


@settings(max_examples=300, deadline=None)
@given(inside=walks, inertia=st.integers(1, 4))
def test_an_intrusion_fires_after_inertia_once_per_entry_and_is_never_missed(
    inside: list[bool], inertia: int
) -> None:
    rule = boundary(inertia)
    fired = _walk(rule, inside)
    for hit in fired:  # never on flicker: `inertia` frames inside up to the hit
        assert all(inside[hit - inertia + 1 : hit + 1]) and hit - inertia + 1 >= 0
    for a, b in itertools.pairwise(fired):  # a new entry needs a real exit in between:
        spans, start = [], None  # seen outside without a break for exit_seconds
        for i in range(a, b):
            if not inside[i]:
                start = i if start is None else start
                spans.append((i - start) * DT)
            else:
                start = None
        assert spans and max(spans) >= rule.exit_seconds - 1e-9
    runs = "".join("1" if f else "0" for f in inside).split("0")
    if any(len(run) >= inertia for run in runs):  # someone stayed long enough: told
        assert fired
    assert _walk(boundary(inertia), inside, armed=False) == []


@settings(max_examples=300, deadline=None)
@given(inside=walks, loiter=st.sampled_from([0.4, 1.0, 2.0]))
def test_loitering_fires_only_after_the_set_time_in_the_zone_and_is_never_missed(
    inside: list[bool], loiter: float
) -> None:
    zone = ZoneConfig(name="door", kind="perimeter", polygon=RIGHT_HALF, loiter_seconds=loiter)
    rule = LoiterRule(zone, zone_polygon(zone, SIZE), gap_seconds=0.5)
    fired = _walk(rule, inside)
    frames = [i for i, f in enumerate(inside) if f]
    # Stays: frames inside, split where the person was away longer than the gap.
    stays: list[list[int]] = []
    for i in frames:
        if stays and (i - stays[-1][-1]) * DT <= rule.gap_seconds + 1e-9:
            stays[-1].append(i)
        else:
            stays.append([i])
    for hit in fired:
        stay = next(s for s in stays if hit in s)
        assert (hit - stay[0]) * DT >= loiter - 1e-9  # not before the set time
    for stay in stays:
        fired_in = [h for h in fired if h in stay]
        assert len(fired_in) <= 1  # once per stay
        if (stay[-1] - stay[0]) * DT >= loiter + 1e-9:
            assert fired_in, stay  # a stay long enough is always reported
