"""Short-lived signed links to a snapshot or clip: a browser's <video> and an outside 112
system cannot send our login token, so the link itself carries a signed, expiring grant."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Literal

from safewatch.core.errors import Forbidden

Media = Literal["snapshot", "clip", "original_snapshot", "original_clip"]
LINK_SECONDS = 15 * 60
ORIGINAL_LINK_SECONDS = 5 * 60  # unblurred pictures: long enough to watch, not to pass on


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Grant:
    event_id: uuid.UUID
    media: Media
    audience: str  # who the link was made for (for the audit trail)
    expires: int
    by: uuid.UUID | None = None  # the person whose request made it (none: an alert's delivery)


class LinkSigner:
    def __init__(self, secret: str, prefix: str = "/api/v1/media/") -> None:
        self._key = hashlib.sha256(b"safewatch-media-links:" + secret.encode()).digest()
        self.prefix = prefix

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def url(
        self,
        event_id: uuid.UUID,
        media: Media,
        audience: str,
        seconds: int = LINK_SECONDS,
        by: uuid.UUID | None = None,
    ) -> str:
        grant = {"e": str(event_id), "m": media, "a": audience, "x": int(time.time()) + seconds}
        if by is not None:
            grant["b"] = str(by)
        body = _b64(json.dumps(grant, separators=(",", ":")).encode())
        return f"{self.prefix}{body}.{self._mac(body)}"

    def verify(self, token: str, now: float | None = None) -> Grant:
        body, _, mac = token.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise Forbidden("this link is not valid")
        try:
            raw = json.loads(_unb64(body))
            by = uuid.UUID(raw["b"]) if "b" in raw else None
            grant = Grant(uuid.UUID(raw["e"]), raw["m"], str(raw["a"]), int(raw["x"]), by)
        except (ValueError, KeyError, TypeError) as exc:
            raise Forbidden("this link is not valid") from exc
        if grant.expires < (now if now is not None else time.time()):
            raise Forbidden("this link has expired; open the incident again for a fresh one")
        return grant
