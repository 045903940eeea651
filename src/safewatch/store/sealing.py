"""Encryption at rest for offenders' and familiar people's face photos and templates.

AES-256-GCM (``cryptography``). Every sealed blob names the key that sealed it, so keys can be
rotated: the newest key seals, any key on the ring opens. The blob's file name is bound in as
associated data, so one person's photo cannot be passed off under another's name.

The keys live in a key file (JSON, mode 0600; ``SAFEWATCH_DATA_KEY_FILE``, by default in the
data folder) or, read-only, in ``SAFEWATCH_DATA_KEYS`` (the same JSON, for a secret store).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safewatch.core.config import Settings
from safewatch.store.files import atomic_write, create_once

MAGIC = b"SWS1"  # Safewatch sealed, format 1: MAGIC, key id length, key id, nonce, ciphertext
NONCE_BYTES = 12


class SealError(Exception):
    """A blob that cannot be opened: a key that is not on the ring, or tampered bytes."""


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def key_id_of(blob: bytes) -> str:
    if not is_sealed(blob):
        raise SealError("the data is not sealed")
    n = blob[len(MAGIC)]
    return blob[len(MAGIC) + 1 : len(MAGIC) + 1 + n].decode("ascii")


def new_key_id() -> str:
    return f"k{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


class KeyRing:
    """The data keys: ``current`` seals, every key opens. A key id met that is not on the
    ring reloads the file once: another replica may have rotated."""

    def __init__(self, keys: dict[str, bytes], current: str, path: Path | None = None) -> None:
        if current not in keys:
            raise ValueError(f"the current data key {current!r} is not among the keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"data key {key_id!r} is not 32 bytes (AES-256)")
        self.keys, self.current, self.path = dict(keys), current, path
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()

    def _file_stamp(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns if self.path is not None else None
        except FileNotFoundError:
            return None

    def _reload(self) -> None:
        assert self.path is not None
        with self._lock:
            fresh = KeyRing.from_json(self.path.read_text(), self.path)
            self.keys, self.current, self._stamp = fresh.keys, fresh.current, fresh._stamp

    # -- where the keys come from

    @classmethod
    def from_json(cls, text: str, path: Path | None = None) -> KeyRing:
        try:
            doc = json.loads(text)
            keys = {k: base64.urlsafe_b64decode(v) for k, v in doc["keys"].items()}
            return cls(keys, doc["current"], path)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            where = str(path) if path else "SAFEWATCH_DATA_KEYS"
            raise ValueError(f"{where}: not a data key file ({exc})") from exc

    @classmethod
    def open_file(cls, path: Path, create: bool = True) -> KeyRing:
        """The ring in ``path``; a first start writes one with a fresh key."""
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"no data key file at {path}")
            fresh = cls({(k := new_key_id()): AESGCM.generate_key(256)}, k)
            create_once(path, fresh.to_json().encode())  # another replica may have won
        return cls.from_json(path.read_text(), path)

    def to_json(self) -> str:
        keys = {k: base64.urlsafe_b64encode(v).decode() for k, v in self.keys.items()}
        return json.dumps({"current": self.current, "keys": keys}, indent=2)

    def save(self) -> None:
        if self.path is None:
            raise ValueError(
                "the data keys come from SAFEWATCH_DATA_KEYS; change them there (a key file "
                "is needed to rotate from the command line)"
            )
        atomic_write(self.path, self.to_json().encode())
        os.chmod(self.path, 0o600)
        self._stamp = self._file_stamp()

    # -- sealing

    def seal(self, data: bytes, name: str) -> bytes:
        if self.path is not None and self._file_stamp() != self._stamp:
            self._reload()  # rotated by the command line: seal with the new key
        key_id = self.current.encode("ascii")
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, data, name.encode())
        return MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed

    def open(self, blob: bytes, name: str) -> bytes:
        key_id = key_id_of(blob)
        key = self._key(key_id)
        start = len(MAGIC) + 1 + len(key_id)
        nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, sealed, name.encode())
        except InvalidTag as exc:
            raise SealError(f"{name}: the sealed data was altered or belongs elsewhere") from exc

    def _key(self, key_id: str) -> bytes:
        if key_id not in self.keys and self.path is not None and self.path.exists():
            self._reload()
        if key_id not in self.keys:
            raise SealError(f"data key {key_id!r} is not on the key ring")
        return self.keys[key_id]

    # -- rotation

    def add_current(self) -> str:
        """A new key that seals from now on; the old ones still open."""
        key_id = new_key_id()
        self.keys[key_id] = AESGCM.generate_key(256)
        self.current = key_id
        return key_id

    def retire_all_but_current(self) -> list[str]:
        retired = [k for k in self.keys if k != self.current]
        for key_id in retired:
            del self.keys[key_id]
        return retired


def open_or_legacy(keys: KeyRing, blob: bytes, name: str) -> bytes:
    """A file's plain bytes; one written before sealing existed is read as it is (``safewatch
    keys rotate`` seals it)."""
    return keys.open(blob, name) if is_sealed(blob) else blob


def reseal_folder(folder: Path, keys: KeyRing) -> int:
    """Every file in ``folder`` sealed with the current key (plain ones too); the count."""
    count = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        blob = path.read_bytes()
        if is_sealed(blob) and key_id_of(blob) == keys.current:
            continue
        atomic_write(path, keys.seal(open_or_legacy(keys, blob, path.name), path.name))
        count += 1
    return count


def key_ring_for(settings: Settings, create: bool = True) -> KeyRing:
    """The hub's data keys: from ``SAFEWATCH_DATA_KEYS`` if set, else the key file."""
    if settings.data_keys:
        return KeyRing.from_json(settings.data_keys)
    return KeyRing.open_file(settings.key_file, create=create)
