"""`Client` and `AsyncClient`: the same calls, over httpx's sync and async clients. Requests,
retries and answer parsing live in _base and _stream; this module only does the I/O."""

from __future__ import annotations

import asyncio
import time
from contextlib import contextmanager
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, Unpack

import httpx

from dicom_api_client._base import (
    JOBS_PATH,
    ApiRequest,
    BaseClient,
    FileInput,
    ReadOptions,
    generate_request,
    job_path,
    read_request,
)
from dicom_api_client import _calls as calls
from dicom_api_client._stream import AnswerParser, FolderSink, MemorySink
from dicom_api_client.errors import APIConnectionError, DicomApiError, JobFailed
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
JobClient = TypeVar("JobClient", "Client", "AsyncClient")
Result = TypeVar("Result")
ByteCallback = Callable[[int], None]


class ResultPage:
    """One page of a job's results."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.results: list[ReadResult] = body["results"]
        self.skipped: list[Skipped] = body["skipped"]
        self.count: int | None = body.get("count")
        self.next: str | None = body.get("next")


def _answer_parser(options: Mapping[str, Any], frames_dir: str | Path | None, on_frame: FrameCallback | None) -> AnswerParser:
    sink = FolderSink(Path(frames_dir)) if frames_dir is not None else MemorySink()
    return AnswerParser(sink, requested_format=str(options.get("return_format", "png")), on_frame=on_frame)


def _check_json_answer(response: httpx.Response) -> None:
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        raise DicomApiError(f"Expected JSON from {response.request.url.path}, got {response.headers.get('Content-Type')!r}.")


class Client(BaseClient[httpx.Client]):
    """The DICOM API, synchronously.

    >>> client = Client()  # DICOM_API_KEY and DICOM_API_URL from the environment
    >>> result = client.read("CT_small.dcm", fields=["PatientName", "Modality"])
    >>> result.metadata["Modality"], result.frames[0].data[:4]
    """

    def _new_http_client(self) -> httpx.Client:
        return httpx.Client(**self._http_options())

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
        on_upload: ByteCallback | None = None,
        **options: Unpack[ReadOptions],
    ) -> ReadResult | ZipResult:
        """Read a DICOM file or a zip (a path, bytes or a binary file object). The answer is
        parsed as it arrives; with `frames_dir` each frame is written there as it lands (a
        zip member's under its name made safe), otherwise kept as bytes in its Frame. `on_upload`,
        `on_bytes` and `on_frame` report the bytes sent, the bytes received and each frame."""
        parser = _answer_parser(options, frames_dir, on_frame)
        with self._open(read_request(file, options, on_upload)) as response:
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
        return self._call(calls.usage())

    # Jobs (API key).

    def submit_job(
        self, file: FileInput, *, callback_url: str | None = None, on_upload: ByteCallback | None = None, **options: Unpack[ReadOptions]
    ) -> Job:
        """Run a read as a job (a whole study, a long cine); `job.wait()` then `job.results()`.
        `on_upload(n)` reports the bytes sent."""
        return Job(self, self._call(calls.submit_job(file, callback_url, options, on_upload)), dict(options))

    def get_job(self, job_id: str) -> Job:
        return Job(self, self._call(calls.job_status(job_id)))

    def list_jobs(self) -> list[Job]:
        """The caller's jobs, newest first (every page)."""
        jobs: list[Job] = []
        url: str | None = JOBS_PATH
        while url:
            statuses, url = self._call(calls.jobs_page(url))
            jobs.extend(Job(self, status) for status in statuses)
        return jobs

    def cancel_job(self, job_id: str) -> None:
        self._call(calls.cancel_job(job_id))

    # Accounts, profiles and keys (token).

    def register(self, email: str, password: str) -> dict[str, Any]:
        return self._call(calls.register(email, password))

    def login(self, email: str, password: str) -> None:
        """Get a token pair; later profile and key calls use the access token."""
        self._remember_tokens(self._call(calls.token(email, password)))

    def create_profile(self, purpose: str, organization: str) -> Profile:
        return self._call(calls.create_profile(purpose, organization))

    def get_profile(self) -> Profile:
        return self._call(calls.get_profile())

    def create_key(self, name: str) -> NewApiKey:
        """A new API key; its secret (`.key`) is shown this once."""
        return self._call(calls.create_key(name))

    def list_keys(self) -> list[ApiKey]:
        return self._call(calls.list_keys())

    def delete_key(self, key_id: int) -> None:
        self._call(calls.delete_key(key_id))

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
        attempt = 0
        while True:
            try:
                with request.files() as files:
                    response = self._http.send(self._build(request, files), stream=True)
            except httpx.TransportError as exc:
                delay = self._delay_after_connection_error(attempt, exc)
            else:
                if response.is_success:
                    return response
                delay = self._delay_after_error(attempt, response, self._read_error(response))
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

    def _call(self, call: calls.Call[Result]) -> Result:
        with self._open(call.request) as response:
            return call.parse(calls.parse_body(response.read()))

    def _read_page(self, url: str, options: Mapping[str, Any], frames_dir: str | Path | None, on_frame: FrameCallback | None) -> ResultPage:
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


class _BaseJob(Generic[JobClient]):
    """What Job and AsyncJob share: the last known status, and the decisions of wait()."""

    def __init__(self, client: JobClient, status: JobStatus, options: dict[str, Any] | None = None) -> None:
        self._client: JobClient = client
        self.status = status
        self._options = options or {}

    @property
    def id(self) -> str:
        return self.status.id

    def _results_url(self) -> str:
        return self.status.results_url or f"{job_path(self.id)}results/"

    def _deadline(self, timeout: float | None) -> float | None:
        return None if timeout is None else time.monotonic() + timeout

    def _finished(self, status: JobStatus, deadline: float | None) -> bool:
        """True once the job ended (JobFailed raised unless it succeeded); DicomApiError past the deadline."""
        if status.done:
            if status.status != "succeeded":
                raise JobFailed(status)
            return True
        if deadline is not None and time.monotonic() >= deadline:
            raise DicomApiError(f"Job {self.id} still {status.status} after the timeout.")
        return False


class Job(_BaseJob["Client"]):
    """A read job: its last known status, and the calls on it."""

    def refresh(self) -> JobStatus:
        self.status = self._client._call(calls.job_status(self.id))
        return self.status

    def wait(
        self,
        *,
        progress: Callable[[JobStatus], None] | None = None,
        poll_interval: float = 1.0,
        timeout: float | None = None,
    ) -> JobStatus:
        """Poll until the job ends; `progress(status)` after each poll. Raises JobFailed unless it
        succeeded, DicomApiError after `timeout` seconds."""
        deadline = self._deadline(timeout)
        while True:
            status = self.refresh()
            if progress is not None:
                progress(status)
            if self._finished(status, deadline):
                return status
            time.sleep(poll_interval)

    def results(self, *, frames_dir: str | Path | None = None, on_frame: FrameCallback | None = None) -> Iterator[ReadResult]:
        """Every file's result, page after page, each parsed as it arrives."""
        yield from (result for page in self.pages(frames_dir=frames_dir, on_frame=on_frame) for result in page.results)

    def pages(self, *, frames_dir: str | Path | None = None, on_frame: FrameCallback | None = None) -> Iterator[ResultPage]:
        url: str | None = self._results_url()
        while url:
            page = self._client._read_page(url, self._options, frames_dir, on_frame)
            yield page
            url = page.next

    def download_archive(self, path: str | Path, *, on_bytes: ByteCallback | None = None) -> Path:
        """The job's zip (`<name>.json` and frames for each file), streamed to `path`."""
        return self._client._download(self.status.archive_url or f"{job_path(self.id)}archive/", Path(path), on_bytes)

    def cancel(self) -> None:
        self._client.cancel_job(self.id)


class AsyncClient(BaseClient[httpx.AsyncClient]):
    """The DICOM API with asyncio: the same calls as Client, awaited."""

    def _new_http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(**self._http_options())

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
        on_upload: ByteCallback | None = None,
        **options: Unpack[ReadOptions],
    ) -> ReadResult | ZipResult:
        """As Client.read."""
        parser = _answer_parser(options, frames_dir, on_frame)
        response = await self._send(read_request(file, options, on_upload))
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
        return await self._call(calls.usage())

    async def submit_job(
        self, file: FileInput, *, callback_url: str | None = None, on_upload: ByteCallback | None = None, **options: Unpack[ReadOptions]
    ) -> AsyncJob:
        return AsyncJob(self, await self._call(calls.submit_job(file, callback_url, options, on_upload)), dict(options))

    async def get_job(self, job_id: str) -> AsyncJob:
        return AsyncJob(self, await self._call(calls.job_status(job_id)))

    async def list_jobs(self) -> list[AsyncJob]:
        jobs: list[AsyncJob] = []
        url: str | None = JOBS_PATH
        while url:
            statuses, url = await self._call(calls.jobs_page(url))
            jobs.extend(AsyncJob(self, status) for status in statuses)
        return jobs

    async def cancel_job(self, job_id: str) -> None:
        await self._call(calls.cancel_job(job_id))

    async def register(self, email: str, password: str) -> dict[str, Any]:
        return await self._call(calls.register(email, password))

    async def login(self, email: str, password: str) -> None:
        self._remember_tokens(await self._call(calls.token(email, password)))

    async def create_profile(self, purpose: str, organization: str) -> Profile:
        return await self._call(calls.create_profile(purpose, organization))

    async def get_profile(self) -> Profile:
        return await self._call(calls.get_profile())

    async def create_key(self, name: str) -> NewApiKey:
        return await self._call(calls.create_key(name))

    async def list_keys(self) -> list[ApiKey]:
        return await self._call(calls.list_keys())

    async def delete_key(self, key_id: int) -> None:
        await self._call(calls.delete_key(key_id))

    async def _send(self, request: ApiRequest) -> httpx.Response:
        attempt = 0
        while True:
            try:
                with request.files() as files:
                    response = await self._http.send(self._build(request, files), stream=True)
            except httpx.TransportError as exc:
                delay = self._delay_after_connection_error(attempt, exc)
            else:
                if response.is_success:
                    return response
                delay = self._delay_after_error(attempt, response, await self._read_error(response))
            await asyncio.sleep(delay)
            attempt += 1

    @staticmethod
    async def _read_error(response: httpx.Response) -> bytes:
        try:
            return await response.aread()
        except httpx.TransportError:
            return b""
        finally:
            await response.aclose()

    async def _chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.TransportError as exc:
            raise APIConnectionError(f"The connection broke while receiving the answer: {exc}") from None

    async def _call(self, call: calls.Call[Result]) -> Result:
        response = await self._send(call.request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        return call.parse(calls.parse_body(content))

    async def _read_page(self, url: str, options: Mapping[str, Any], frames_dir: str | Path | None, on_frame: FrameCallback | None) -> ResultPage:
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


class AsyncJob(_BaseJob["AsyncClient"]):
    """As Job, awaited."""

    async def refresh(self) -> JobStatus:
        self.status = await self._client._call(calls.job_status(self.id))
        return self.status

    async def wait(
        self,
        *,
        progress: Callable[[JobStatus], None | Awaitable[None]] | None = None,
        poll_interval: float = 1.0,
        timeout: float | None = None,
    ) -> JobStatus:
        """As Job.wait; `progress` may be a coroutine function."""
        deadline = self._deadline(timeout)
        while True:
            status = await self.refresh()
            if progress is not None:
                outcome = progress(status)
                if outcome is not None:
                    await outcome
            if self._finished(status, deadline):
                return status
            await asyncio.sleep(poll_interval)

    async def results(self, *, frames_dir: str | Path | None = None, on_frame: FrameCallback | None = None) -> AsyncIterator[ReadResult]:
        url: str | None = self._results_url()
        while url:
            page = await self._client._read_page(url, self._options, frames_dir, on_frame)
            for result in page.results:
                yield result
            url = page.next

    async def cancel(self) -> None:
        await self._client.cancel_job(self.id)
