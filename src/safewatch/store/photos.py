"""Where offender photos live: a port, and the local-folder implementation.

Encryption at rest (issue 8) wraps this interface; nothing else touches photo bytes on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from safewatch.store.files import atomic_write, safe_name


class PhotoStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...

    def delete(self, name: str) -> None: ...


class LocalPhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        return self.root / safe_name(name)

    def put(self, name: str, data: bytes) -> None:
        atomic_write(self._path(name), data)

    def get(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
