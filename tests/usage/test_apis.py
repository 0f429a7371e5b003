"""The activity summary through HTTP with either credential: a Bearer token or an API key."""

import pytest

from tests.conftest import CORPUS, api_key_header

pytestmark = pytest.mark.django_db
SUMMARY = "/api/developer/profiles/activity-summary/"


def test_an_api_key_alone_sees_its_developers_usage(developer, make_developer):
    other = make_developer()
    with open(CORPUS / "MR_small.dcm", "rb") as upload:
        assert developer.client.post("/api/dicom/read/file/", {"file": upload, "images": "false"}, **api_key_header(developer.key)).status_code == 200
    second_key = developer.create_key("second")["key"]
    by_key = developer.client.get(SUMMARY, **api_key_header(second_key))
    assert by_key.status_code == 200
    assert by_key.json() == developer.client.get(SUMMARY, **developer.bearer).json()
    assert by_key.json()["monthly_total"] == 1  # the summary itself is not metered
    assert other.client.get(SUMMARY, **api_key_header(other.key)).json()["monthly_total"] == 0


def test_a_wrong_or_deleted_key_is_401(developer):
    for header in ("ApiKey wrong.key", "ApiKey ", "apikey a b"):
        response = developer.client.get(SUMMARY, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401 and response.json()["error"]
    key_id = developer.client.get("/api-keys/", **developer.bearer).json()[0]["id"]
    assert developer.client.delete(f"/api-keys/delete/{key_id}/", **developer.bearer).status_code == 204
    assert developer.client.get(SUMMARY, **api_key_header(developer.key)).status_code == 401
