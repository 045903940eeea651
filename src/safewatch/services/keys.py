"""Rotating the data keys: a new key seals every face photo and template again, then the old
keys are dropped, so a key that leaked opens nothing written before or after."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from safewatch.core.config import Settings
from safewatch.services.context import system_record
from safewatch.store.db import transaction
from safewatch.store.sealing import key_ring_for, reseal_folder


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
    files = sum(reseal_folder(folder, keys) for folder in folders)
    # A replica that sealed with the old key just before it saw the new file: a second pass.
    files += sum(reseal_folder(folder, keys) for folder in folders)
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
