"""``safewatch eval faces``: identity folders → enrol up to 3 photos, probe with the rest.

The figures that count are the open-set cross-validation's (``crossval``): the live scoring,
beside the former cohort z-score and the plain pipeline on the same folds. The closed-set
figures (the threshold chosen on the very people it is measured on) are kept beside them,
marked, for comparison with the old reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from safewatch.core.progress import Step
from safewatch.vision.faces.comparisons import cohort_z, nearest_photo
from safewatch.vision.faces.crossval import SEED, cross_validate
from safewatch.vision.faces.embedder import ENROL_PADDING
from safewatch.vision.faces.enrol import Enroller, PhotoCheck
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD, Matcher, tar_at_far
from safewatch.vision.faces.rates import far_upper_bound, lowest_supported_far, supports
from safewatch.vision.faces.templates import TemplateSet

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
SPLITS = 10  # other fold splits the live figure is run on: how much it moves with the split
FARS = (1e-2, 1e-3, 1e-4)
# Five folds, each with people in it and a cohort of at least 11 for the z-score comparison.
MIN_PEOPLE_FOR_CV = 20

People = dict[str, TemplateSet]
Probes = dict[str, list[np.ndarray]]


def photos_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _closed_set(genuine: np.ndarray, impostor: np.ndarray, target_far: float) -> dict[str, Any]:
    """The threshold chosen on the same comparisons it is reported on: flattering."""
    op = tar_at_far(genuine, impostor, target_far)
    false_matches = round(op.far * len(impostor))
    result: dict[str, Any] = {
        "protocol": "closed-set, superseded by cross_validation",
        "genuine": len(genuine),
        "impostor": len(impostor),
        "lowest_supported_far": round(lowest_supported_far(len(impostor)), 6),
    }
    for far in FARS:  # no rate below what the impostor count can back: None
        supported = supports(far, len(impostor))
        result[f"tar_at_far_{far:g}"] = (
            round(tar_at_far(genuine, impostor, far).tar, 4) if supported else None
        )
    result["operating_point"] = {
        "target_far": target_far,
        "supported": supports(target_far, len(impostor)),
        "threshold": round(op.threshold, 4),
        "far": round(op.far, 5),
        "far_upper_95": round(far_upper_bound(false_matches, len(impostor)), 5),
        "frr": round(op.frr, 4),
    }
    return result


@dataclass
class FaceEvaluation:
    identities: int = 0
    refused: list[PhotoCheck] = field(default_factory=list)
    people: People = field(default_factory=dict)  # as the live pipeline enrols
    probes: Probes = field(default_factory=dict)
    plain_people: People = field(default_factory=dict)  # the plain pipeline's descriptors
    plain_probes: Probes = field(default_factory=dict)

    def closed_set_scores(self) -> tuple[np.ndarray, np.ndarray]:
        matcher = Matcher(list(self.people.values()))
        genuine: list[float] = []
        impostor: list[float] = []
        for name, vectors in self.probes.items():
            for v in vectors:
                for other, score in zip(matcher.names, matcher.scores(v), strict=True):
                    (genuine if other == name else impostor).append(float(score))
        return np.array(genuine), np.array(impostor)

    def points(self, target_far: float) -> dict[str, Any]:
        result: dict[str, Any] = {
            "identities": self.identities,
            "refused_photos": len(self.refused),
            "default_threshold": DEFAULT_THRESHOLD,
        }
        if len(self.people) < MIN_PEOPLE_FOR_CV:
            result["cross_validation"] = (
                f"not run: {MIN_PEOPLE_FOR_CV} people are needed, {len(self.people)} given"
            )
        else:
            live = cross_validate(self.people, self.probes, target_far)
            others = [
                cross_validate(self.people, self.probes, target_far, seed=SEED + k)
                for k in range(1, SPLITS + 1)
            ]
            tars = [round(cv.tar, 4) for cv in others]
            result["cross_validation"] = {
                "live": live.report(),
                "live_over_other_splits": {
                    "splits": SPLITS,
                    "tar_min": min(tars),
                    "tar_mean": round(float(np.mean(tars)), 4),
                    "tar_max": max(tars),
                    "far_max": round(max(cv.far for cv in others), 5),
                },
                "cohort_z_former": cross_validate(
                    self.people, self.probes, target_far, cohort_z
                ).report(),
                # the live scoring on the plain descriptors: what the flip and the
                # enrolment jitter add, apart from the scoring
                "live_scoring_plain_descriptors": cross_validate(
                    self.plain_people, self.plain_probes, target_far
                ).report(),
                "plain_pipeline": cross_validate(
                    self.plain_people, self.plain_probes, target_far, nearest_photo
                ).report(),
            }
        genuine, impostor = self.closed_set_scores()
        if len(impostor):
            result["closed_set"] = _closed_set(genuine, impostor, target_far)
        return result


def evaluate_folders(
    root: Path, enroller: Enroller, enrol_count: int = 3, step: Step = lambda: None
) -> FaceEvaluation:
    """Per identity: enrol the first ``enrol_count`` photos that pass the enrolment checks
    (keeping at least one photo to probe with); every other photo with a face is a probe.
    ``step`` is called once per photo read."""
    result = FaceEvaluation()
    embedder = enroller.embedder
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = photos_of(folder)
        enrolled: list[tuple[np.ndarray, np.ndarray]] = []  # (plain, live)
        probes: list[tuple[np.ndarray, np.ndarray]] = []
        for path in photos:
            if len(enrolled) < enrol_count and len(photos) - len(enrolled) > 1:
                check = enroller.check_file(path)
                if check.accepted and check.chip is not None and check.vector is not None:
                    # the live vector as enrolment makes it; the plain one for the baseline
                    enrolled.append((embedder.plain(check.chip), check.vector))
                    step()
                    continue
                result.refused.append(check)
            bgr = cv2.imread(str(path))
            chip = enroller.probe_chip(bgr)
            if chip is not None:
                # the plain pipeline crops its probes as dlib does, as it enrols
                plain = enroller.probe_chip(bgr, ENROL_PADDING)
                assert plain is not None
                probes.append((embedder.plain(plain), embedder.embed_chip(chip)))
            step()
        if enrolled and probes:
            name = folder.name
            result.people[name] = TemplateSet(name, "watch", np.stack([v for _, v in enrolled]))
            result.probes[name] = [v for _, v in probes]
            result.plain_people[name] = TemplateSet(
                name, "watch", np.stack([p for p, _ in enrolled])
            )
            result.plain_probes[name] = [p for p, _ in probes]
    result.identities = len(result.people)
    return result


def count_photos(root: Path) -> int:
    return sum(len(photos_of(f)) for f in root.iterdir() if f.is_dir())
