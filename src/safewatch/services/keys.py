"""Rotating the data keys: a new key seals every face photo, template and unblurred camera
original again, then the old keys are dropped, so a key that leaked opens nothing written
before or after."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.config import Settings
from safewatch.models import CameraEventRecord
from safewatch.services.context import system_record
from safewatch.store.clips import ClipStore, make_clip_store
from safewatch.store.db import transaction
from safewatch.store.sealing import (
    KeyRing,
    is_sealed,
    key_id_of,
    key_ring_for,
    open_or_legacy,
    reseal_folder,
)


@dataclass(frozen=True)
class Rotation:
    new_key: str
    retired: list[str]
    files: int


def rotate(settings: Settings, factory: sessionmaker[Session]) -> Rotation:
    keys = key_ring_for(settings, create=False)
    new_key = keys.add_current()
    keys.save()  # running replicas see the file change and seal with the new key from now on
    folders = (settings.photo_dir, settings.template_dir)
    store = make_clip_store(settings)
    files = sum(reseal_folder(folder, keys) for folder in folders)
    files += reseal_originals(factory, store, keys)
    # A replica that sealed with the old key just before it saw the new file: a second pass.
    files += sum(reseal_folder(folder, keys) for folder in folders)
    files += reseal_originals(factory, store, keys)
    retired = keys.retire_all_but_current()
    keys.save()
    with transaction(factory) as session:
        system_record(
            session,
            "rotate",
            "data_key",
            new_key,
            f"data keys rotated: {files} files sealed again; retired {', '.join(retired) or '-'}",
        )
    return Rotation(new_key, retired, files)


def reseal_originals(factory: sessionmaker[Session], store: ClipStore, keys: KeyRing) -> int:
    """The unblurred originals in the clip store (a folder or a bucket) sealed with the
    current key; the count."""
    e = CameraEventRecord
    with factory() as session:
        rows = session.execute(
            select(e.original_snapshot_name, e.original_clip_name).where(
                or_(e.original_snapshot_name.is_not(None), e.original_clip_name.is_not(None))
            )
        ).all()
    count = 0
    for name in (n for row in rows for n in row if n):
        path = store.path(name)
        if not path.is_file():  # deleted under retention meanwhile
            continue
        blob = path.read_bytes()
        if is_sealed(blob) and key_id_of(blob) == keys.current:
            continue
        store.put(name, keys.seal(open_or_legacy(keys, blob, name), name))
        count += 1
    return count
