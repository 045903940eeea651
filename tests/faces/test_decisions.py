"""Track decisions and thresholds, on hand-made scores (no images needed)."""

from __future__ import annotations

import numpy as np
import pytest

from safewatch.vision.faces.decisions import Shot, TrackIdentity
from safewatch.vision.faces.matching import Matcher, tar_at_far
from safewatch.vision.faces.templates import TemplateSet

T = 0.33  # threshold: a shot matches when its distance is at or below it
KINDS = ["watch", "allow"]


def run(*shots: tuple[int, float, float]) -> TrackIdentity:
    """Shots as (listed person, distance, face size px), 0.2 s apart."""
    track = TrackIdentity()
    for i, (person, score, size) in enumerate(shots):
        track.add(Shot(i * 0.2, size, person, score))
        track.decide(T, KINDS, i * 0.2)  # type: ignore[arg-type]
    return track


@pytest.mark.parametrize(
    ("shots", "decision"),
    [
        ([(0, 0.28, 60)], "uncertain"),  # one glance is never enough
        ([(0, 0.28, 60), (0, 0.29, 60)], "offender"),  # two clearly agreeing shots
        ([(1, 0.28, 60), (1, 0.29, 60)], "allowed"),
        ([(0, 0.325, 60), (0, 0.326, 60), (0, 0.324, 60)], "uncertain"),  # a lookalike: just under
        ([(0, 0.24, 90)], "offender"),  # one very clear, large shot
        ([(0, 0.24, 60)], "uncertain"),  # …but not a small one
        ([(0, 0.45, 60), (0, 0.47, 60), (0, 0.44, 60)], "unknown"),
        ([(0, 0.45, 60), (0, 0.30, 60), (0, 0.44, 60), (0, 0.34, 60), (0, 0.29, 60)], "uncertain"),
        ([(0, 0.28, 60), (1, 0.28, 60)], "uncertain"),  # two shots, two different people
    ],
)
def test_track_decisions(shots: list[tuple[int, float, float]], decision: str) -> None:
    assert run(*shots).decision == decision


def test_a_decided_offender_stays_decided() -> None:
    track = run((0, 0.28, 60), (0, 0.27, 60), (0, 0.6, 40), (0, 0.6, 40), (0, 0.6, 40))
    assert track.decision == "offender" and track.person == 0 and track.score == 0.27


def test_early_poor_views_do_not_hold_back_a_clear_recognition() -> None:
    """The shared Hamilton clip's performer: far away first (0.49-0.50 at 55 px), then
    close (0.31 at 80 px): named on the second close shot."""
    poor = [(0, 0.49, 55)] * 5
    good = [(0, 0.309, 80), (0, 0.309, 78), (0, 0.334, 77)]
    track = run(*poor, *good)
    assert track.decision == "offender"
    assert track.decided_at == pytest.approx(6 * 0.2)  # the second close shot


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


def test_the_nearest_person_scores_lowest_with_nobody_else_enrolled() -> None:
    """No cohort: one listed person is enough (a region's first home)."""
    rng = np.random.default_rng(5)
    people = [
        TemplateSet(f"p{i}", "watch", np.stack([_unit(rng.normal(size=128)) for _ in range(2)]))
        for i in range(3)
    ]
    probe = _unit(people[1].vectors[0] + 0.2 * _unit(rng.normal(size=128)))
    scores = Matcher(people).scores(probe)
    assert int(np.argmin(scores)) == 1
    fused = _unit(people[1].vectors.mean(axis=0))
    nearest = np.linalg.norm(people[1].vectors - probe, axis=1).min()
    assert scores[1] == pytest.approx(min(nearest, np.linalg.norm(fused - probe)), rel=1e-5)
    alone = Matcher([people[1]]).scores(probe)
    assert alone.tolist() == pytest.approx([scores[1]])


def test_not_the_offender_tightens_the_site_threshold_and_records_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from safewatch.vision.faces import thresholds

    path = tmp_path / "threshold.json"
    site = thresholds.load(path)
    assert site.threshold == thresholds.DEFAULT_THRESHOLD
    change = site.not_the_offender(0.30, "incident 17: the neighbour, not the offender")
    assert change is not None and site.threshold == pytest.approx(0.28)
    assert site.not_the_offender(0.5, "weaker than the threshold already") is None  # never looser
    assert site.not_the_offender(-3.1, "an event of the former z-score") is None
    thresholds.save(path, site)
    again = thresholds.load(path)
    assert again.threshold == pytest.approx(0.28)
    assert [c.reason for c in again.history] == ["incident 17: the neighbour, not the offender"]
    # The same lookalike now stays 'uncertain'.
    track = run((0, 0.30, 60), (0, 0.30, 60))
    track2 = TrackIdentity()
    for i, (p, s, z) in enumerate([(0, 0.30, 60), (0, 0.30, 60)]):
        track2.add(Shot(i * 0.2, z, p, s))
        track2.decide(again.threshold, KINDS, i * 0.2)  # type: ignore[arg-type]
    assert track.decision == "offender" and track2.decision == "uncertain"


def test_templates_of_an_ended_order_put_nobody_on_the_list() -> None:
    from datetime import date, timedelta

    from safewatch.vision.faces.stage import RecognitionStage

    rng = np.random.default_rng(9)
    people = [
        TemplateSet(f"p{i}", "watch", np.stack([_unit(rng.normal(size=128))])) for i in range(14)
    ]
    ended = TemplateSet("old", "watch", people[0].vectors, date.today() - timedelta(days=1))
    current = TemplateSet("new", "watch", people[1].vectors, date.today() + timedelta(days=30))
    stage = RecognitionStage(
        [ended, current],
        detector=object(),  # type: ignore[arg-type]
        embedder=object(),  # type: ignore[arg-type]
    )
    assert stage.lists.matcher.names == ["new"]


def test_a_threshold_file_of_the_former_scoring_is_not_applied(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A site file's threshold from before issue 20 was a cohort z-score (-3.5): as a
    distance it would never match; the calibrated one applies and the history stays."""
    import json

    from safewatch.vision.faces import thresholds

    path = tmp_path / "threshold.json"
    old_change = {"at": "2026-11-30T10:00:00+00:00", "before": -2.07, "after": -3.5, "reason": "x"}
    path.write_text(json.dumps({"threshold": -3.5, "history": [old_change]}))
    site = thresholds.load(path)
    assert site.threshold == thresholds.DEFAULT_THRESHOLD
    assert [(c.after, c.scoring) for c in site.history] == [(-3.5, "cohort-z")]
    site.not_the_offender(0.3, "the postman")
    thresholds.save(path, site)
    assert thresholds.load(path).threshold == pytest.approx(0.28)
