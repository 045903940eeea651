"""Identity-disjoint, open-set cross-validation of face recognition (issue 20).

The people are split into folds. For each fold:
- the threshold is chosen on the *other* people only (the training folds), each impostor
  scored without its own identity in gallery or cohort, as a stranger at the door is;
- the fold's people are the watch list (gallery), the training people the region's cohort,
  and the next fold's people are **strangers** — in neither gallery nor cohort — whose probes
  are the impostors;
- the fold's genuine probes and the strangers' comparisons are counted at that threshold.

The same ``Matcher`` (the live pipeline's scoring) does every comparison.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from safewatch.vision.faces.matching import Matcher, tar_at_far
from safewatch.vision.faces.rates import far_upper_bound
from safewatch.vision.faces.templates import TemplateSet

FOLDS = 5
SEED = 20


@dataclass(frozen=True)
class Fold:
    gallery: list[str]  # the watch list: measured on
    strangers: list[str]  # impostors: in neither gallery nor cohort
    training: list[str]  # the cohort, and the people the threshold is chosen on


def identity_folds(names: list[str], folds: int = FOLDS, seed: int = SEED) -> list[Fold]:
    """Each person is on the watch list in one fold and a stranger in another; never both in
    one fold, never in the training of a fold that measures them."""
    if folds < 3:
        raise ValueError("at least 3 folds: a watch list, strangers and training people")
    order = sorted(names)
    random.Random(seed).shuffle(order)  # noqa: S311 - a fixed split, not a secret
    parts = [order[k::folds] for k in range(folds)]
    out = []
    for k in range(folds):
        strangers = parts[(k + 1) % folds]
        training = [n for j, p in enumerate(parts) if j not in (k, (k + 1) % folds) for n in p]
        out.append(Fold(parts[k], strangers, training))
    return out


def _open_set_scores(
    people: dict[str, TemplateSet], probes: dict[str, list[np.ndarray]], names: list[str]
) -> tuple[list[float], list[float]]:
    """Genuine and impostor scores among ``names``, each impostor probe scored with its own
    identity left out of the gallery and the cohort (a stranger, not a crowd member)."""
    genuine: list[float] = []
    impostor: list[float] = []
    everyone = [people[n] for n in names]
    with_all = Matcher(everyone, everyone)
    for name in names:
        for v in probes[name]:
            genuine.append(float(with_all.scores(v)[with_all.names.index(name)]))
        others = [people[n] for n in names if n != name]
        without = Matcher(others, others)
        for v in probes[name]:
            impostor.extend(float(s) for s in without.scores(v))
    return genuine, impostor


@dataclass
class CrossValidation:
    target_far: float
    thresholds: list[float]
    genuine: int = 0
    accepted: int = 0  # genuine probes at or under their fold's threshold
    impostor: int = 0  # strangers' comparisons
    false_matches: int = 0

    def report(self) -> dict[str, object]:
        far = self.false_matches / self.impostor if self.impostor else 0.0
        return {
            "folds": len(self.thresholds),
            "target_far": self.target_far,
            "genuine": self.genuine,
            "impostor_open_set": self.impostor,
            "tar": round(self.accepted / self.genuine, 4) if self.genuine else None,
            "far": round(far, 5),
            "far_upper_95": round(far_upper_bound(self.false_matches, self.impostor), 5),
            "thresholds": [round(t, 3) for t in self.thresholds],
            "threshold_mean": round(float(np.mean(self.thresholds)), 3),
        }


def cross_validate(
    people: dict[str, TemplateSet],
    probes: dict[str, list[np.ndarray]],
    target_far: float,
    folds: int = FOLDS,
) -> CrossValidation:
    names = [n for n in people if probes.get(n)]
    result = CrossValidation(target_far, [])
    for fold in identity_folds(names, folds):
        genuine, impostor = _open_set_scores(people, probes, fold.training)
        threshold = tar_at_far(np.array(genuine), np.array(impostor), target_far).threshold
        result.thresholds.append(threshold)
        watch = [people[n] for n in fold.gallery]
        matcher = Matcher(watch, [people[n] for n in fold.training])
        for name in fold.gallery:
            k = matcher.names.index(name)
            for v in probes[name]:
                result.genuine += 1
                result.accepted += int(matcher.scores(v)[k] <= threshold)
        for name in fold.strangers:
            for v in probes[name]:
                scores = matcher.scores(v)
                result.impostor += len(scores)
                result.false_matches += int(np.sum(scores <= threshold))
    return result
