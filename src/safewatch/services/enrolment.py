"""Offender photos as face templates: checked at upload, kept per offender, expiring with the
protection order. Face models load on the first photo (not at hub start)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from safewatch.core.errors import Invalid
from safewatch.models import AllowedPerson, Case, Offender
from safewatch.store.sealing import KeyRing
from safewatch.vision.faces.templates import FileTemplateStore, ListKind, TemplateSet, TemplateStore


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


def under_order(offender: Offender, today: date) -> bool:
    return any(o.active_on(today) for o in offender.orders)


class FaceTemplates:
    """One template set per enrolled person (offender: watch; allowed person: allow) in the
    hub's template store, keyed by the person's id."""

    def __init__(self, root: Path, keys: KeyRing | None) -> None:
        self.store: TemplateStore = FileTemplateStore(root, keys)

    def add(
        self,
        key: uuid.UUID,
        kind: ListKind,
        expires_on: date | None,
        vector: np.ndarray,
        source: str,
    ) -> TemplateSet:
        current = self.store.load(str(key))
        vectors = vector[None] if current is None else np.vstack([current.vectors, vector[None]])
        sources = [*(current.sources if current else []), source]
        templates = TemplateSet(str(key), kind, vectors, expires_on, sources)
        self.store.save(str(key), templates)
        return templates

    def set_expiry(self, key: uuid.UUID, expires_on: date | None) -> None:
        """A new or longer order keeps an offender's templates alive with it."""
        current = self.store.load(str(key))
        if current is not None:
            current.expires_on = expires_on
            self.store.save(str(key), current)

    def get(self, key: uuid.UUID) -> TemplateSet | None:
        return self.store.load(str(key))

    def delete(self, key: uuid.UUID) -> None:
        self.store.delete(str(key))

    def active(self, today: date) -> list[TemplateSet]:
        return [t for t in self.store.load_all() if t.active(today)]


class Enrolment:
    """What the hub needs to turn uploaded photos into templates."""

    def __init__(self, checker: PhotoChecker, templates: FaceTemplates) -> None:
        self.checker, self.templates = checker, templates


@dataclass
class CameraFaceLists:
    watch: list[tuple[Offender, TemplateSet]]
    allow: list[tuple[AllowedPerson, TemplateSet]]


def face_lists_for(templates: FaceTemplates, case: Case, today: date) -> CameraFaceLists:
    """A camera's lists: its case's offenders while an order is in force (watch) and the
    case's familiar people (allow). Nobody else's template leaves the hub: recognition needs
    no cohort of other cases' people (issue 20)."""
    offenders = {str(o.id): o for o in case.offenders}
    allowed = {str(p.id): p for p in case.allowed_people}
    lists = CameraFaceLists([], [])
    for t in templates.active(today):
        if t.person in offenders:
            offender = offenders[t.person]
            if under_order(offender, today):
                lists.watch.append((offender, t))
        elif t.person in allowed:
            lists.allow.append((allowed[t.person], t))
    return lists
