"""Every JSON call of the API as data: its request and how its answer becomes the result, so that
Client and AsyncClient each only say how to send one (`_call`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dicom_api_client._base import JOBS_PATH, ApiRequest, FileInput, as_upload, job_path, read_form
from dicom_api_client.errors import DicomApiError
from dicom_api_client.models import ApiKey, JobStatus, NewApiKey, Profile, Usage

Result = TypeVar("Result")


@dataclass(frozen=True)
class Call(Generic[Result]):
    request: ApiRequest
    parse: Callable[[Any], Result]  # the answer's JSON body (None when empty) -> the result


def parse_body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        raise DicomApiError("The server's answer is not JSON.") from None


def _nothing(body: Any) -> None:
    return None


def _as_dict(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise DicomApiError("The server's answer is not a JSON object.")
    return body


def usage() -> Call[Usage]:
    return Call(ApiRequest("GET", "/api/developer/profiles/activity-summary/", "key-or-token"), Usage.from_json)


def register(email: str, password: str) -> Call[dict[str, Any]]:
    return Call(ApiRequest("POST", "/api/register/", "none", json={"email": email, "password": password}), _as_dict)


def token(email: str, password: str) -> Call[dict[str, Any]]:
    return Call(ApiRequest("POST", "/api/token/", "none", json={"email": email, "password": password}), _as_dict)


def create_profile(purpose: str, organization: str) -> Call[Profile]:
    body = {"purpose": purpose, "organization": organization}
    return Call(ApiRequest("POST", "/api/developer/profiles/", "token", json=body), Profile.from_json)


def get_profile() -> Call[Profile]:
    return Call(ApiRequest("GET", "/api/developer/profiles/", "token"), Profile.from_json)


def create_key(name: str) -> Call[NewApiKey]:
    return Call(
        ApiRequest("POST", "/api-keys/", "token", json={"name": name}),
        lambda body: NewApiKey(id=body["id"], name=body["name"], key=body["key"]),
    )


def list_keys() -> Call[list[ApiKey]]:
    return Call(
        ApiRequest("GET", "/api-keys/", "token"),
        lambda body: [ApiKey(id=item["id"], name=item["name"], prefix=item["prefix"], created=item["created"]) for item in body],
    )


def delete_key(key_id: int) -> Call[None]:
    return Call(ApiRequest("DELETE", f"/api-keys/delete/{key_id}/", "token"), _nothing)


def submit_job(file: FileInput, callback_url: str | None, options: Mapping[str, Any], on_upload: Callable[[int], None] | None) -> Call[JobStatus]:
    data = read_form(options)
    if callback_url:
        data["callback_url"] = callback_url
    request = ApiRequest("POST", JOBS_PATH, "key", data=data, uploads=[("file", as_upload(file))], on_upload=on_upload)
    return Call(request, JobStatus.from_json)


def job_status(job_id: str) -> Call[JobStatus]:
    return Call(ApiRequest("GET", job_path(job_id), "key"), JobStatus.from_json)


def cancel_job(job_id: str) -> Call[None]:
    return Call(ApiRequest("DELETE", job_path(job_id), "key"), _nothing)


def jobs_page(url: str) -> Call[tuple[list[JobStatus], str | None]]:
    return Call(
        ApiRequest("GET", url, "key"),
        lambda body: ([JobStatus.from_json(item) for item in body["results"]], body.get("next")),
    )
