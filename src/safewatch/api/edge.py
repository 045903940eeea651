"""What every answer and every request passes at the hub's edge: strict security headers, a
bound on request bodies, and no change from another site's page.

A plain ASGI middleware: it touches only the start of each answer, so the 2,000 open alert
streams pay nothing per event."""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DOCS = ("/docs", "/redoc", "/openapi.json")  # FastAPI's own pages load their scripts elsewhere


def content_security_policy(nonce: str, tile_origin: str | None = None) -> str:
    tiles = f" {tile_origin}" if tile_origin else ""  # the region's map tile server
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "  # the pages' style attributes; no script
        f"img-src 'self' data: blob:{tiles}; media-src 'self' blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    )


def _same_site(headers: dict[str, str]) -> bool:
    """Whether a change comes from our own pages or from a client that is not a browser. A
    browser says where a request comes from (Fetch Metadata); another site's form or script
    may not change anything here (CSRF). An older browser names the page's origin instead
    ("null" from our own pages too: they send no referrer). Other clients send neither."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # none: typed by the person, a bookmark
    origin = headers.get("origin")
    return origin in (None, "null") or urlsplit(origin).netloc == headers.get("host", "")


class Edge:
    def __init__(
        self, app: ASGIApp, max_body: int, https: bool, tile_origin: str | None = None
    ) -> None:
        self.app, self.max_body, self.https = app, max_body, https
        self.tile_origin = tile_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        path: str = scope["path"]
        extra = self._headers(path, nonce)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in present),
                ]
            await send(message)

        await self.app(scope, self._bounded(receive), send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            return 413, f"the request is larger than {self.max_body:,} bytes"
        if scope["method"] in UNSAFE and not _same_site(headers):
            return 403, "a change may not come from another site's page"
        return None

    def _headers(self, path: str, nonce: str) -> list[tuple[bytes, bytes]]:
        out = {
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
            "referrer-policy": "no-referrer",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "geolocation=(self), camera=(), microphone=(), payment=()",
        }
        if not path.startswith(DOCS):
            out["content-security-policy"] = content_security_policy(nonce, self.tile_origin)
        if path.startswith("/api/"):
            out["cache-control"] = "no-store"  # addresses, incidents: never in a shared cache
        if self.https:
            out["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        return [(k.encode(), v.encode()) for k, v in out.items()]

    def _bounded(self, receive: Receive) -> Receive:
        """A body sent without its length is counted as it comes."""
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        return bounded


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request is larger than {limit:,} bytes")


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
