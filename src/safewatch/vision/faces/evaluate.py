"""``safewatch eval faces``: identity folders → enrol up to 3 photos, probe with the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from safewatch.vision.faces.crossval import cross_validate
from safewatch.vision.faces.enrol import Enroller, PhotoCheck
from safewatch.vision.faces.matching import Matcher, OperatingPoint, tar_at_far
from safewatch.vision.faces.rates import far_upper_bound, lowest_supported_far, supports
from safewatch.vision.faces.templates import TemplateSet

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
FARS = (1e-2, 1e-3, 1e-4)
# Five folds with a cohort of at least 11 training people: about 20 people at least.
MIN_PEOPLE_FOR_CV = 20


def photos_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


@dataclass
class FaceEvaluation:
    identities: int = 0
    genuine: list[float] = field(default_factory=list)
    impostor: list[float] = field(default_factory=list)
    refused: list[PhotoCheck] = field(default_factory=list)
    people: dict[str, TemplateSet] = field(default_factory=dict)
    probes: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def points(self, target_far: float) -> dict[str, Any]:
        g, i = np.array(self.genuine), np.array(self.impostor)
        result: dict[str, Any] = {
            "identities": self.identities,
            "genuine": len(g),
            "impostor": len(i),
            "refused_photos": len(self.refused),
        }
        # No rate below what the impostor count can back: such a TAR is None, and said why.
        result["lowest_supported_far"] = round(lowest_supported_far(len(i)), 6)
        for far in FARS:
            supported = supports(far, len(i))
            result[f"tar_at_far_{far:g}"] = (
                round(tar_at_far(g, i, far).tar, 4) if supported else None
            )
        op: OperatingPoint = tar_at_far(g, i, target_far)
        false_matches = round(op.far * len(i))
        result["operating_point"] = {
            "target_far": target_far,
            "supported": supports(target_far, len(i)),
            "threshold": round(op.threshold, 4),
            "far": round(op.far, 5),
            "far_upper_95": round(far_upper_bound(false_matches, len(i)), 5),
            "frr": round(op.frr, 4),
        }
        # The figures above are closed-set: threshold and cohort from the same people, each
        # impostor's own identity in the cohort. The honest ones, beside them:
        result["protocol"] = "closed-set (see cross_validation for the open-set figures)"
        if len(self.people) >= MIN_PEOPLE_FOR_CV:
            cv = cross_validate(self.people, self.probes, target_far)
            result["cross_validation"] = cv.report()
        else:
            result["cross_validation"] = (
                f"not run: {MIN_PEOPLE_FOR_CV} people are needed, {len(self.people)} given"
            )
        return result


def evaluate_folders(root: Path, enroller: Enroller, enrol_count: int = 3) -> FaceEvaluation:
    """Per identity: enrol the first ``enrol_count`` photos that pass the enrolment checks
    (keeping at least one photo to probe with); every other photo with a face is a probe
    against every enrolled person."""
    result = FaceEvaluation()
    people: dict[str, TemplateSet] = {}
    probes: dict[str, list[np.ndarray]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = photos_of(folder)
        enrolled: list[np.ndarray] = []
        rest: list[Path] = []
        for path in photos:
            if len(enrolled) < enrol_count and len(photos) - len(enrolled) > 1:
                check = enroller.check_file(path)
                if check.accepted and check.vector is not None:
                    enrolled.append(check.vector)
                    continue
                result.refused.append(check)
            rest.append(path)
        vectors = [v for v in (enroller.probe(cv2.imread(str(p))) for p in rest) if v is not None]
        if enrolled and vectors:
            people[folder.name] = TemplateSet(folder.name, "watch", np.stack(enrolled))
            probes[folder.name] = vectors
    result.identities = len(people)
    result.people, result.probes = people, probes
    gallery = list(people.values())
    matcher = Matcher(gallery, gallery)  # the cohort: everyone else enrolled
    for name, vectors in probes.items():
        for v in vectors:
            for other, score in zip(matcher.names, matcher.scores(v), strict=True):
                (result.genuine if other == name else result.impostor).append(float(score))
    return result
