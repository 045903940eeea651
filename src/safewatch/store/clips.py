"""Where snapshots and clips live: a port and the local-folder implementation.

Cluster mode uses a shared folder (this store on the replicas' common mount) or an
S3-compatible bucket (``store/s3.py``); ``make_clip_store`` picks from the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from safewatch.core.config import Settings
from safewatch.store.files import atomic_write, safe_name


class ClipStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...

    def path(self, name: str) -> Path: ...

    def delete(self, name: str) -> None: ...


class LocalClipStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / safe_name(name)

    def put(self, name: str, data: bytes) -> None:
        atomic_write(self.path(name), data)

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


def make_clip_store(settings: Settings) -> ClipStore:
    if settings.clip_bucket:
        from safewatch.store.s3 import S3ClipStore

        endpoint = settings.clip_endpoint_url or None
        return S3ClipStore(settings.clip_bucket, settings.data_dir / "clip-cache", endpoint)
    return LocalClipStore(settings.clip_dir)
