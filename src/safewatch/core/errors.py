"""Domain errors the API turns into answers a person understands."""

from __future__ import annotations


class SafewatchError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SafewatchError):
    status_code = 404


class Forbidden(SafewatchError):
    status_code = 403


class Conflict(SafewatchError):
    """The request is well formed but the current state does not allow it."""

    status_code = 409


class Invalid(SafewatchError):
    status_code = 422


class Unauthorized(SafewatchError):
    status_code = 401


class TooMany(SafewatchError):
    """Too many requests of one kind from one sender: try again after ``retry_after`` s."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
