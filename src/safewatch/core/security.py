"""Passwords (argon2 through pwdlib) and opaque bearer secrets stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from pwdlib import PasswordHash

USER_TOKEN_PREFIX = "swu_"
DEVICE_TOKEN_PREFIX = "swd_"
MIN_PASSWORD_LENGTH = 10


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Check a password; returns (ok, new hash if the stored one should be upgraded).

    An unknown user is checked against a dummy hash so that the answer takes as long either way.
    """
    if password_hash is None:
        _hasher().verify(password, _dummy_hash())
        return False, None
    return _hasher().verify_and_update(password, password_hash)


def hash_pin(pin: str) -> str:
    """An app-lock PIN (short by nature: the attempts are limited instead)."""
    return _hasher().hash(pin)


def pin_matches(pin: str, pin_hash: str | None) -> bool:
    """Whether a PIN is the one stored (as long to answer when none is stored)."""
    if pin_hash is None:
        _hasher().verify(pin, _dummy_hash())
        return False
    return _hasher().verify(pin, pin_hash)


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """Stored form of a bearer secret: high-entropy, so a plain SHA-256 is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
