"""Face templates: a person's set of embeddings, kept behind one store interface.

Templates belong to a protection order and expire with it. Encryption at rest (issue 8) goes
into the store; nothing else reads template bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from safewatch.store.files import atomic_write, safe_name

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
    """One ``.npz`` per person in a folder (the worker's copy of its site's lists)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, key: str, templates: TemplateSet) -> None:
        import io

        buf = io.BytesIO()
        meta = {
            "person": templates.person,
            "kind": templates.kind,
            "sources": templates.sources,
            "expires_on": templates.expires_on.isoformat() if templates.expires_on else None,
        }
        np.savez(buf, vectors=templates.vectors.astype(np.float32), meta=json.dumps(meta))
        atomic_write(self.root / f"{safe_name(key)}.npz", buf.getvalue())

    def load(self, key: str) -> TemplateSet | None:
        path = self.root / f"{safe_name(key)}.npz"
        return self._read(path) if path.is_file() else None

    def load_all(self) -> list[TemplateSet]:
        return [self._read(path) for path in sorted(self.root.glob("*.npz"))]

    @staticmethod
    def _read(path: Path) -> TemplateSet:
        with np.load(path) as data:
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
