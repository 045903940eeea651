"""Better evidence from CCTV faces (issue 20): what face size, sharpness, pose and the choice of
enrolment photos do to recognition, measured on the shared faces' open-set cross-validation.

Each probe photo is also seen as a door camera would see it: scaled so that its face is 40, 56
or 80 px wide (softened first, as optics and scaling do) and JPEG'd at quality 45, then found,
aligned and embedded by the live pipeline. Reported:
- per size, the live scoring at the thresholds chosen on the photos (as the camera runs), and at
  thresholds chosen on the same size (what a size-aware threshold could do);
- how the nearest stranger and the person's own distance move with sharpness and pose;
- for the people with six photos or more: the last two photos held out as fixed probes, and two
  or three enrolment photos chosen from the first four by quality (as `Enroller.enrol` does),
  by diversity (farthest first) or by typicality (nearest the mean).

Usage: .venv/bin/python benchmarks/faces_cctv.py [FACES_DIR]   (about 25 min here)
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from safewatch.vision.faces.crossval import cross_validate
from safewatch.vision.faces.enrol import Enroller, PhotoCheck
from safewatch.vision.faces.evaluate import photos_of
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD, Matcher
from safewatch.vision.faces.quality import Quality, measure
from safewatch.vision.faces.templates import TemplateSet

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SIZES = (40, 56, 80)
JPEG_QUALITY = 45
TARGET_FAR = 1e-3
ENROLLED = 3  # as `eval faces` enrols


@dataclass
class Probe:
    clean: np.ndarray
    seen: dict[int, tuple[np.ndarray, Quality]] = field(default_factory=dict)  # by face width


@dataclass
class Person:
    checks: list[PhotoCheck]  # every photo's enrolment check, in file order
    probes: list[Probe | None]  # every photo as a probe (None: no face), in file order


def as_cctv(bgr: np.ndarray, face_width: float, size: int) -> np.ndarray:
    scale = size / face_width
    soft = cv2.GaussianBlur(bgr, (0, 0), 0.6 / scale) if scale < 1 else bgr
    small = cv2.resize(soft, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR))


def probe(enroller: Enroller, bgr: np.ndarray | None) -> Probe | None:
    chip = enroller.probe_chip(bgr)
    face = enroller.probe_face(bgr)
    if bgr is None or chip is None or face is None:
        return None
    found = Probe(enroller.embedder.embed_chip(chip))
    for size in SIZES:
        small = as_cctv(bgr, face.width, size)
        if (small_face := enroller.probe_face(small)) is not None:
            rgb = np.ascontiguousarray(small[:, :, ::-1])
            small_chip = enroller.embedder.chip(rgb, small_face)
            found.seen[size] = (
                enroller.embedder.embed_chip(small_chip),
                measure(small_face, small_chip),
            )
    return found


def read(root: Path) -> dict[str, Person]:
    enroller, people = Enroller(), {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = photos_of(folder)
        people[folder.name] = Person(
            [enroller.check_file(p) for p in photos],
            [probe(enroller, cv2.imread(str(p))) for p in photos],
        )
        print(folder.name, file=sys.stderr, flush=True)
    return people


def split(people: dict[str, Person]) -> tuple[dict[str, TemplateSet], dict[str, list[Probe]]]:
    """As `eval faces` splits: the first photos that pass enrolment, the rest probes."""
    listed, probes = {}, {}
    for name, person in people.items():
        enrolled: list[np.ndarray] = []
        rest: list[Probe] = []
        for check, p in zip(person.checks, person.probes, strict=True):
            left = len(person.checks) - len(enrolled)
            if len(enrolled) < ENROLLED and left > 1 and check.accepted:
                enrolled.append(vector(check))
            elif p is not None:
                rest.append(p)
        if enrolled and rest:
            listed[name], probes[name] = TemplateSet(name, "watch", np.stack(enrolled)), rest
    return listed, probes


def sizes(people: dict[str, Person]) -> dict[str, object]:
    listed, probes = split(people)
    clean = {n: [p.clean for p in ps] for n, ps in probes.items()}
    found: dict[str, object] = {"photos": cross_validate(listed, clean, TARGET_FAR).report()}
    for size in SIZES:
        seen = {n: [p.seen[size][0] for p in ps if size in p.seen] for n, ps in probes.items()}
        found[f"{size}px"] = {
            "missed_faces": sum(len(ps) - len(seen[n]) for n, ps in probes.items()),
            "at_photo_thresholds": cross_validate(
                listed, clean, TARGET_FAR, measured_on=seen
            ).report(),
            "at_thresholds_for_this_size": cross_validate(listed, seen, TARGET_FAR).report(),
        }
    return found


def strata(people: dict[str, Person]) -> dict[str, object]:
    """Nearest stranger and own distance of every CCTV-like shot, by sharpness and by pose."""
    listed, probes = split(people)
    matcher = Matcher(list(listed.values()))
    rows = []
    for k, name in enumerate(matcher.names):
        for p in probes[name]:
            for vector, quality in p.seen.values():
                scores = matcher.scores(vector)
                own, others = scores[k], np.delete(scores, k)
                rows.append((quality.sharpness, abs(quality.yaw), float(own), float(others.min())))
    table = np.array(rows)
    found: dict[str, object] = {"shots": len(rows)}
    for column, label in ((0, "sharpness"), (1, "abs_yaw")):
        edges = np.quantile(table[:, column], [0, 0.25, 0.5, 0.75, 1])
        found[label] = [
            {
                "range": [round(float(lo), 2), round(float(hi), 2)],
                "own_median": round(float(np.median(table[rows_in, 2])), 3),
                "recognised_at_default": round(
                    float(np.mean(table[rows_in, 2] <= DEFAULT_THRESHOLD)), 3
                ),
                "nearest_stranger_p5": round(float(np.quantile(table[rows_in, 3], 0.05)), 3),
                "nearest_stranger_median": round(float(np.median(table[rows_in, 3])), 3),
            }
            for lo, hi in itertools.pairwise(edges)
            if (rows_in := (table[:, column] >= lo) & (table[:, column] <= hi)).any()
        ]
    return found


def vector(check: PhotoCheck) -> np.ndarray:
    assert check.vector is not None, "only accepted photos are chosen from"
    return check.vector


Choice = Callable[[list[PhotoCheck], int], list[PhotoCheck]]


def by_quality(checks: list[PhotoCheck], k: int) -> list[PhotoCheck]:
    return sorted(checks, key=lambda c: -c.quality.score if c.quality else 0.0)[:k]


def diverse(checks: list[PhotoCheck], k: int) -> list[PhotoCheck]:
    """The best photo, then each time the one farthest from those chosen."""
    chosen, rest = by_quality(checks, 1), by_quality(checks, len(checks))[1:]
    while len(chosen) < k and rest:

        def apart(c: PhotoCheck) -> float:
            return min(float(np.linalg.norm(vector(c) - vector(d))) for d in chosen)

        chosen.append(far := max(rest, key=apart))
        rest.remove(far)
    return chosen


def typical(checks: list[PhotoCheck], k: int) -> list[PhotoCheck]:
    mean = np.mean([vector(c) for c in checks], axis=0)
    return sorted(checks, key=lambda c: float(np.linalg.norm(vector(c) - mean)))[:k]


def templates(people: dict[str, Person]) -> dict[str, object]:
    chosen_from = {
        name: [c for c in p.checks[:-2] if c.accepted]
        for name, p in people.items()
        if len(p.checks) >= 6
    }
    held = {n: [p for p in people[n].probes[-2:] if p is not None] for n in chosen_from}
    names = sorted(n for n in chosen_from if len(chosen_from[n]) >= 3 and held[n])
    found: dict[str, object] = {"people": len(names)}
    for seen in ("photo", *SIZES):
        for k in (2, 3):
            own: dict[str, np.ndarray] = {}
            for choice in (by_quality, diverse, typical):
                sets = [
                    TemplateSet(
                        n, "watch", np.stack([vector(c) for c in choice(chosen_from[n], k)])
                    )
                    for n in names
                ]
                matcher = Matcher(sets)
                mine: list[float] = []
                strangers: list[float] = []
                for j, n in enumerate(names):
                    for p in held[n]:
                        v = p.clean if seen == "photo" else p.seen.get(int(seen), (None,))[0]
                        if v is not None:
                            scores = matcher.scores(v)
                            mine.append(float(scores[j]))
                            strangers.extend(float(x) for x in np.delete(scores, j))
                own[choice.__name__] = np.array(mine)
                found[f"{seen}/{k} of 4/{choice.__name__}"] = {
                    "recognised_at_default": round(
                        float(np.mean(own[choice.__name__] <= DEFAULT_THRESHOLD)), 3
                    ),
                    "false_matches_at_default": int(
                        np.sum(np.array(strangers) <= DEFAULT_THRESHOLD)
                    ),
                    "strangers": len(strangers),
                    "own_mean": round(float(np.mean(own[choice.__name__])), 4),
                }
            gain = own["by_quality"] - own["diverse"]
            found[f"{seen}/{k} of 4/diverse against quality"] = {
                "closer": int(np.sum(gain > 1e-6)),
                "farther": int(np.sum(gain < -1e-6)),
            }
    return found


def main(root: Path) -> None:
    people = read(root)
    report = {"sizes": sizes(people), "strata": strata(people), "templates": templates(people)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "faces")
