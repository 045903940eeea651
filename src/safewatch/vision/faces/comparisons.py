"""Scorings the evaluation measures beside the live one, on the same folds in the same run.

- ``cohort_z``: the former live scoring — each distance in standard deviations from the probe's
  distances to the nearest people of a cohort of other enrolled people (kept to show why it
  went: ``safewatch eval faces``'s ``cross_validation``).
- ``nearest_photo``: the plain pipeline any developer would build first (RetinaFace + dlib,
  nearest of up to three photos, no normalisation), run on descriptors without the mirrored
  view. A change to the live pipeline that does not beat it is not an improvement.
"""

from __future__ import annotations

import numpy as np

from safewatch.vision.faces.crossval import Scores
from safewatch.vision.faces.matching import Matcher
from safewatch.vision.faces.templates import TemplateSet

COHORT_TOP = 20  # nearest cohort people that described "the crowd" for a probe


def cohort_z(people: list[TemplateSet], cohort: list[TemplateSet]) -> Scores:
    members = {id(p) for p in people}
    crowd = [*people, *(c for c in cohort if id(c) not in members)]

    distances = Matcher(crowd).scores

    def scores(probe: np.ndarray) -> np.ndarray:
        d = distances(probe)
        out = np.empty(len(people))
        for k in range(len(people)):
            others = np.sort(np.delete(d, k))[:COHORT_TOP]
            out[k] = (d[k] - others.mean()) / max(float(others.std()), 1e-6)
        return out

    return scores


def nearest_photo(people: list[TemplateSet], cohort: list[TemplateSet]) -> Scores:
    def scores(probe: np.ndarray) -> np.ndarray:
        return np.array([np.min(np.linalg.norm(p.vectors - probe, axis=1)) for p in people])

    return scores
