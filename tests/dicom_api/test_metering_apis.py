"""The monthly quota through HTTP, on a metered endpoint, as a client meets it."""

from datetime import datetime, timezone

import pytest

from developers.models import DeveloperProfile
from tests.conftest import CORPUS, api_key_header
from usage import clock

pytestmark = pytest.mark.django_db
READ = "/api/dicom/read/file/"


def read_call(developer, key=None):
    with open(CORPUS / "MR_small.dcm", "rb") as upload:
        return developer.client.post(READ, {"file": upload, "images": "false"}, **api_key_header(key or developer.key))


def test_quota_429_body_and_headers_exactly_as_the_guide(developer, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 2, 27, 12, 0, tzinfo=timezone.utc))
    DeveloperProfile.objects.filter(user__email=developer.email).update(read_file_quota=2)
    second_key = developer.create_key("second")["key"]
    first = read_call(developer)
    assert first.status_code == 200
    assert first["X-RateLimit-Limit"] == "2" and first["X-RateLimit-Remaining"] == "1"
    assert first["RateLimit-Policy"] == f'"monthly";q=2;w={28 * 86400}'
    assert first["RateLimit"] == f'"monthly";r=1;t={int(1.5 * 86400)}'
    assert first["X-RateLimit-Reset"] == str(int(datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()))
    assert read_call(developer, second_key).status_code == 200  # quotas are per developer, across keys
    refused = read_call(developer)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Monthly API request for '/api/dicom/read/file/' limit exceeded.", "quota": 2, "requests_used": 3}
    assert refused["Retry-After"] == str(int(1.5 * 86400))
    # A new UTC month, a new quota.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 1, 0, 0, 1, tzinfo=timezone.utc))
    assert read_call(developer).status_code == 200


def test_refused_credentials_never_count(developer):
    developer.client.post(READ, {}, HTTP_AUTHORIZATION="ApiKey wrong.key")
    summary = developer.client.get("/api/developer/profiles/activity-summary/", **developer.bearer).json()
    assert summary["monthly_total"] == 0


def test_a_wrong_method_is_405_and_not_counted(developer):
    response = developer.client.get(READ, **api_key_header(developer.key))
    assert response.status_code == 405 and response.json()["error"]
    assert "X-RateLimit-Limit" not in response
    assert developer.client.options(READ, **api_key_header(developer.key)).status_code == 200
    summary = developer.client.get("/api/developer/profiles/activity-summary/", **developer.bearer).json()
    assert summary["by_endpoint"][READ]["remaining"] == 1000


def test_activity_summary_through_http(developer):
    for _ in range(3):
        assert read_call(developer).status_code == 200
    response = developer.client.get("/api/developer/profiles/activity-summary/", **developer.bearer)
    assert response.status_code == 200
    body = response.json()
    today = clock.now().date().isoformat()
    assert body["daily_activity"] == [{"day": today, "count": 3}]
    assert body["monthly_total"] == 3
    assert body["by_endpoint"][READ] == {"count": 3, "quota": 1000, "remaining": 997}
    assert body["by_endpoint"]["/api/dicom/generate/"] == {"count": 0, "quota": 1000, "remaining": 1000}


def test_activity_summary_needs_a_profile(make_developer):
    newcomer = make_developer(with_key=False)
    assert newcomer.client.get("/api/developer/profiles/activity-summary/", **newcomer.bearer).status_code == 404
