"""Comparing faces with templates, and choosing the threshold for a target false-match rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safewatch.vision.faces.templates import TemplateSet


def distance(probe: np.ndarray, templates: TemplateSet) -> float:
    """Distance of one face to a person: to the fused (mean) template and to the nearest photo,
    whichever is smaller — fusion smooths out one odd photo, nearest keeps a distinct look."""
    vectors = templates.vectors
    fused = vectors.mean(axis=0)
    fused = fused / np.linalg.norm(fused)
    nearest = float(np.min(np.linalg.norm(vectors - probe, axis=1)))
    return min(nearest, float(np.linalg.norm(fused - probe)))


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float  # match when distance <= threshold
    far: float  # impostor pairs that would match
    frr: float  # genuine pairs that would not
    tar: float


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> OperatingPoint:
    """The largest threshold whose false-match rate on the impostor scores is at most ``far``."""
    imp = np.sort(impostor)
    allowed = int(np.floor(far * len(imp)))  # impostor pairs we may accept
    threshold = float(imp[allowed] - 1e-6) if allowed < len(imp) else float(imp[-1])
    if allowed == 0:
        threshold = float(imp[0] - 1e-6)
    actual_far = float(np.mean(impostor <= threshold))
    tar = float(np.mean(genuine <= threshold)) if len(genuine) else 0.0
    return OperatingPoint(threshold, actual_far, 1.0 - tar, tar)
