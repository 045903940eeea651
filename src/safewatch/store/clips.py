"""Where snapshots and clips live: a port and the local-folder implementation.

Cluster mode (a shared folder or an S3-compatible store) implements the same interface.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from safewatch.store.files import atomic_write, safe_name


class ClipStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...

    def path(self, name: str) -> Path: ...


class LocalClipStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / safe_name(name)

    def put(self, name: str, data: bytes) -> None:
        atomic_write(self.path(name), data)
