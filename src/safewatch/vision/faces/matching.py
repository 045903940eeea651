"""Comparing faces with templates, with score normalisation, and choosing the threshold for a
target false-match rate.

A raw distance means different things for different faces (some faces are close to many
others). Each probe's distance to a person is therefore compared with its distances to the
nearest people of a cohort — everyone else enrolled in the region — and expressed in standard
deviations (a z-score): a match must stand out from the crowd, not only be near.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safewatch.vision.faces.templates import TemplateSet

# Calibrated with `safewatch eval faces ../shared/data/faces --far 1e-3` (58 people, 3-photo
# enrolment, 2026-11-25): the z-score threshold at a false-match rate of 0.1 %.
DEFAULT_THRESHOLD = -2.07
COHORT_TOP = 20  # nearest cohort people that describe "the crowd" for a probe
MIN_COHORT = 10


def fused(templates: TemplateSet) -> np.ndarray:
    v = np.asarray(templates.vectors.mean(axis=0), dtype=np.float32)
    return np.asarray(v / np.linalg.norm(v), dtype=np.float32)


def distance(probe: np.ndarray, templates: TemplateSet) -> float:
    """Distance of one face to a person: to the fused (mean) template and to the nearest photo,
    whichever is smaller — fusion smooths out one odd photo, nearest keeps a distinct look."""
    nearest = float(np.min(np.linalg.norm(templates.vectors - probe, axis=1)))
    return min(nearest, float(np.linalg.norm(fused(templates) - probe)))


class Matcher:
    """Scores a probe against listed people, normalised by a cohort of other people."""

    def __init__(self, people: list[TemplateSet], cohort: list[TemplateSet]) -> None:
        self.people = people
        self.names = [p.person for p in people]
        members = {id(p) for p in people}
        extra = [c for c in cohort if id(c) not in members]
        self._cohort = [*people, *extra]
        if len(self._cohort) - 1 < MIN_COHORT:
            raise ValueError(
                f"score normalisation needs at least {MIN_COHORT + 1} enrolled people in the "
                f"cohort, got {len(self._cohort)}"
            )

    def scores(self, probe: np.ndarray) -> np.ndarray:
        """One z-score per listed person (lower is a better match)."""
        d = np.array([distance(probe, c) for c in self._cohort])
        out = np.empty(len(self.people))
        for k in range(len(self.people)):
            others = np.sort(np.delete(d, k))[:COHORT_TOP]
            out[k] = (d[k] - others.mean()) / max(float(others.std()), 1e-6)
        return out


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
