"""The read endpoint's direct lane (dicom_api/direct_read.py) answers exactly as the DRF view: each
request is sent with the lane in the middleware and without it, and the answers compared."""

import io
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from developers.models import DeveloperAPIKey, DeveloperProfile
from dicom_api import views
from tests.conftest import CORPUS, APIClient, api_key_header
from tests.dicom_core.dicom_builders import zip_of
from usage.models import MonthlyUsage

pytestmark = pytest.mark.django_db
READ = "/api/dicom/read/file/"
WITHOUT_LANE = [name for name in settings.MIDDLEWARE if name != "dicom_api.direct_read.DirectReadMiddleware"]
# One more call is counted between the two answers: what these say differs by one.
COUNTED_HEADERS = ("RateLimit", "X-RateLimit-Remaining")


def upload(data: bytes, name: str = "file.dcm") -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


@pytest.fixture
def dispatched(monkeypatch) -> list[str]:
    """The requests that reached the DRF view."""
    calls = []
    dispatch = views.DicomReadApi.dispatch

    def counted(self, request, *args, **kwargs):
        calls.append(request.method)
        return dispatch(self, request, *args, **kwargs)

    monkeypatch.setattr(views.DicomReadApi, "dispatch", counted)
    return calls


def both_ways(send) -> tuple:
    """The answer with the lane, then without it (the DRF view alone); `send(client)`. A client
    loads the middleware on its first request, so each way has its own."""
    with_lane = send(APIClient())
    with override_settings(MIDDLEWARE=WITHOUT_LANE):
        without_lane = send(APIClient())
    return with_lane, without_lane


def assert_same_answer(with_lane, without_lane) -> None:
    assert with_lane.status_code == without_lane.status_code
    assert json.loads(with_lane.content) == json.loads(without_lane.content)
    assert sorted(with_lane.headers) == sorted(without_lane.headers)
    for name, value in with_lane.headers.items():
        if name not in COUNTED_HEADERS:
            assert value == without_lane.headers[name], name


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


CLAIMED = {
    "the guide's request": lambda: ({"file": upload(corpus("MR_small.dcm")), "fields": "PatientName,StudyDate,Modality", "return_format": "png"}, ""),
    "all metadata, JPEG": lambda: ({"file": upload(corpus("CT_small.dcm")), "return_format": "jpeg", "quality": "80"}, ""),
    "a zip, DICOM JSON": lambda: ({"file": upload(zip_of({"a.dcm": corpus("MR_small.dcm"), "b.txt": b"not dicom"}), "s.zip"), "metadata": "dicom-json"}, ""),
    "options as query parameters": lambda: ({"file": upload(corpus("emri_small.dcm"))}, "?images=false&fields=Rows"),
    "window and size": lambda: ({"file": upload(corpus("CT_small.dcm")), "window_center": "40", "window_width": "400", "max_size": "64"}, ""),
    "an unknown format": lambda: ({"file": upload(corpus("MR_small.dcm")), "return_format": "bmp"}, ""),
    "an unknown keyword": lambda: ({"file": upload(corpus("MR_small.dcm")), "fields": "NoSuchKeyword"}, ""),
    "a frame the file lacks": lambda: ({"file": upload(corpus("MR_small.dcm")), "frames": "9"}, ""),
    "half a window": lambda: ({"file": upload(corpus("MR_small.dcm")), "window_center": "40"}, ""),
    "not DICOM": lambda: ({"file": upload(b"hello, world" * 20)}, ""),
    "a truncated file": lambda: ({"file": upload(corpus("MR_truncated.dcm"))}, ""),
    "no file": lambda: ({"fields": "Rows"}, ""),
}


@pytest.mark.parametrize("case", CLAIMED)
def test_the_lane_answers_as_the_view(developer, dispatched, case):
    def send(client):
        form, query = CLAIMED[case]()
        return client.post(READ + query, form, **api_key_header(developer.key))

    with_lane, without_lane = both_ways(send)
    assert dispatched == ["POST"]  # the second answer only: the lane answered the first itself
    assert_same_answer(with_lane, without_lane)
    assert "X-RateLimit-Limit" in with_lane and with_lane["Allow"] == "POST, OPTIONS"


def test_a_broken_multipart_body(developer, dispatched):
    def send(client):
        return client.post(
            READ, b"--x\r\nno headers end here", content_type="multipart/form-data; boundary=x", **api_key_header(developer.key)
        )

    with_lane, without_lane = both_ways(send)
    assert dispatched == ["POST"]
    assert_same_answer(with_lane, without_lane)
    assert with_lane.status_code == 400


def test_an_upload_over_the_limit(developer, dispatched):
    def send(client):
        return client.post(READ, {"file": upload(corpus("CT_small.dcm"))}, **api_key_header(developer.key))

    with override_settings(MAX_UPLOAD_BYTES=1000):
        with_lane, without_lane = both_ways(send)
    assert dispatched == ["POST"]
    assert_same_answer(with_lane, without_lane)
    assert with_lane.status_code == 413


