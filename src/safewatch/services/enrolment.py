"""Offender photos as face templates: checked at upload, kept per offender, expiring with the
protection order. Face models load on the first photo (not at hub start)."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from safewatch.core.errors import Invalid
from safewatch.models import Offender
from safewatch.vision.faces.templates import FileTemplateStore, TemplateSet


class PhotoChecker(Protocol):
    def vector(self, data: bytes) -> np.ndarray:
        """The photo's face embedding, or Invalid with the reasons it cannot be used."""
        ...


class FaceEnrolment:
    """The real checker: the enrolment checks of the camera worker, on the uploaded bytes."""

    @cached_property
    def _enroller(self):  # type: ignore[no-untyped-def]
        from safewatch.vision.faces.enrol import Enroller

        return Enroller()

    def vector(self, data: bytes) -> np.ndarray:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        check = self._enroller.check(bgr, "upload")
        if not check.accepted or check.vector is None:
            raise Invalid("this photo cannot be used for recognition: " + "; ".join(check.reasons))
        return np.asarray(check.vector, dtype=np.float32)


def order_end(offender: Offender) -> date | None:
    return max((o.ends_on for o in offender.orders), default=None)


class OffenderTemplates:
    """One template set per offender in the hub's template store."""

    def __init__(self, root: Path) -> None:
        self.store = FileTemplateStore(root)

    def add(self, offender: Offender, vector: np.ndarray, source: str) -> TemplateSet:
        key = str(offender.id)
        current = self.store.load(key)
        vectors = vector[None] if current is None else np.vstack([current.vectors, vector[None]])
        sources = [*(current.sources if current else []), source]
        templates = TemplateSet(key, "watch", vectors, order_end(offender), sources)
        self.store.save(key, templates)
        return templates

    def active(self, today: date) -> list[TemplateSet]:
        return [t for t in self.store.load_all() if t.active(today)]


class Enrolment:
    """What the hub needs to turn uploaded photos into templates."""

    def __init__(self, checker: PhotoChecker, templates: OffenderTemplates) -> None:
        self.checker, self.templates = checker, templates


def face_lists_for(
    templates: OffenderTemplates, offenders: list[Offender], today: date
) -> tuple[list[tuple[Offender, TemplateSet]], list[np.ndarray]]:
    """A camera's watch list (its case's offenders with an active order) and the cohort: every
    other active template as one anonymous fused vector, for score normalisation."""
    own = {str(o.id): o for o in offenders}
    watch, cohort = [], []
    for t in templates.active(today):
        if t.person in own:
            watch.append((own[t.person], t))
        else:
            v = t.vectors.mean(axis=0)
            cohort.append(v / np.linalg.norm(v))
    return watch, cohort
