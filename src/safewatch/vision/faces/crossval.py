"""Identity-disjoint, open-set cross-validation of face recognition (issue 20).

The people are split into five folds. For every ordered pair of folds (watch list, strangers):
- the watch-list fold's people are enrolled and their other photos are the genuine probes;
- the strangers' fold's probes are the impostors: people in neither the watch list nor the
  cohort, as a stranger at the door is;
- the other three folds are the cohort (for a scoring that uses one) and the people the
  threshold is chosen on, each of their impostors scored with its own identity left out.

So every threshold is chosen on other people than those it is measured on, and every pair of
people from different folds is compared once as a stranger and an enrolled person. The live
``Matcher`` is scored exactly as the camera scores; other scorings (the former cohort z-score,
the plain pipeline) are measured on the same folds in the same run for comparison.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from safewatch.vision.faces.matching import Matcher, tar_at_far
from safewatch.vision.faces.rates import far_upper_bound, supports
from safewatch.vision.faces.templates import TemplateSet

FOLDS = 5
SEED = 20

Scores = Callable[[np.ndarray], np.ndarray]
# A scoring: from the listed people and a cohort of others, a function scoring a probe.
Scoring = Callable[[list[TemplateSet], list[TemplateSet]], Scores]


def live_scoring(people: list[TemplateSet], cohort: list[TemplateSet]) -> Scores:
    return Matcher(people).scores


@dataclass(frozen=True)
class Fold:
    gallery: list[str]  # the watch list: measured on
    strangers: list[str]  # impostors: in neither gallery nor cohort
    training: list[str]  # the cohort, and the people the threshold is chosen on


def identity_folds(names: list[str], folds: int = FOLDS, seed: int = SEED) -> list[Fold]:
    """One fold per ordered pair of parts (watch list, strangers); the rest is training. A
    person is never in two roles of one fold."""
    if folds < 3:
        raise ValueError("at least 3 folds: a watch list, strangers and training people")
    order = sorted(names)
    random.Random(seed).shuffle(order)  # noqa: S311 - a fixed split, not a secret
    parts = [order[k::folds] for k in range(folds)]
    return [
        Fold(parts[k], parts[j], [n for i, p in enumerate(parts) if i not in (k, j) for n in p])
        for k in range(folds)
        for j in range(folds)
        if j != k
    ]


def _open_set_scores(
    people: dict[str, TemplateSet],
    probes: dict[str, list[np.ndarray]],
    names: list[str],
    scoring: Scoring,
) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor scores among ``names``, each impostor probe scored with its own
    identity left out of the gallery and the cohort (a stranger, not a crowd member)."""
    genuine: list[float] = []
    impostor: list[float] = []
    everyone = [people[n] for n in names]
    with_all = scoring(everyone, everyone)
    for k, name in enumerate(names):
        genuine.extend(float(with_all(v)[k]) for v in probes[name])
        others = [people[n] for n in names if n != name]
        without = scoring(others, others)
        for v in probes[name]:
            impostor.extend(float(s) for s in without(v))
    return np.array(genuine), np.array(impostor)


@dataclass
class CrossValidation:
    target_far: float
    thresholds: dict[tuple[str, ...], float] = field(default_factory=dict)  # by training set
    genuine: int = 0
    accepted: int = 0  # genuine probes at or under their fold's threshold
    impostor: int = 0  # strangers' comparisons
    false_matches: int = 0
    folds: int = 0
    training_impostors: list[int] = field(default_factory=list)  # per training set

    @property
    def threshold(self) -> float:
        """The threshold that transfers: the mean of those chosen on the training folds."""
        return float(np.mean(list(self.thresholds.values())))

    @property
    def tar(self) -> float:
        return self.accepted / self.genuine if self.genuine else 0.0

    @property
    def far(self) -> float:
        return self.false_matches / self.impostor if self.impostor else 0.0

    def report(self) -> dict[str, object]:
        chosen = list(self.thresholds.values())
        return {
            "folds": self.folds,
            "target_far": self.target_far,
            "genuine": self.genuine,
            "impostor_open_set": self.impostor,
            "tar": round(self.tar, 4) if self.genuine else None,
            "false_matches": self.false_matches,
            "far": round(self.far, 5),
            "far_upper_95": round(far_upper_bound(self.false_matches, self.impostor), 5),
            "threshold_mean": round(self.threshold, 3),
            "threshold_std": round(float(np.std(chosen)), 3),
            "threshold_range": [round(min(chosen), 3), round(max(chosen), 3)],
            # Each threshold rests on a training set's impostors: too few cannot place it at
            # the target FAR (it then sits on the second or third closest stranger).
            "training_impostors_min": min(self.training_impostors, default=0),
            "training_supports_target": supports(
                self.target_far, min(self.training_impostors, default=0)
            ),
        }


def cross_validate(
    people: dict[str, TemplateSet],
    probes: dict[str, list[np.ndarray]],
    target_far: float,
    scoring: Scoring = live_scoring,
    folds: int = FOLDS,
    seed: int = SEED,
    measured_on: dict[str, list[np.ndarray]] | None = None,
) -> CrossValidation:
    """``measured_on``: other probes of the same people to measure with (the same photos as a
    CCTV camera would see them, say), while thresholds are chosen on ``probes``."""
    measured = probes if measured_on is None else measured_on
    names = [n for n in people if probes.get(n) and measured.get(n)]
    result = CrossValidation(target_far)
    for fold in identity_folds(names, folds, seed):
        key = tuple(sorted(fold.training))
        if key not in result.thresholds:
            genuine, impostor = _open_set_scores(people, probes, fold.training, scoring)
            result.thresholds[key] = tar_at_far(genuine, impostor, target_far).threshold
            result.training_impostors.append(len(impostor))
        threshold = result.thresholds[key]
        result.folds += 1
        scores = scoring([people[n] for n in fold.gallery], [people[n] for n in fold.training])
        for k, name in enumerate(fold.gallery):
            for v in measured[name]:
                result.genuine += 1
                result.accepted += int(scores(v)[k] <= threshold)
        for name in fold.strangers:
            for v in measured[name]:
                found = scores(v)
                result.impostor += len(found)
                result.false_matches += int(np.sum(found <= threshold))
    return result
