"""Watch and allow lists from folders (one folder of photos per person) or from the hub."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from safewatch.vision.faces.enrol import Enroller
from safewatch.vision.faces.evaluate import photos_of
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD, SCORING
from safewatch.vision.faces.stage import RecognitionStage
from safewatch.vision.faces.templates import ListKind, TemplateSet

log = logging.getLogger(__name__)


def enrol_folder(root: Path, kind: ListKind, enroller: Enroller) -> list[TemplateSet]:
    """Every sub-folder is a person; photos that fail the enrolment checks are logged."""
    people = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        templates, checks = enroller.enrol(folder.name, kind, photos_of(folder))
        for check in checks:
            if not check.accepted:
                log.warning("%s: %s", check.source, "; ".join(check.reasons))
        if templates is None:
            log.warning("%s: no usable photo, %s is not on the %s list", folder, folder.name, kind)
        else:
            people.append(templates)
    return people


def face_stage_from_folders(
    watchlist: Path | None,
    allowlist: Path | None,
    threshold: float = DEFAULT_THRESHOLD,
) -> RecognitionStage | None:
    if watchlist is None and allowlist is None:
        return None
    enroller = Enroller()
    lists = []
    if watchlist is not None:
        lists += enrol_folder(watchlist, "watch", enroller)
    if allowlist is not None:
        lists += enrol_folder(allowlist, "allow", enroller)
    if not lists:
        raise ValueError("nobody could be enrolled from the watch and allow lists")
    return RecognitionStage(lists, threshold, enroller.detector, enroller.embedder)


def lists_from_hub(payload: dict[str, Any]) -> tuple[list[TemplateSet], float]:
    """Listed people and threshold from the hub's ``/device/face-lists`` answer. A hub from
    before issue 20 sends a cohort z-score threshold and no ``scoring``: refused (ValueError,
    recognition off and said so) rather than read as a distance that matches nobody."""
    if payload.get("scoring") != SCORING:
        raise ValueError(
            f"the hub's threshold is in another scoring ({payload.get('scoring', 'cohort z-score')}"
            f", not {SCORING}): update the hub"
        )

    def listed(entry: dict[str, Any], kind: ListKind) -> TemplateSet:
        expires = entry.get("expires_on")
        vectors = np.array(entry["vectors"], dtype=np.float32)
        return TemplateSet(
            entry["name"], kind, vectors, date.fromisoformat(expires) if expires else None
        )

    people = [listed(w, "watch") for w in payload["watch"]]
    people += [listed(a, "allow") for a in payload["allow"]]
    if not people:
        raise ValueError("the hub has no face templates for this camera's case")
    return people, float(payload["threshold"])


def face_stage_from_hub(payload: dict[str, Any]) -> RecognitionStage:
    """The stage for a camera from the hub's answer (ValueError when it cannot be used)."""
    return RecognitionStage(*lists_from_hub(payload))
