"""Offender photos for face enrolment: checked, stored, recorded."""

from __future__ import annotations

import hashlib
import io
import uuid

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from safewatch.core.errors import Invalid, NotFound
from safewatch.models import Case, Offender, OffenderPhoto
from safewatch.services.context import Caller
from safewatch.services.enrolment import Enrolment
from safewatch.store.photos import PhotoStore

ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
MIN_SIDE = 80  # px; smaller photos cannot give a usable face template
MAX_PIXELS = 40_000_000


def _check_image(data: bytes, max_bytes: int) -> tuple[str, str]:
    if not data:
        raise Invalid("the photo file is empty")
    if len(data) > max_bytes:
        raise Invalid(f"the photo is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise Invalid(f"the photo is {width}×{height} pixels; that is too large")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid("the file is not a readable JPEG or PNG photo") from exc
    if fmt not in ACCEPTED:
        raise Invalid(f"photos must be JPEG or PNG, not {fmt or 'an unknown format'}")
    if min(width, height) < MIN_SIDE:
        raise Invalid(
            f"the photo is {width}×{height} pixels; at least {MIN_SIDE} on each side is needed"
        )
    return ACCEPTED[fmt]


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
    """Store an enrolment photo and add its face to the offender's templates; a photo the
    recognition cannot use is refused with the reasons (and nothing is stored)."""
    content_type, ext = _check_image(data, max_bytes)
    vector = enrolment.checker.vector(data)
    photo = OffenderPhoto(
        offender_id=offender.id,
        stored_name=f"{uuid.uuid4().hex}.{ext}",
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=caller.user_id,
    )
    session.add(photo)
    offender.photos.append(photo)
    session.flush()
    caller.record(session, "create", "offender_photo", photo.id, "enrolment photo", case.id)
    store.put(photo.stored_name, data)
    enrolment.templates.add(offender, vector, photo.stored_name)
    return photo


def read_photo(
    session: Session, caller: Caller, store: PhotoStore, case: Case, photo_id: uuid.UUID
) -> OffenderPhoto:
    for offender in case.offenders:
        for photo in offender.photos:
            if photo.id == photo_id:
                caller.record(session, "read", "offender_photo", photo.id, "photo viewed", case.id)
                return photo
    raise NotFound("no such photo in this case")
