"""What the sync and the async client share, free of I/O: configuration, the requests each call
makes, uploads that can be sent again on a retry, and the retry policy."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypedDict, TypeVar, Union, cast

import httpx

from dicom_api_client.errors import (
    APIConnectionError,
    APIStatusError,
    DicomApiError,
    QuotaExceeded,
    RateLimited,
    ServerError,
    error_from_response,
)

DEFAULT_BASE_URL = "http://localhost:8080"
DEFAULT_TIMEOUT = httpx.Timeout(300.0, connect=10.0)  # a large read renders for a while
USER_AGENT = "dicom-api-client/0.1"

# What an upload can be: a path, the bytes, or a binary file object.
FileInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]
Auth = Literal["key", "token", "key-or-token", "none"]
HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


class ReadOptions(TypedDict, total=False):
    """Every option of the read endpoint (and of a job), as the API names them."""

    fields: str | Sequence[str]  # keywords to return; the others are left out
    return_format: Literal["png", "jpeg", "jpg", "gif"]
    images: bool  # False: metadata only
    frames: str | int | Sequence[int]  # 1-based, e.g. "1,3,5-9" or [1, 2]
    window_center: float
    window_width: float
    max_size: int  # longest edge in pixels
    quality: int  # JPEG, 1-100
    animate: bool  # with gif: one animated GIF
    metadata: Literal["flat", "dicom-json"]
    anonymize: bool


READ_OPTION_NAMES = frozenset(ReadOptions.__annotations__)


def form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return str(value)


def read_form(options: Mapping[str, Any]) -> dict[str, str]:
    unknown = set(options) - READ_OPTION_NAMES
    if unknown:
        raise TypeError(f"Unknown read option {sorted(unknown)[0]!r}; the options are {sorted(READ_OPTION_NAMES)}.")
    return {name: form_value(value) for name, value in options.items() if value is not None}


@dataclass(frozen=True)
class Upload:
    """A file to send that can be sent again: a path is reopened, a file object rewound."""

    source: FileInput
    default_name: str = "upload.dcm"

    @property
    def name(self) -> str:
        if isinstance(self.source, (str, os.PathLike)):
            return Path(self.source).name
        return Path(getattr(self.source, "name", "") or self.default_name).name

    @contextmanager
    def opened(self) -> Iterator[IO[bytes]]:
        if isinstance(self.source, (str, os.PathLike)):
            with open(self.source, "rb") as handle:
                yield handle
        elif isinstance(self.source, (bytes, bytearray, memoryview)):
            yield io.BytesIO(self.source)
        else:  # a seekable file (as_upload reads a non-seekable one into bytes): rewound for a retry
            start = self.source.tell()
            yield self.source
            self.source.seek(start)


def as_upload(source: FileInput, default_name: str = "upload.dcm") -> Upload:
    """Checked early: a missing path is a clear error here, not on the wire."""
    if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
        raise DicomApiError(f"No such file: {os.fspath(source)}")
    if isinstance(source, str | os.PathLike | bytes | bytearray | memoryview):
        return Upload(source, default_name)
    if hasattr(source, "read"):
        if not source.seekable():  # read once so that a retry can send it again
            return Upload(source.read(), Path(getattr(source, "name", "") or default_name).name)
        return Upload(source, default_name)
    raise TypeError(f"Expected a path, bytes or a binary file object, not {type(source).__name__}.")


@dataclass
class ApiRequest:
    method: str
    url: str
    auth: Auth
    json: Any = None
    data: dict[str, Any] | None = None
    uploads: list[tuple[str, Upload]] = field(default_factory=list)
    params: dict[str, Any] | None = None
    on_upload: Callable[[int], None] | None = None  # bytes of the uploads read for sending

    @contextmanager
    def files(self) -> Iterator[list[tuple[str, tuple[str, IO[bytes], str]]] | None]:
        if not self.uploads:
            yield None
            return
        with ExitStack() as stack:
            opened = [(field_name, upload.name, stack.enter_context(upload.opened())) for field_name, upload in self.uploads]
            yield [
                (field_name, (name, cast(IO[bytes], CountingReader(handle, self.on_upload)) if self.on_upload else handle, "application/octet-stream"))
                for field_name, name, handle in opened
            ]


class CountingReader:
    """A file object that reports the bytes read from it (httpx reads uploads in chunks)."""

    def __init__(self, raw: IO[bytes], on_bytes: Callable[[int], None]) -> None:
        self._raw = raw
        self._on_bytes = on_bytes

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._on_bytes(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter on connection errors and 502/503/504, honouring a short
    `Retry-After`; a 429 throttle (login) is retried when its `Retry-After` is short; a monthly
    quota refusal and every other 4xx are raised at once."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is raised, not slept through

    def backoff(self, attempt: int) -> float:
        delay = min(self.max_delay, self.initial_delay * 2.0**attempt)
        return delay * (1 - 0.25 * random.random())

    def after_connection_error(self, attempt: int) -> float | None:
        return self.backoff(attempt) if attempt < self.max_retries else None

    def after_error(self, attempt: int, error: APIStatusError) -> float | None:
        if attempt >= self.max_retries or isinstance(error, QuotaExceeded):
            return None
        retry_after = _retry_after(error.headers)
        if isinstance(error, RateLimited):
            if retry_after is None or retry_after > self.max_retry_after:
                return None
            return retry_after
        if isinstance(error, ServerError) and error.status_code in (502, 503, 504):
            if retry_after is not None and retry_after <= self.max_retry_after:
                return retry_after
            return self.backoff(attempt)
        return None


def _retry_after(headers: httpx.Headers) -> float | None:
    try:
        value = float(headers.get("Retry-After", ""))
    except ValueError:
        return None
    return max(0.0, value)


class BaseClient(Generic[HttpClient]):
    """What Client and AsyncClient share: configuration (arguments first, then the environment:
    `DICOM_API_KEY`, `DICOM_API_URL`), credentials, and the retry decisions."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        token: str | None = None,
        max_retries: int = 2,
        timeout: float | httpx.Timeout | None = None,
        http_client: HttpClient | None = None,
    ) -> None:
        self._api_key = api_key or os.environ.get("DICOM_API_KEY") or None
        self._base_url = (base_url or os.environ.get("DICOM_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        self._token = token  # a JWT access token: profiles, keys, usage
        self._refresh: str | None = None
        self._retry_policy = RetryPolicy(max_retries=max_retries)
        self._timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self._http: HttpClient = http_client or self._new_http_client()

    def _new_http_client(self) -> HttpClient:
        raise NotImplementedError

    def _http_options(self) -> dict[str, Any]:
        return {"base_url": self._base_url, "timeout": self._timeout, "headers": {"User-Agent": USER_AGENT}}

    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def token(self) -> str | None:
        """The JWT access token from login() (or token=)."""
        return self._token

    def _remember_tokens(self, body: dict[str, Any]) -> None:
        self._token, self._refresh = body["access"], body["refresh"]

    def _headers(self, auth: Auth) -> dict[str, str]:
        if auth == "none":
            return {}
        if auth in ("key", "key-or-token") and self._api_key:
            return {"Authorization": f"ApiKey {self._api_key}"}
        if auth in ("token", "key-or-token") and self._token:
            return {"Authorization": f"Bearer {self._token}"}
        if auth == "token":
            raise DicomApiError("This call needs a token: call login(email, password) first, or pass token=.")
        raise DicomApiError("No API key: pass api_key= or set DICOM_API_KEY.")

    def _build(self, request: ApiRequest, files: Any) -> httpx.Request:
        return self._http.build_request(
            request.method, request.url, headers=self._headers(request.auth), json=request.json,
            data=request.data, files=files, params=request.params,
        )

    def _delay_after_connection_error(self, attempt: int, exc: httpx.TransportError) -> float:
        """Seconds to wait before the next attempt, or APIConnectionError raised."""
        delay = self._retry_policy.after_connection_error(attempt)
        if delay is None:
            raise APIConnectionError(f"Could not reach {self._base_url}: {exc}") from None
        return delay

    def _delay_after_error(self, attempt: int, response: httpx.Response, content: bytes) -> float:
        """Seconds to wait before the next attempt, or the answer's error raised."""
        error = error_from_response(response.status_code, response.headers, content)
        delay = self._retry_policy.after_error(attempt, error)
        if delay is None:
            raise error
        return delay


# The requests each call makes (shared by Client and AsyncClient).

def read_request(file: FileInput, options: Mapping[str, Any], on_upload: Callable[[int], None] | None = None) -> ApiRequest:
    return ApiRequest(
        "POST", "/api/dicom/read/file/", "key", data=read_form(options), uploads=[("file", as_upload(file))], on_upload=on_upload
    )


def generate_request(images: FileInput | Sequence[FileInput], file_name: str, transfer_syntax: str | None, fields: Mapping[str, Any]) -> ApiRequest:
    sources: list[FileInput] = list(images) if isinstance(images, (list, tuple)) else [images]  # type: ignore[list-item]
    if not sources:
        raise DicomApiError("Give at least one PNG or JPEG image.")
    data = {keyword: form_value(value) for keyword, value in fields.items()}
    data["file_name"] = file_name
    if transfer_syntax:
        data["transfer_syntax"] = transfer_syntax
    return ApiRequest(
        "POST", "/api/dicom/generate/", "key", data=data,
        uploads=[("image", as_upload(source, "image.png")) for source in sources],
    )


JOBS_PATH = "/api/dicom/read/jobs/"


def job_path(job_id: str) -> str:
    return f"{JOBS_PATH}{job_id}/"
