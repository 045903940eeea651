"""Comparing a face with listed people, and choosing the threshold for a target false-match rate.

A score is the descriptor distance from a face to a person: to the nearest enrolled photo or
to the person's fused (mean) template, whichever is smaller — lower is a better match. It needs
nobody else enrolled, so a region's first home has recognition from its first offender.

Scores used to be normalised against a cohort of other enrolled people (z-scores). Measured
open-set, with strangers in neither watch list nor cohort and the threshold chosen on other
people (issue 20; ``safewatch eval faces``), the distance recognised 96.1 % of the shared
probes where the cohort's z-score recognised 79.5 %, at the same false-match rate: a stranger
is not one of the cohort, and the crowd the cohort describes is the wrong crowd for him.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safewatch.vision.faces.templates import TemplateSet

# What a score and a threshold measure. Thresholds recorded under another scoring (the hub's
# "not the offender" history) are kept for the record and not applied.
SCORING = "distance"
# From the identity-disjoint cross-validation of `safewatch eval faces ../shared/data/faces`
# at FAR 0.1 % (2026-12-06): the mean of the thresholds chosen on the training folds.
DEFAULT_THRESHOLD = 0.334


def fused(templates: TemplateSet) -> np.ndarray:
    v = np.asarray(templates.vectors.mean(axis=0), dtype=np.float32)
    return np.asarray(v / np.linalg.norm(v), dtype=np.float32)


class Matcher:
    """Scores a probe against the listed people (one distance each)."""

    def __init__(self, people: list[TemplateSet]) -> None:
        self.people = people
        self.names = [p.person for p in people]
        self._fused = np.stack([fused(p) for p in people]) if people else np.empty((0, 128))

    def scores(self, probe: np.ndarray) -> np.ndarray:
        """One distance per listed person (lower is a better match): to the fused (mean)
        template or the nearest photo, whichever is smaller — fusion smooths out one odd
        photo, nearest keeps a distinct look."""
        out = np.linalg.norm(self._fused - probe, axis=1)
        for k, person in enumerate(self.people):
            out[k] = min(out[k], float(np.min(np.linalg.norm(person.vectors - probe, axis=1))))
        return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float  # match when score <= threshold
    far: float  # impostor pairs that would match
    frr: float  # genuine pairs that would not
    tar: float


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> OperatingPoint:
    """The largest threshold whose false-match rate on the impostor scores is at most ``far``."""
    imp = np.sort(impostor)
    allowed = int(np.floor(far * len(imp)))  # impostor pairs we may accept
    threshold = float(imp[allowed] - 1e-6) if allowed < len(imp) else float(imp[-1])
    actual_far = float(np.mean(impostor <= threshold))
    tar = float(np.mean(genuine <= threshold)) if len(genuine) else 0.0
    return OperatingPoint(threshold, actual_far, 1.0 - tar, tar)
