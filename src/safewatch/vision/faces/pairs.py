"""``safewatch eval pairs``: the LFW View-2 protocol (10 folds of same/different pairs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from safewatch.core.progress import Step
from safewatch.vision.faces.enrol import Enroller
from safewatch.vision.faces.matching import tar_at_far


@dataclass(frozen=True)
class Pair:
    a: Path
    b: Path
    same: bool


def read_pairs(pairs_file: Path, images: Path) -> tuple[int, list[Pair]]:
    """``pairs.txt``: a header "folds n", then per fold n same pairs ``name i j`` and n
    different pairs ``name1 i name2 j``; images at ``images/Name/Name_NNNN.jpg``."""
    lines = [line.split() for line in pairs_file.read_text().splitlines() if line.strip()]
    folds, per = int(lines[0][0]), int(lines[0][1])

    def image(name: str, n: str) -> Path:
        return images / name / f"{name}_{int(n):04d}.jpg"

    pairs = []
    for parts in lines[1:]:
        if len(parts) == 3:
            pairs.append(Pair(image(parts[0], parts[1]), image(parts[0], parts[2]), True))
        elif len(parts) == 4:
            pairs.append(Pair(image(parts[0], parts[1]), image(parts[2], parts[3]), False))
        else:
            raise ValueError(f"{pairs_file}: a pair line has 3 or 4 fields: {' '.join(parts)}")
    if len(pairs) != folds * 2 * per:
        raise ValueError(f"{pairs_file}: expected {folds * 2 * per} pairs, found {len(pairs)}")
    return folds, pairs


def evaluate_pairs(
    pairs_file: Path, images: Path, enroller: Enroller, step: Step = lambda: None
) -> dict[str, object]:
    """``step`` is called once per distinct image embedded."""
    folds, pairs = read_pairs(pairs_file, images)
    cache: dict[Path, np.ndarray | None] = {}

    def vector(path: Path) -> np.ndarray | None:
        if path not in cache:
            cache[path] = enroller.probe(cv2.imread(str(path)))
            step()
        return cache[path]

    distances = np.full(len(pairs), np.inf)
    for k, pair in enumerate(pairs):
        va, vb = vector(pair.a), vector(pair.b)
        if va is not None and vb is not None:
            distances[k] = float(np.linalg.norm(va - vb))
    same = np.array([p.same for p in pairs])
    fold_of = np.repeat(np.arange(folds), len(pairs) // folds)
    accuracies = []
    for f in range(folds):
        train, test = fold_of != f, fold_of == f
        candidates = np.unique(distances[train & np.isfinite(distances)])
        best = max(candidates, key=lambda t: np.mean((distances[train] <= t) == same[train]))
        accuracies.append(float(np.mean((distances[test] <= best) == same[test])))
    op = tar_at_far(distances[same], distances[~same], 1e-3)
    return {
        "pairs": len(pairs),
        "folds": folds,
        "no_face": int(np.sum(~np.isfinite(distances))),
        "accuracy_mean": round(float(np.mean(accuracies)), 4),
        "accuracy_std": round(float(np.std(accuracies)), 4),
        "tar_at_far_0.001": round(op.tar, 4),
    }