def test_over_the_quota(developer, dispatched):
    DeveloperProfile.objects.filter(user__email=developer.email).update(read_file_quota=0)

    def send(client):
        return client.post(READ, {"file": upload(corpus("MR_small.dcm"))}, **api_key_header(developer.key))

    with_lane, without_lane = both_ways(send)
    assert dispatched == ["POST"]
    assert with_lane.status_code == 429 and "Retry-After" in with_lane
    # requests_used counts this call too, so the two bodies differ by one there.
    assert {**with_lane.json(), "requests_used": 0} == {**without_lane.json(), "requests_used": 0}
    assert sorted(with_lane.headers) == sorted(without_lane.headers)


def test_a_bug_of_ours_is_a_logged_500_both_ways(developer, dispatched, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(views, "read_file", broken)

    def send(client):
        return client.post(READ, {"file": upload(corpus("MR_small.dcm"))}, **api_key_header(developer.key))

    with_lane, without_lane = both_ways(send)
    assert dispatched == ["POST"]
    assert_same_answer(with_lane, without_lane)
    assert with_lane.status_code == 500 and with_lane.json() == {"error": "Internal error."}
    assert [record.exc_info[0] for record in caplog.records if record.name == "common.exceptions"] == [TypeError, TypeError]


UNCLAIMED = {
    "a refused key": lambda developer: {"HTTP_AUTHORIZATION": "ApiKey wrong.key"},
    "a malformed key": lambda developer: {"HTTP_AUTHORIZATION": "ApiKey a b c"},
    "a JWT": lambda developer: developer.bearer,
    "no credential": lambda developer: {},
    "HTML asked": lambda developer: {**api_key_header(developer.key), "HTTP_ACCEPT": "text/html"},
    "JSON with parameters asked": lambda developer: {**api_key_header(developer.key), "HTTP_ACCEPT": "application/json; indent=4"},
}


@pytest.mark.parametrize("case", UNCLAIMED)
def test_what_the_lane_leaves_to_the_view(developer, dispatched, case):
    def send(client):
        return client.post(READ, {"file": upload(corpus("MR_small.dcm")), "images": "false"}, **UNCLAIMED[case](developer))

    with_lane, without_lane = both_ways(send)
    assert dispatched == ["POST", "POST"]
    assert with_lane.status_code == without_lane.status_code
    assert with_lane.content.replace(b"    ", b"") == without_lane.content.replace(b"    ", b"")


def test_other_methods_and_bodies_go_to_the_view(developer, dispatched):
    key = api_key_header(developer.key)
    assert developer.client.get(READ, **key).status_code == 405
    assert developer.client.options(READ, **key).status_code == 200
    assert developer.client.post(READ, {"images": "false"}, format="json", **key).status_code == 415
    assert developer.client.post(READ + "?format=json", {"file": upload(corpus("MR_small.dcm"))}, **key).status_code == 200
    assert dispatched == ["GET", "OPTIONS", "POST", "POST"]


def read_mr(developer):
    return developer.client.post(READ, {"file": upload(corpus("MR_small.dcm")), "images": "false"}, **api_key_header(developer.key))


REFUSALS = {
    "revoked": lambda developer: DeveloperAPIKey.objects.filter(profile__user__email=developer.email).update(revoked=True),
    "deleted": lambda developer: DeveloperAPIKey.objects.filter(profile__user__email=developer.email).delete(),
    "expired": lambda developer: DeveloperAPIKey.objects.filter(profile__user__email=developer.email).update(
        expiry_date=timezone.now() - timedelta(seconds=1)
    ),
    "owner deactivated": lambda developer: User.objects.filter(email=developer.email).update(is_active=False),
}


@pytest.mark.parametrize("refusal", REFUSALS)
def test_a_remembered_key_is_refused_at_once_and_the_call_not_counted(developer, dispatched, refusal):
    assert read_mr(developer).status_code == 200  # the process now remembers the key
    assert read_mr(developer)["X-RateLimit-Remaining"] == "998"
    REFUSALS[refusal](developer)
    refused = read_mr(developer)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "ApiKey"
    assert dispatched == ["POST"]  # the view answered the refusal
    assert MonthlyUsage.objects.get(profile__user__email=developer.email).count == 2


def test_a_quota_changed_after_the_key_was_remembered_applies_at_once(developer):
    assert read_mr(developer)["X-RateLimit-Limit"] == "1000"
    DeveloperProfile.objects.filter(user__email=developer.email).update(read_file_quota=1)
    refused = read_mr(developer)
    assert refused.status_code == 429 and refused.json()["quota"] == 1 and refused["X-RateLimit-Limit"] == "1"
    DeveloperProfile.objects.filter(user__email=developer.email).update(read_file_quota=None)
    assert read_mr(developer).status_code == 200
