"""Track decisions and thresholds, on hand-made scores (no images needed)."""

from __future__ import annotations

import numpy as np
import pytest

from safewatch.vision.faces.decisions import Shot, TrackIdentity
from safewatch.vision.faces.matching import Matcher, tar_at_far
from safewatch.vision.faces.templates import TemplateSet

T = -2.0  # threshold: a shot matches when its score is at or below it
KINDS = ["watch", "allow"]


def run(*shots: tuple[int, float, float]) -> TrackIdentity:
    """Shots as (listed person, score, face size px), 0.2 s apart."""
    track = TrackIdentity()
    for i, (person, score, size) in enumerate(shots):
        track.add(Shot(i * 0.2, size, person, score))
        track.decide(T, KINDS, i * 0.2)  # type: ignore[arg-type]
    return track


@pytest.mark.parametrize(
    ("shots", "decision"),
    [
        ([(0, -3.0, 60)], "uncertain"),  # one glance is never enough
        ([(0, -4.0, 60), (0, -3.8, 60)], "offender"),  # two clearly agreeing shots
        ([(1, -4.0, 60), (1, -3.8, 60)], "allowed"),
        ([(0, -3.0, 60), (0, -2.9, 60), (0, -3.1, 60)], "uncertain"),  # a lookalike: just under
        ([(0, -5.0, 90)], "offender"),  # one very clear, large shot
        ([(0, -5.0, 60)], "uncertain"),  # …but not a small one
        ([(0, 1.0, 60), (0, 1.2, 60), (0, 0.9, 60)], "unknown"),
        ([(0, 1.0, 60), (0, -2.9, 60), (0, 0.8, 60), (0, -1.0, 60), (0, 0.5, 60)], "uncertain"),
        ([(0, -4.0, 60), (1, -4.0, 60)], "uncertain"),  # two shots, two different people
    ],
)
def test_track_decisions(shots: list[tuple[int, float, float]], decision: str) -> None:
    assert run(*shots).decision == decision


def test_a_decided_offender_stays_decided() -> None:
    track = run((0, -4.0, 60), (0, -4.0, 60), (0, 2.0, 40), (0, 2.0, 40), (0, 2.0, 40))
    assert track.decision == "offender" and track.person == 0 and track.score == -4.0


def test_early_poor_views_do_not_hold_back_a_clear_recognition() -> None:
    poor = [(0, 2.5, 55)] * 5
    good = [(0, -6.0, 82), (0, -5.0, 80), (0, -6.5, 84)]
    track = run(*poor, *good)
    assert track.decision == "offender"
    assert track.decided_at is not None and track.decided_at - 5 * 0.2 <= 1.0


def test_threshold_is_chosen_for_the_target_false_match_rate() -> None:
    rng = np.random.default_rng(3)
    impostor = rng.normal(0.0, 1.0, 100_000)
    genuine = rng.normal(-5.0, 1.0, 1_000)
    op = tar_at_far(genuine, impostor, 1e-3)
    assert op.far <= 1e-3 and op.far > 0.5e-3
    assert abs(op.threshold - (-3.09)) < 0.1  # the normal's 0.1 % quantile
    assert abs(op.tar - 0.972) < 0.02  # P(N(-5, 1) <= -3.09)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_cohort_normalisation_ranks_the_true_person_first() -> None:
    rng = np.random.default_rng(5)
    people = [
        TemplateSet(f"p{i}", "watch", np.stack([_unit(rng.normal(size=128))])) for i in range(15)
    ]
    probe = _unit(people[3].vectors[0] + 0.5 * _unit(rng.normal(size=128)))
    scores = Matcher(people, people).scores(probe)
    assert int(np.argmin(scores)) == 3 and scores[3] < -3
    with pytest.raises(ValueError, match="at least 11 enrolled people"):
        Matcher(people[:5], people[:5])


def test_not_the_offender_tightens_the_site_threshold_and_records_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from safewatch.vision.faces import thresholds

    path = tmp_path / "threshold.json"
    site = thresholds.load(path)
    assert site.threshold == thresholds.DEFAULT_THRESHOLD
    change = site.not_the_offender(-3.2, "incident 17: the neighbour, not the offender")
    assert change is not None and site.threshold == -3.7
    assert site.not_the_offender(-1.0, "weaker than the threshold already") is None  # never looser
    thresholds.save(path, site)
    again = thresholds.load(path)
    assert again.threshold == -3.7
    assert [c.reason for c in again.history] == ["incident 17: the neighbour, not the offender"]
    # The same lookalike now stays 'uncertain'.
    track = run((0, -3.2 - 1.4, 60), (0, -3.2 - 1.4, 60))
    track2 = TrackIdentity()
    for i, (p, s, z) in enumerate([(0, -4.6, 60), (0, -4.6, 60)]):
        track2.add(Shot(i * 0.2, z, p, s))
        track2.decide(again.threshold, KINDS, i * 0.2)  # type: ignore[arg-type]
    assert track.decision == "offender" and track2.decision == "uncertain"


def test_templates_of_an_ended_order_put_nobody_on_the_list() -> None:
    from datetime import date, timedelta

    from safewatch.vision.faces.stage import FaceStage

    rng = np.random.default_rng(9)
    people = [
        TemplateSet(f"p{i}", "watch", np.stack([_unit(rng.normal(size=128))])) for i in range(14)
    ]
    ended = TemplateSet("old", "watch", people[0].vectors, date.today() - timedelta(days=1))
    current = TemplateSet("new", "watch", people[1].vectors, date.today() + timedelta(days=30))
    stage = FaceStage(
        [ended, current],
        people[2:],
        -2.07,
        detector=object(),  # type: ignore[arg-type]
        embedder=object(),
    )  # type: ignore[arg-type]
    assert stage.lists.matcher.names == ["new"]
