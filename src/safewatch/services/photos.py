"""Offender photos for face enrolment: checked, stored, recorded."""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from safewatch.core.errors import Invalid, NotFound
from safewatch.models import AllowedPerson, AllowedPersonPhoto, Case, Offender, OffenderPhoto
from safewatch.schemas.cases import AllowedPersonIn
from safewatch.services.context import Caller
from safewatch.services.enrolment import Enrolment, order_end
from safewatch.store.photos import PhotoStore

ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
MIN_SIDE = 80  # px; smaller photos cannot give a usable face template
# Bounded before decoding (the header says the size): a 24 MP camera's photo is taken; a
# 36 MP one cost the hub 9 s and 1.8 GB to check, a forged header far more.
MAX_PIXELS = 6000 * 4000


def _check_image(data: bytes, max_bytes: int) -> tuple[str, str]:
    if not data:
        raise Invalid("the photo file is empty")
    if len(data) > max_bytes:
        raise Invalid(f"the photo is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        with warnings.catch_warnings():
            # PIL warns (or raises) on a size it finds large: the limit below says it in words
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise Invalid(
                        f"the photo is {width}×{height} pixels; that is too large "
                        f"(at most {MAX_PIXELS // 1_000_000} megapixels)"
                    )
                img.verify()
    except Image.DecompressionBombError as exc:  # a header far beyond any camera
        raise Invalid(
            f"the photo is too large (at most {MAX_PIXELS // 1_000_000} megapixels)"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid("the file is not a readable JPEG or PNG photo") from exc
    if fmt not in ACCEPTED:
        raise Invalid(f"photos must be JPEG or PNG, not {fmt or 'an unknown format'}")
    if min(width, height) < MIN_SIDE:
        raise Invalid(
            f"the photo is {width}×{height} pixels; at least {MIN_SIDE} on each side is needed"
        )
    return ACCEPTED[fmt]


def _photo_file(caller: Caller, data: bytes, content_type: str, ext: str) -> dict[str, Any]:
    return {
        "stored_name": f"{uuid.uuid4().hex}.{ext}",
        "content_type": content_type,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "uploaded_by": caller.user_id,
    }


def add_photo(
    session: Session,
    caller: Caller,
    store: PhotoStore,
    case: Case,
    offender: Offender,
    data: bytes,
    max_bytes: int,
    enrolment: Enrolment,
) -> OffenderPhoto:
    """Store an enrolment photo and add its face to the offender's templates (the watch list);
    a photo the recognition cannot use is refused with the reasons (and nothing is stored)."""
    content_type, ext = _check_image(data, max_bytes)
    vector = enrolment.checker.vector(data)
    photo = OffenderPhoto(offender_id=offender.id, **_photo_file(caller, data, content_type, ext))
    session.add(photo)
    offender.photos.append(photo)
    session.flush()
    caller.record(session, "create", "offender_photo", photo.id, "enrolment photo", case.id)
    store.put(photo.stored_name, data)
    enrolment.templates.add(offender.id, "watch", order_end(offender), vector, photo.stored_name)
    return photo


def add_allowed_person(
    session: Session, caller: Caller, case: Case, data: AllowedPersonIn
) -> AllowedPerson:
    person = AllowedPerson(case_id=case.id, photos=[], **data.model_dump())
    session.add(person)
    case.allowed_people.append(person)
    session.flush()
    caller.record(session, "create", "allowed_person", person.id, "allow list", case.id)
    return person


def find_allowed_person(case: Case, person_id: uuid.UUID) -> AllowedPerson:
    for person in case.allowed_people:
        if person.id == person_id:
            return person
    raise NotFound("no such person on this case's allow list")


def add_allowed_photo(
    session: Session,
    caller: Caller,
    store: PhotoStore,
    case: Case,
    person: AllowedPerson,
    data: bytes,
    max_bytes: int,
    enrolment: Enrolment,
) -> AllowedPersonPhoto:
    """A familiar person's photo: the same checks as an offender's, into the allow list."""
    content_type, ext = _check_image(data, max_bytes)
    vector = enrolment.checker.vector(data)
    photo = AllowedPersonPhoto(
        allowed_person_id=person.id, **_photo_file(caller, data, content_type, ext)
    )
    session.add(photo)
    person.photos.append(photo)
    session.flush()
    caller.record(session, "create", "allowed_person_photo", photo.id, "allow list photo", case.id)
    store.put(photo.stored_name, data)
    enrolment.templates.add(person.id, "allow", None, vector, photo.stored_name)
    return photo


def remove_allowed_person(
    session: Session,
    caller: Caller,
    store: PhotoStore,
    case: Case,
    person: AllowedPerson,
    enrolment: Enrolment,
) -> None:
    """Off the allow list: the row, the photos and the face templates all go."""
    enrolment.templates.delete(person.id)
    for photo in person.photos:
        store.delete(photo.stored_name)
    case.allowed_people.remove(person)
    session.delete(person)
    caller.record(session, "delete", "allowed_person", person.id, "allow list", case.id)


def read_photo(
    session: Session, caller: Caller, store: PhotoStore, case: Case, photo_id: uuid.UUID
) -> OffenderPhoto | AllowedPersonPhoto:
    found: list[tuple[str, OffenderPhoto | AllowedPersonPhoto]] = [
        *(("offender_photo", p) for o in case.offenders for p in o.photos),
        *(("allowed_person_photo", p) for a in case.allowed_people for p in a.photos),
    ]
    for entity, photo in found:
        if photo.id == photo_id:
            caller.record(session, "read", entity, photo.id, "photo viewed", case.id)
            return photo
    raise NotFound("no such photo in this case")
