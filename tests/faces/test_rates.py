"""What a count of comparisons can say about a false-accept rate (issue 20): the 95 %
Clopper–Pearson upper bound, no TAR reported at a FAR the impostor count cannot back, and the
identity-disjoint, open-set cross-validation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from safewatch.vision.faces.crossval import (
    Scores,
    _open_set_scores,
    cross_validate,
    identity_folds,
    live_scoring,
)
from safewatch.vision.faces.evaluate import FaceEvaluation, _closed_set
from safewatch.vision.faces.matching import tar_at_far
from safewatch.vision.faces.rates import (
    far_upper_bound,
    lowest_supported_far,
    rate_upper_bound,
    supports,
)
from safewatch.vision.faces.templates import TemplateSet


@pytest.mark.parametrize(
    ("false_matches", "impostors", "bound"),
    [  # scipy.stats.beta.ppf(0.975, k + 1, n - k), the textbook form
        (0, 7638, 0.00048284745),
        (7, 7638, 0.00188736163),  # the shared set's operating point: 0.092 % seen
        (9, 1885, 0.00904412580),  # the held-out set of the issue: 0.48 % seen
        (70, 1885, 0.04668735943),  # its open-set strangers: 3.7 % seen
        (1, 100, 0.05445938539),
        (5, 10, 0.81291397155),
        (0, 3, 0.70759822618),
    ],
)
def test_the_upper_bound_is_clopper_pearsons(
    false_matches: int, impostors: int, bound: float
) -> None:
    assert far_upper_bound(false_matches, impostors) == pytest.approx(bound, rel=1e-6)


@pytest.mark.parametrize(
    ("events", "bound"),
    # chi2.ppf(0.975, 2k + 2) / 2, the exact (Garwood) upper end: checked with mpmath
    [(0, 3.68887945), (1, 5.57164339), (30, 42.8268654), (720, 774.568518)],
)
def test_the_rate_bound_is_garwoods(events: int, bound: float) -> None:
    assert rate_upper_bound(events, 1.0) == pytest.approx(bound, rel=1e-5)
    assert rate_upper_bound(events, 0.1) == pytest.approx(10 * bound, rel=1e-5)  # per hour


def test_edges() -> None:
    assert far_upper_bound(0, 0) == 1.0 and far_upper_bound(4, 4) == 1.0
    with pytest.raises(ValueError):
        far_upper_bound(5, 4)
    assert far_upper_bound(1, 10_000_000) < 6e-7  # millions of comparisons stay exact


def test_a_far_the_impostors_cannot_back_is_not_reported() -> None:
    assert lowest_supported_far(7638) == pytest.approx(4.83e-4, rel=1e-2)
    assert supports(1e-3, 7638) and not supports(1e-4, 7638)
    assert supports(1e-4, 40_000)  # about 37,000 impostors are needed for 1e-4
    rng = np.random.default_rng(7)
    evaluation = FaceEvaluation(identities=58)
    points = evaluation.points(1e-3)
    assert "not run" in str(points["cross_validation"])  # no people: no cross-validation
    closed = _closed_set(rng.normal(0.2, 0.05, 134), rng.normal(0.8, 0.1, 7638), 1e-3)
    assert closed["tar_at_far_0.0001"] is None  # the old report gave a TAR here
    assert closed["tar_at_far_0.001"] is not None and closed["tar_at_far_0.01"] is not None
    op = closed["operating_point"]
    assert op["supported"] and op["far"] <= op["far_upper_95"] <= 0.0025
    assert closed["protocol"].startswith("closed-set, superseded")


def test_folds_keep_the_measured_people_out_of_threshold_and_cohort() -> None:
    names = [f"p{k:02d}" for k in range(58)]
    folds = identity_folds(names)
    assert len(folds) == 20  # every ordered pair of five parts: (watch list, strangers)
    for fold in folds:
        watch, strangers, training = set(fold.gallery), set(fold.strangers), set(fold.training)
        assert not watch & strangers and not watch & training and not strangers & training
        assert watch | strangers | training == set(names)
        assert len(training) >= 11  # a cohort the former z-score needs
    watched = Counter(n for f in folds for n in f.gallery)
    assert set(watched) == set(names) and set(watched.values()) == {4}
    # every pair of people from different parts meets once as (listed, stranger)
    meetings = Counter((a, b) for f in folds for a in f.gallery for b in f.strangers)
    assert set(meetings.values()) == {1} and len(meetings) == 58 * 58 - sum(
        len(f.gallery) ** 2 for f in folds[::4]
    )


def _people(count: int, spread: float) -> tuple[dict[str, TemplateSet], dict[str, list[Any]]]:
    """Synthetic 128-d faces: each person a point on the sphere, photos scattered around it."""
    rng = np.random.default_rng(3)
    people, probes = {}, {}
    for k in range(count):
        centre = rng.normal(size=128)
        centre /= np.linalg.norm(centre)

        def photo() -> Any:
            v = centre + rng.normal(scale=spread, size=128)  # noqa: B023 - this person's
            return (v / np.linalg.norm(v)).astype(np.float32)

        name = f"p{k:02d}"
        people[name] = TemplateSet(name, "watch", np.stack([photo() for _ in range(3)]))
        probes[name] = [photo() for _ in range(3)]
    return people, probes


def test_cross_validation_counts_strangers_at_a_threshold_chosen_on_others() -> None:
    people, probes = _people(30, spread=0.05)
    cv = cross_validate(people, probes, target_far=1e-2)
    report = cv.report()
    assert report["folds"] == 20
    assert len(cv.thresholds) == 10  # a training set serves both orders of its two other parts
    assert report["genuine"] == 30 * 3 * 4  # every person's probes, on 4 folds' watch lists
    # every stranger's probe against each other part's people, once
    assert report["impostor_open_set"] == 30 * 3 * 24
    assert report["tar"] == 1.0 and report["far"] <= report["far_upper_95"]
    # each threshold is the one chosen on its training people alone, as a stranger is met
    fold = identity_folds(list(people))[0]
    genuine, impostor = _open_set_scores(people, probes, fold.training, live_scoring)
    chosen = tar_at_far(genuine, impostor, 1e-2).threshold
    assert cv.thresholds[tuple(sorted(fold.training))] == chosen
    assert cv.threshold == pytest.approx(np.mean(list(cv.thresholds.values())))


def test_the_threshold_is_chosen_on_other_people_than_it_is_measured_on() -> None:
    """A scoring that records who it is asked about: the threshold's training people never
    include the fold's watch list or strangers."""
    people, probes = _people(25, spread=0.05)
    asked: list[tuple[set[str], set[str]]] = []

    def recording(listed: list[TemplateSet], cohort: list[TemplateSet]) -> Scores:
        asked.append(({p.person for p in listed}, {p.person for p in cohort}))
        return live_scoring(listed, cohort)

    cross_validate(people, probes, 1e-2, recording)
    folds = identity_folds(list(people))
    trainings = [set(f.training) for f in folds]
    # Choosing a threshold scores people among themselves (listed = cohort): only ever
    # people of one training set, never everyone.
    choosing = [listed for listed, cohort in asked if listed == cohort]
    assert choosing and all(any(c <= t for t in trainings) for c in choosing)
    assert max(len(c) for c in choosing) == max(len(t) for t in trainings) < len(people)
    for fold in folds:  # measuring: the fold's watch list, with its training as the cohort
        assert (set(fold.gallery), set(fold.training)) in asked


def test_other_probes_are_measured_at_the_thresholds_chosen_on_the_clean_ones() -> None:
    """``measured_on``: a CCTV-like copy of the probes is measured, the thresholds stay those
    chosen on the photos (as the camera runs at the photos' threshold)."""
    people, probes = _people(25, spread=0.05)
    far_away = {n: [np.full(128, 10.0) for _ in vs] for n, vs in probes.items()}  # matches nobody
    clean = cross_validate(people, probes, 1e-2)
    blurred = cross_validate(people, probes, 1e-2, measured_on=far_away)
    assert blurred.thresholds == clean.thresholds
    assert clean.tar == 1.0 and blurred.tar == 0.0 and blurred.false_matches == 0
    assert blurred.genuine == clean.genuine and blurred.impostor == clean.impostor
