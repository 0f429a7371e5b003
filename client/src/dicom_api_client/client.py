"""`Client` and `AsyncClient`: the same calls, over httpx's sync and async clients. Requests,
retries and answer parsing live in _base and _stream; this module only does the I/O."""

from __future__ import annotations

import asyncio
import time
from contextlib import contextmanager
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Unpack

import httpx

from dicom_api_client._base import (
    JOBS_PATH,
    USER_AGENT,
    ApiRequest,
    ClientConfig,
    FileInput,
    ReadOptions,
    expect_json_object,
    generate_request,
    job_path,
    read_request,
    submit_job_request,
)
from dicom_api_client._stream import AnswerParser, FolderSink, MemorySink
from dicom_api_client.errors import APIConnectionError, DicomApiError, JobFailed, error_from_response
from dicom_api_client.models import (
    ApiKey,
    Frame,
    JobStatus,
    NewApiKey,
    Profile,
    ReadResult,
    Skipped,
    Usage,
    ZipResult,
)

__all__ = ["Client", "AsyncClient", "Job", "AsyncJob", "ResultPage"]

FrameCallback = Callable[[Frame], None]
ByteCallback = Callable[[int], None]


class ResultPage:
    """One page of a job's results."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.results: list[ReadResult] = body["results"]
        self.skipped: list[Skipped] = body["skipped"]
        self.count: int | None = body.get("count")
        self.next: str | None = body.get("next")


def _answer_parser(options: ReadOptions, frames_dir: str | Path | None, on_frame: FrameCallback | None) -> AnswerParser:
    sink = FolderSink(Path(frames_dir)) if frames_dir is not None else MemorySink()
    return AnswerParser(sink, requested_format=str(options.get("return_format", "png")), on_frame=on_frame)


def _check_json_answer(response: httpx.Response) -> None:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        raise DicomApiError(f"Expected JSON from {response.request.url.path}, got {response.headers.get('Content-Type')!r}.")


class Client:
    """The DICOM API, synchronously.

    >>> client = Client()  # DICOM_API_KEY and DICOM_API_URL from the environment
    >>> result = client.read("CT_small.dcm", fields=["PatientName", "Modality"])
    >>> result.metadata["Modality"], result.frames[0].data[:4]
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        token: str | None = None,
        max_retries: int = 2,
        timeout: float | httpx.Timeout | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._config = ClientConfig(api_key, base_url=base_url, token=token, max_retries=max_retries, timeout=timeout)
        self._http = http_client or httpx.Client(
            base_url=self._config.base_url, timeout=self._config.timeout, headers={"User-Agent": USER_AGENT}
        )

    @property
    def api_key(self) -> str | None:
        return self._config.api_key

    @property
    def base_url(self) -> str:
        return self._config.base_url

    @property
    def token(self) -> str | None:
        """The JWT access token from login() (or token=)."""
        return self._config.token

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The DICOM calls (API key).

    def read(
        self,
        file: FileInput,
        *,
        frames_dir: str | Path | None = None,
        on_frame: FrameCallback | None = None,
        on_bytes: ByteCallback | None = None,
        **options: Unpack[ReadOptions],
    ) -> ReadResult | ZipResult:
        """Read a DICOM file or a zip (a path, bytes or a binary file object). The answer is
        parsed as it arrives; with `frames_dir` each frame is written there as it lands (a
        zip member's under its name made safe), otherwise kept as bytes in its Frame."""
        parser = _answer_parser(options, frames_dir, on_frame)
        with self._open(read_request(file, options)) as response:
            _check_json_answer(response)
            for chunk in self._chunks(response):
                parser.feed(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        result = parser.close()
        assert not isinstance(result, dict), "a read answer has no paging keys"
        return result

    def generate(
        self,
        images: FileInput | Sequence[FileInput],
        file_name: str,
        *,
        transfer_syntax: str | None = None,
        **fields: Any,
    ) -> bytes:
        """A DICOM file (bytes) from one PNG/JPEG image or several (one multi-frame instance),
        with DICOM keywords as keyword arguments: `generate("a.png", "scan", PatientName="Doe^J")`."""
        with self._open(generate_request(images, file_name, transfer_syntax, fields)) as response:
            return response.read()

    def usage(self) -> Usage:
        """This month's calls, with the API key (or the token)."""
        return Usage.from_json(self._json(ApiRequest("GET", "/api/developer/profiles/activity-summary/", "key-or-token")))

    # Jobs (API key).

    def submit_job(self, file: FileInput, *, callback_url: str | None = None, **options: Unpack[ReadOptions]) -> Job:
        """Run a read as a job (a whole study, a long cine); `job.wait()` then `job.results()`."""
        return Job(self, JobStatus.from_json(self._json(submit_job_request(file, callback_url, options))), dict(options))

    def get_job(self, job_id: str) -> Job:
        return Job(self, self._job_status(job_id))

    def list_jobs(self) -> list[Job]:
        """The caller's jobs, newest first (every page)."""
        jobs: list[Job] = []
        url: str | None = JOBS_PATH
        while url:
            body = self._json(ApiRequest("GET", url, "key"))
            jobs.extend(Job(self, JobStatus.from_json(item)) for item in body["results"])
            url = body.get("next")
        return jobs

    def cancel_job(self, job_id: str) -> None:
        with self._open(ApiRequest("DELETE", job_path(job_id), "key")):
            pass

    def _job_status(self, job_id: str) -> JobStatus:
        return JobStatus.from_json(self._json(ApiRequest("GET", job_path(job_id), "key")))

    # Accounts, profiles and keys (token).

    def register(self, email: str, password: str) -> dict[str, Any]:
        return self._json(ApiRequest("POST", "/api/register/", "none", json={"email": email, "password": password}))

    def login(self, email: str, password: str) -> None:
        """Get a token pair; later profile and key calls use the access token."""
        body = self._json(ApiRequest("POST", "/api/token/", "none", json={"email": email, "password": password}))
        self._config.token, self._config.refresh = body["access"], body["refresh"]

    def create_profile(self, purpose: str, organization: str) -> Profile:
        body = self._json(ApiRequest("POST", "/api/developer/profiles/", "token", json={"purpose": purpose, "organization": organization}))
        return Profile.from_json(body)

    def get_profile(self) -> Profile:
        return Profile.from_json(self._json(ApiRequest("GET", "/api/developer/profiles/", "token")))

    def create_key(self, name: str) -> NewApiKey:
        body = self._json(ApiRequest("POST", "/api-keys/", "token", json={"name": name}))
        return NewApiKey(id=body["id"], name=body["name"], key=body["key"])

    def list_keys(self) -> list[ApiKey]:
        with self._open(ApiRequest("GET", "/api-keys/", "token")) as response:
            response.read()
            return [ApiKey(id=item["id"], name=item["name"], prefix=item["prefix"], created=item["created"]) for item in response.json()]

    def delete_key(self, key_id: int) -> None:
        with self._open(ApiRequest("DELETE", f"/api-keys/delete/{key_id}/", "token")):
            pass

    # The transport: one request, retried as the policy says.

    @contextmanager
    def _open(self, request: ApiRequest) -> Iterator[httpx.Response]:
        """The successful response, open for streaming, closed on leaving."""
        response = self._send(request)
        try:
            yield response
        finally:
            response.close()

    def _send(self, request: ApiRequest) -> httpx.Response:
        policy = self._config.retry_policy
        attempt = 0
        while True:
            headers = self._config.headers(request.auth)
            try:
                with request.files() as files:
                    response = self._http.send(
                        self._http.build_request(
                            request.method, request.url, headers=headers, json=request.json,
                            data=request.data, files=files, params=request.params,
                        ),
                        stream=True,
                    )
            except httpx.TransportError as exc:
                delay = policy.after_connection_error(attempt)
                if delay is None:
                    raise APIConnectionError(f"Could not reach {self.base_url}: {exc}") from None
            else:
                if response.is_success:
                    return response
                content = self._read_error(response)
                error = error_from_response(response.status_code, response.headers, content)
                delay = policy.after_error(attempt, error)
                if delay is None:
                    raise error
            time.sleep(delay)
            attempt += 1

    @staticmethod
    def _read_error(response: httpx.Response) -> bytes:
        try:
            return response.read()
        except httpx.TransportError:
            return b""
        finally:
            response.close()

    def _chunks(self, response: httpx.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_bytes()
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The connection broke while receiving the answer: {exc}") from None

    def _json(self, request: ApiRequest) -> dict[str, Any]:
        with self._open(request) as response:
            response.read()
            return expect_json_object(response)

    def _read_page(self, url: str, options: ReadOptions, frames_dir: str | Path | None, on_frame: FrameCallback | None) -> ResultPage:
        parser = _answer_parser(options, frames_dir, on_frame)
        with self._open(ApiRequest("GET", url, "key")) as response:
            _check_json_answer(response)
            for chunk in self._chunks(response):
                parser.feed(chunk)
        body = parser.close()
        if not isinstance(body, dict):
            raise DicomApiError("A job result page has no paging keys.")
        return ResultPage(body)

    def _download(self, url: str, path: Path, on_bytes: ByteCallback | None) -> Path:
        with self._open(ApiRequest("GET", url, "key")) as response, open(path, "wb") as out:
            for chunk in self._chunks(response):
                out.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        return path


class Job:
    """A read job: its last known status, and the calls on it."""

    def __init__(self, client: Client, status: JobStatus, options: dict[str, Any] | None = None) -> None:
        self._client = client
        self.status = status
        self._options = options or {}

    @property
    def id(self) -> str:
        return self.status.id

    def refresh(self) -> JobStatus:
        self.status = self._client._job_status(self.id)
        return self.status

    def wait(
        self,
        *,
        progress: Callable[[JobStatus], None] | None = None,
        poll_interval: float = 1.0,
        timeout: float | None = None,
    ) -> JobStatus:
        """Poll until the job ends; `progress(status)` after each poll. Raises JobFailed unless it
        succeeded, DicomApiError on `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.refresh()
            if progress is not None:
                progress(status)
            if status.done:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise DicomApiError(f"Job {self.id} still {status.status} after {timeout} s.")
            time.sleep(poll_interval)
        if status.status != "succeeded":
            raise JobFailed(status)
        return status

    def results(self, *, frames_dir: str | Path | None = None, on_frame: FrameCallback | None = None) -> Iterator[ReadResult]:
        """Every file's result, page after page, each parsed as it arrives."""
        yield from (result for page in self.pages(frames_dir=frames_dir, on_frame=on_frame) for result in page.results)

    def pages(self, *, frames_dir: str | Path | None = None, on_frame: FrameCallback | None = None) -> Iterator[ResultPage]:
        url: str | None = self.status.results_url or f"{job_path(self.id)}results/"
        while url:
            page = self._client._read_page(url, self._options, frames_dir, on_frame)
            yield page
            url = page.next

    def download_archive(self, path: str | Path, *, on_bytes: ByteCallback | None = None) -> Path:
        """The job's zip (`<name>.json` and frames for each file), streamed to `path`."""
        return self._client._download(self.status.archive_url or f"{job_path(self.id)}archive/", Path(path), on_bytes)

    def cancel(self) -> None:
        self._client.cancel_job(self.id)


class AsyncClient:
    """The DICOM API with asyncio: the same calls as Client, awaited."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        token: str | None = None,
        max_retries: int = 2,
        timeout: float | httpx.Timeout | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._config = ClientConfig(api_key, base_url=base_url, token=token, max_retries=max_retries, timeout=timeout)
        self._http = http_client or httpx.AsyncClient(
            base_url=self._config.base_url, timeout=self._config.timeout, headers={"User-Agent": USER_AGENT}
        )

    @property
    def api_key(self) -> str | None:
        return self._config.api_key

    @property
    def base_url(self) -> str:
        return self._config.base_url

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def read(
        self,
        file: FileInput,
        *,
        frames_dir: str | Path | None = None,
        on_frame: FrameCallback | None = None,
        on_bytes: ByteCallback | None = None,
        **options: Unpack[ReadOptions],
    ) -> ReadResult | ZipResult:
        """As Client.read."""
        parser = _answer_parser(options, frames_dir, on_frame)
        response = await self._send(read_request(file, options))
        try:
            _check_json_answer(response)
            async for chunk in self._chunks(response):
                parser.feed(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        finally:
            await response.aclose()
        result = parser.close()
        assert not isinstance(result, dict), "a read answer has no paging keys"
        return result

    async def generate(
        self,
        images: FileInput | Sequence[FileInput],
        file_name: str,
        *,
        transfer_syntax: str | None = None,
        **fields: Any,
    ) -> bytes:
        """As Client.generate."""
        response = await self._send(generate_request(images, file_name, transfer_syntax, fields))
        try:
            return await response.aread()
        finally:
            await response.aclose()

    async def usage(self) -> Usage:
        return Usage.from_json(await self._json(ApiRequest("GET", "/api/developer/profiles/activity-summary/", "key-or-token")))

    async def submit_job(self, file: FileInput, *, callback_url: str | None = None, **options: Unpack[ReadOptions]) -> AsyncJob:
        return AsyncJob(self, JobStatus.from_json(await self._json(submit_job_request(file, callback_url, options))), dict(options))

    async def get_job(self, job_id: str) -> AsyncJob:
        return AsyncJob(self, await self._job_status(job_id))

    async def cancel_job(self, job_id: str) -> None:
        await (await self._send(ApiRequest("DELETE", job_path(job_id), "key"))).aclose()

    async def _job_status(self, job_id: str) -> JobStatus:
        return JobStatus.from_json(await self._json(ApiRequest("GET", job_path(job_id), "key")))

    async def login(self, email: str, password: str) -> None:
        body = await self._json(ApiRequest("POST", "/api/token/", "none", json={"email": email, "password": password}))
        self._config.token, self._config.refresh = body["access"], body["refresh"]

    async def _send(self, request: ApiRequest) -> httpx.Response:
        policy = self._config.retry_policy
        attempt = 0
        while True:
            headers = self._config.headers(request.auth)
            try:
                with request.files() as files:
                    response = await self._http.send(
                        self._http.build_request(
                            request.method, request.url, headers=headers, json=request.json,
                            data=request.data, files=files, params=request.params,
                        ),
                        stream=True,
                    )
            except httpx.TransportError as exc:
                delay = policy.after_connection_error(attempt)
                if delay is None:
                    raise APIConnectionError(f"Could not reach {self.base_url}: {exc}") from None
            else:
                if response.is_success:
                    return response
                try:
                    content = await response.aread()
                except httpx.TransportError:
                    content = b""
                finally:
                    await response.aclose()
                error = error_from_response(response.status_code, response.headers, content)
                delay = policy.after_error(attempt, error)
                if delay is None:
                    raise error
            await asyncio.sleep(delay)
            attempt += 1

    async def _chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The connection broke while receiving the answer: {exc}") from None

    async def _json(self, request: ApiRequest) -> dict[str, Any]:
        response = await self._send(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return expect_json_object(response)

    async def _read_page(self, url: str, options: ReadOptions, frames_dir: str | Path | None, on_frame: FrameCallback | None) -> ResultPage:
        parser = _answer_parser(options, frames_dir, on_frame)
        response = await self._send(ApiRequest("GET", url, "key"))
        try:
            _check_json_answer(response)
            async for chunk in self._chunks(response):
                parser.feed(chunk)
        finally:
            await response.aclose()
        body = parser.close()
        if not isinstance(body, dict):
            raise DicomApiError("A job result page has no paging keys.")
        return ResultPage(body)


class AsyncJob:
    """As Job, awaited."""

    def __init__(self, client: AsyncClient, status: JobStatus, options: dict[str, Any] | None = None) -> None:
        self._client = client
        self.status = status
        self._options = options or {}

    @property
    def id(self) -> str:
        return self.status.id

    async def refresh(self) -> JobStatus:
        self.status = await self._client._job_status(self.id)
        return self.status

    async def wait(
        self,
        *,
        progress: Callable[[JobStatus], None | Awaitable[None]] | None = None,
        poll_interval: float = 1.0,
        timeout: float | None = None,
    ) -> JobStatus:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = await self.refresh()
            if progress is not None:
                outcome = progress(status)
                if outcome is not None:
                    await outcome
            if status.done:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise DicomApiError(f"Job {self.id} still {status.status} after {timeout} s.")
            await asyncio.sleep(poll_interval)
        if status.status != "succeeded":
            raise JobFailed(status)
        return status

    async def results(self, *, frames_dir: str | Path | None = None, on_frame: FrameCallback | None = None) -> AsyncIterator[ReadResult]:
        url: str | None = self.status.results_url or f"{job_path(self.id)}results/"
        while url:
            page = await self._client._read_page(url, self._options, frames_dir, on_frame)
            for result in page.results:
                yield result
            url = page.next

    async def cancel(self) -> None:
        await self._client.cancel_job(self.id)
