"""Every error answers with a sentence a person can act on, under ``detail``."""

from __future__ import annotations

import errno
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from safewatch.api.edge import BodyTooLarge
from safewatch.core.errors import SafewatchError, TooMany, Unauthorized
from safewatch.store.sealing import SealError

log = logging.getLogger(__name__)


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _sentence(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", "is not valid"))
    if error.get("type") == "missing":
        msg = "is required"
    elif error.get("type") == "extra_forbidden":
        msg = "is not a known field"
    elif error.get("type") == "string_pattern_mismatch":
        msg = "has the wrong form"
    return f"{_where(tuple(error.get('loc', ())))} {msg}".replace("Value error, ", "")


# What a refused request gets (every 4xx): a sentence, and for a 422 one per field.
PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "What is wrong, as a sentence"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["detail"],
}


def document_problems(app: FastAPI) -> None:
    """The published schema says what a 422 really looks like (FastAPI's default names a
    list of pydantic errors, which this hub never sends)."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = default()
            schemas = document.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = PROBLEM_SCHEMA
                schemas.pop("ValidationError", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    document_problems(app)

    @app.exception_handler(SafewatchError)
    async def domain_error(_request: Request, exc: SafewatchError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        if isinstance(exc, TooMany):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"detail": exc.message}, exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        sentences = [_sentence(e) for e in errors]
        return JSONResponse(
            {
                "detail": "; ".join(sentences),
                "errors": [
                    {"field": _where(tuple(e.get("loc", ()))), "message": s}
                    for e, s in zip(errors, sentences, strict=True)
                ],
            },
            422,
        )

    @app.exception_handler(IntegrityError)
    async def conflict(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the change conflicts with a record that already exists; nothing was saved"},
            409,
        )

    @app.exception_handler(DataError)
    async def unstorable(_request: Request, _exc: DataError) -> JSONResponse:
        # A value no column can hold (a NUL character in a query or form field, say).
        return JSONResponse(
            {
                "detail": "a value in the request cannot be stored (a NUL character?); nothing "
                "was saved"
            },
            422,
        )

    @app.exception_handler(OperationalError)
    async def unavailable(_request: Request, _exc: OperationalError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the database is not reachable right now; nothing was saved, try again"},
            503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(SealError)
    async def integrity(request: Request, exc: SealError) -> JSONResponse:
        # A sealed file that does not open was altered, swapped or written with a lost key:
        # never served, always logged for the operators.
        log.error("sealed file refused on %s: %s", request.url.path, exc)
        return JSONResponse(
            {"detail": f"the stored file failed its integrity check and is not shown ({exc})"},
            500,
        )

    @app.exception_handler(BodyTooLarge)
    async def too_large(_request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 413)

    @app.exception_handler(OSError)
    async def storage(request: Request, exc: OSError) -> JSONResponse:
        # A full or failing disk (clips, photos): nothing was saved; a camera's outbox keeps
        # what it sent and tries again.
        log.error("storage failed on %s: %s", request.url.path, exc)
        if exc.errno == errno.ENOSPC:
            return JSONResponse(
                {"detail": "the hub's storage is full; nothing was saved, send it again later"},
                507,
                headers={"Retry-After": "30"},
            )
        return JSONResponse(
            {"detail": f"the hub's storage failed ({exc.strerror or exc}); nothing was saved"},
            503,
            headers={"Retry-After": "10"},
        )
