"""The errors the client raises: one class per kind of failure, each carrying the server's message."""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
    "DicomApiError",
    "APIConnectionError",
    "APIStatusError",
    "InvalidRequest",
    "AuthenticationError",
    "PermissionDenied",
    "NotFound",
    "Conflict",
    "TooLarge",
    "RateLimited",
    "QuotaExceeded",
    "ServerError",
    "JobFailed",
]


class DicomApiError(Exception):
    """Every error this package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(DicomApiError):
    """The server could not be reached, or the connection broke (after the retries)."""


class APIStatusError(DicomApiError):
    """The server answered with an error status; `message` is its `error` sentence."""

    def __init__(self, message: str, *, status_code: int, body: Any, headers: httpx.Headers) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


class InvalidRequest(APIStatusError):
    """400 and the other 4xx without a class of their own: the request needs changing."""

    @property
    def field(self) -> str | None:
        """The request field at fault, when the server names one."""
        return self.body.get("field") if isinstance(self.body, dict) else None


class AuthenticationError(APIStatusError):
    """401: no valid API key or token."""


class PermissionDenied(APIStatusError):
    """403: authenticated, but not allowed."""


class NotFound(InvalidRequest):
    """404: does not exist, or is not yours."""


class Conflict(InvalidRequest):
    """409: not in a state that allows it yet (a job's results before it succeeded)."""


class TooLarge(APIStatusError):
    """413: a size limit was passed; `limit` names it."""

    @property
    def limit(self) -> str | None:
        return self.body.get("limit") if isinstance(self.body, dict) else None


class RateLimited(APIStatusError):
    """429 throttle (e.g. too many failed logins) still refused after the retries, or asking a
    longer wait than the client is allowed to sleep; `retry_after` is in seconds."""

    @property
    def retry_after(self) -> float | None:
        return _seconds(self.headers.get("Retry-After"))


class QuotaExceeded(RateLimited):
    """429: the monthly quota of an endpoint is used up. Raised at once, never waited out."""

    def __init__(self, message: str, *, status_code: int, body: Any, headers: httpx.Headers) -> None:
        super().__init__(message, status_code=status_code, body=body, headers=headers)
        self.quota: int = body["quota"]
        self.requests_used: int = body["requests_used"]
        # The start of the next month, epoch seconds (X-RateLimit-Reset), when the server says.
        self.reset: int | None = _int(headers.get("X-RateLimit-Reset"))


class ServerError(APIStatusError):
    """5xx (after the retries, for 502/503/504)."""


class JobFailed(DicomApiError):
    """A job ended `failed`, `cancelled` or `expired` while being waited for."""

    def __init__(self, job: Any) -> None:
        super().__init__(f"Job {job.id} ended {job.status}" + (f": {job.error}" if job.error else "."))
        self.job = job


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date: not sent by this service
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_BY_STATUS: dict[int, type[APIStatusError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    429: RateLimited,
}


def error_from_response(status_code: int, headers: httpx.Headers, content: bytes) -> APIStatusError:
    """The exception for an error answer, with the server's `error` sentence as its message."""
    try:
        body: Any = json.loads(content)
    except ValueError:
        body = content.decode("utf-8", "replace")
    message = body.get("error") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        message = f"HTTP {status_code}" + (f": {body[:200]}" if isinstance(body, str) and body else "")
    if status_code == 429 and isinstance(body, dict) and "quota" in body and "requests_used" in body:
        cls: type[APIStatusError] = QuotaExceeded
    elif status_code >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status_code, InvalidRequest)
    return cls(message, status_code=status_code, body=body, headers=headers)
