"""Access that ends: recorded in the transaction that ends it, so that every replica's stream
guard (``api/stream_guard.py``) ends the open streams that listened with it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from safewatch.incidents.addresses import agency_address, user_address
from safewatch.models import AccessEnded

__all__ = ["agency_address", "end_access", "sign_in_address", "user_address"]


def sign_in_address(token_hash: str) -> str:
    """One sign-in's own address (its stream listens at it beside the person's)."""
    return f"token:{token_hash}"


def end_access(session: Session, addresses: Iterable[str | None], reason: str) -> None:
    now = datetime.now(UTC)
    session.add_all(
        AccessEnded(at=now, address=address, reason=reason[:200])
        for address in addresses
        if address
    )
