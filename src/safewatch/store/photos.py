"""Where face photos live: a port, the local-folder implementation, and the sealing wrapper
the hub always puts around it (photos are encrypted at rest: ``store/sealing.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from safewatch.store.files import atomic_write, safe_name
from safewatch.store.sealing import KeyRing, open_or_legacy


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


class SealedPhotoStore:
    """Any photo store, with the bytes sealed before they leave the process."""

    def __init__(self, inner: PhotoStore, keys: KeyRing) -> None:
        self.inner, self.keys = inner, keys

    def put(self, name: str, data: bytes) -> None:
        self.inner.put(name, self.keys.seal(data, name))

    def get(self, name: str) -> bytes:
        return open_or_legacy(self.keys, self.inner.get(name), name)

    def delete(self, name: str) -> None:
        self.inner.delete(name)
