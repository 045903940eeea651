"""What a count of comparisons can say about a false-accept rate (issue 20): the 95 %
Clopper–Pearson upper bound, and no TAR reported at a FAR the impostor count cannot back."""

from __future__ import annotations

import numpy as np
import pytest

from safewatch.vision.faces.evaluate import FaceEvaluation
from safewatch.vision.faces.rates import far_upper_bound, lowest_supported_far, supports


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
    evaluation = FaceEvaluation(
        identities=58,
        genuine=list(rng.normal(-5, 1, 134)),
        impostor=list(rng.normal(0, 1, 7638)),
    )
    points = evaluation.points(1e-3)
    assert points["tar_at_far_0.0001"] is None  # the old report gave a TAR here
    assert points["tar_at_far_0.001"] is not None and points["tar_at_far_0.01"] is not None
    op = points["operating_point"]
    assert op["supported"] and op["far"] <= op["far_upper_95"] <= 0.0025
