"""Face templates: a person's set of embeddings, kept behind one store interface.

Templates belong to a protection order and expire with it. The hub's store seals them
(``store/sealing.py``); nothing else reads template bytes.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from safewatch.store.files import atomic_write, safe_name
from safewatch.store.sealing import KeyRing, open_or_legacy

ListKind = Literal["watch", "allow"]


@dataclass
class TemplateSet:
    person: str  # name shown in alerts
    kind: ListKind
    vectors: np.ndarray  # n × 128, unit length
    expires_on: date | None = None
    sources: list[str] = field(default_factory=list)

    def active(self, today: date) -> bool:
        return self.expires_on is None or today <= self.expires_on


class TemplateStore(Protocol):
    def save(self, key: str, templates: TemplateSet) -> None: ...

    def load(self, key: str) -> TemplateSet | None: ...

    def load_all(self) -> list[TemplateSet]: ...

    def delete(self, key: str) -> None: ...


class FileTemplateStore:
    """One ``.npz`` per person in a folder, sealed when a key ring is given."""

    def __init__(self, root: Path, keys: KeyRing | None = None) -> None:
        self.root, self.keys = root, keys

    def save(self, key: str, templates: TemplateSet) -> None:
        buf = io.BytesIO()
        meta = {
            "person": templates.person,
            "kind": templates.kind,
            "sources": templates.sources,
            "expires_on": templates.expires_on.isoformat() if templates.expires_on else None,
        }
        np.savez(buf, vectors=templates.vectors.astype(np.float32), meta=json.dumps(meta))
        name = f"{safe_name(key)}.npz"
        data = buf.getvalue()
        atomic_write(self.root / name, self.keys.seal(data, name) if self.keys else data)

    def load(self, key: str) -> TemplateSet | None:
        path = self.root / f"{safe_name(key)}.npz"
        return self._read(path) if path.is_file() else None

    def load_all(self) -> list[TemplateSet]:
        return [self._read(path) for path in sorted(self.root.glob("*.npz"))]

    def _read(self, path: Path) -> TemplateSet:
        raw = path.read_bytes()
        if self.keys is not None:
            raw = open_or_legacy(self.keys, raw, path.name)
        with np.load(io.BytesIO(raw)) as data:
            meta = json.loads(str(data["meta"]))
            expires = meta["expires_on"]
            return TemplateSet(
                meta["person"],
                meta["kind"],
                data["vectors"],
                date.fromisoformat(expires) if expires else None,
                meta["sources"],
            )

    def delete(self, key: str) -> None:
        (self.root / f"{safe_name(key)}.npz").unlink(missing_ok=True)
