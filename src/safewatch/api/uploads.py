"""Request bodies from cameras (clips, pictures), read up to a limit and refused beyond it."""

from __future__ import annotations

from fastapi import Request

from safewatch.core.errors import Invalid


async def bounded_body(request: Request, limit: int, what: str) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Invalid(f"{what} is at most {limit:,} bytes")
    return bytes(body)
