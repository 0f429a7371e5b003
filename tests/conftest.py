"""Fixtures that act like a client of the API: register, log in, create a profile and a key."""

import itertools
import logging
from functools import partial
from pathlib import Path

import pytest
from django.http import HttpResponse
from rest_framework.test import APIClient as DrfApiClient

from dicom_core.internal_errors import LOGGER_NAME as INTERNAL_ERROR_LOGGER

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
BENCH_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "bench-data"
PASSWORD = "correct-horse-battery-staple-42"


class APIClient(DrfApiClient):
    """DRF's test client that reads a streamed answer whole, as an HTTP client does (the read
    endpoint streams its JSON), so tests use `.content` and `.json()` on every answer."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if not response.streaming:
            return response
        whole = HttpResponse(b"".join(response.streaming_content), status=response.status_code)
        for header, value in response.items():
            whole[header] = value
        whole.json = partial(self._parse_json, whole)
        whole.wsgi_request = response.wsgi_request
        return whole
_emails = itertools.count(1)


class _Collected(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(autouse=True)
def fail_on_internal_errors(request):
    """Every test (the fuzz runs included) fails when our code logs an internal error: a bug
    of ours met while rendering, which a client sees as an ImageError with a reference."""
    collected = _Collected()
    logger = logging.getLogger(INTERNAL_ERROR_LOGGER)
    logger.addHandler(collected)
    yield
    logger.removeHandler(collected)
    if collected.records and request.node.get_closest_marker("internal_error_expected") is None:
        pytest.fail("Internal error(s) logged:\n" + "\n".join(record.getMessage() for record in collected.records))


@pytest.fixture
def client():
    return APIClient()


class Developer:
    """One registered developer, driving the API only through HTTP."""

    def __init__(self, client: APIClient, email: str):
        self.client = client
        self.email = email
        assert client.post("/api/register/", {"email": email, "password": PASSWORD}, format="json").status_code == 201
        self.login()

    def login(self, password: str = PASSWORD):
        response = self.client.post("/api/token/", {"email": self.email, "password": password}, format="json")
        assert response.status_code == 200, response.content
        self.access, self.refresh = response.json()["access"], response.json()["refresh"]
        return response

    @property
    def bearer(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access}"}

    def create_profile(self):
        response = self.client.post(
            "/api/developer/profiles/", {"purpose": "testing", "organization": "My Organization"}, format="json", **self.bearer
        )
        assert response.status_code == 201, response.content
        return response

    def create_key(self, name: str = "New API Key") -> dict:
        response = self.client.post("/api-keys/", {"name": name}, format="json", **self.bearer)
        assert response.status_code == 201, response.content
        return response.json()


def api_key_header(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"ApiKey {key}"}


@pytest.fixture
def make_developer(db):
    def make(with_key: bool = True) -> Developer:
        developer = Developer(APIClient(), f"dev{next(_emails)}@example.com")
        if with_key:
            developer.create_profile()
            developer.key = developer.create_key()["key"]
        return developer

    return make


@pytest.fixture
def developer(make_developer) -> Developer:
    return make_developer()
