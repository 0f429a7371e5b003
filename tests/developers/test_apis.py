import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from developers.models import DeveloperAPIKey, DeveloperProfile
from tests.conftest import api_key_header

pytestmark = pytest.mark.django_db


def test_profile_create_and_get(make_developer):
    developer = make_developer(with_key=False)
    assert developer.client.get("/api/developer/profiles/", **developer.bearer).status_code == 404
    created = developer.create_profile()
    body = created.json()
    secret = body["webhook_secret"]
    assert body == {"purpose": "testing", "organization": "My Organization", "webhook_secret": secret}
    assert secret.startswith("whsec_") and len(secret) > 40  # signs job callbacks; made with the profile, then kept
    with CaptureQueriesContext(connection) as queries:
        assert developer.client.get("/api/developer/profiles/", **developer.bearer).json() == created.json()
    assert not [query for query in queries if not query["sql"].lstrip().upper().startswith("SELECT")]  # a GET writes nothing


def test_each_profile_has_its_own_webhook_secret_and_older_ones_get_one(make_developer):
    first, second = (make_developer(with_key=False) for _ in range(2))
    secrets = {developer.create_profile().json()["webhook_secret"] for developer in (first, second)}
    assert len(secrets) == 2
    DeveloperProfile.objects.update(webhook_secret="")  # as profiles made before migration 0005 were
    migration = importlib.import_module("developers.migrations.0005_webhook_secret_made_with_the_profile")
    migration.give_each_profile_a_secret(django_apps, None)
    refilled = set(DeveloperProfile.objects.values_list("webhook_secret", flat=True))
    assert len(refilled) == 2 and all(secret.startswith("whsec_") for secret in refilled) and not refilled & secrets


def test_second_profile_is_400(developer):
    response = developer.client.post("/api/developer/profiles/", {"purpose": "again", "organization": "X"}, format="json", **developer.bearer)
    assert response.status_code == 400
    assert "already have a developer profile" in response.json()["error"]


def test_profile_body_cannot_set_owner_quota_or_id(make_developer):
    make_developer(with_key=False)  # another developer, who must stay untouched
    attacker = make_developer(with_key=False)
    profiles_before = DeveloperProfile.objects.count()
    response = attacker.client.post(
        "/api/developer/profiles/",
        {"purpose": "p", "organization": "o", "user": 1, "user_id": 1, "id": 999, "read_file_quota": 10**9, "generate_quota": 10**9},
        format="json",
        **attacker.bearer,
    )
    assert response.status_code == 201
    profile = DeveloperProfile.objects.get(user__email=attacker.email)
    assert profile.id != 999 and profile.read_file_quota is None and profile.generate_quota is None
    assert DeveloperProfile.objects.count() == profiles_before + 1


def test_key_before_profile_is_400(make_developer):
    developer = make_developer(with_key=False)
    response = developer.client.post("/api-keys/", {"name": "k"}, format="json", **developer.bearer)
    assert response.status_code == 400
    assert "profile" in response.json()["error"]


def test_key_is_shown_once_and_stored_hashed(developer):
    created = developer.create_key("second")
    assert set(created) == {"id", "name", "key"}
    stored = DeveloperAPIKey.objects.get(id=created["id"])
    assert created["key"] not in (stored.hashed_key, str(stored.pk))
    listing = developer.client.get("/api-keys/", **developer.bearer)
    assert listing.status_code == 200
    assert [set(item) for item in listing.json()] == [{"id", "name", "prefix", "created", "last_used"}] * 2
    body = listing.content.decode()
    for key in DeveloperAPIKey.objects.all():
        assert key.hashed_key not in body
    assert created["key"] not in body


def test_api_key_authenticates_dicom_calls_with_case_insensitive_scheme(developer):
    for scheme in ("ApiKey", "apikey", "APIKEY"):
        response = developer.client.post("/api/dicom/read/file/", {}, HTTP_AUTHORIZATION=f"{scheme} {developer.key}")
        assert response.status_code == 400  # authenticated: the missing file is the problem


@pytest.mark.parametrize("header", ["", "ApiKey", "ApiKey nonsense", "ApiKey abc.def", "Api-Key whatever", "Bearer x.y.z", "ApiKey " + "a" * 500])
def test_bad_api_keys_are_401_json(client, header):
    response = client.post("/api/dicom/read/file/", {}, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


def test_another_developers_key_is_404_and_keeps_working(make_developer):
    owner, other = make_developer(), make_developer()
    owner_key_id = owner.client.get("/api-keys/", **owner.bearer).json()[0]["id"]
    response = other.client.delete(f"/api-keys/delete/{owner_key_id}/", **other.bearer)
    assert response.status_code == 404
    assert other.client.delete("/api-keys/delete/999999/", **other.bearer).json() == response.json()
    assert owner.client.post("/api/dicom/read/file/", {}, **api_key_header(owner.key)).status_code == 400


def test_deleted_key_is_refused_at_once(developer):
    key_id = developer.client.get("/api-keys/", **developer.bearer).json()[0]["id"]
    response = developer.client.delete(f"/api-keys/delete/{key_id}/", **developer.bearer)
    assert response.status_code == 204
    assert response.content == b""
    assert developer.client.post("/api/dicom/read/file/", {}, **api_key_header(developer.key)).status_code == 401
    assert developer.client.get("/api-keys/", **developer.bearer).json() == []


def test_key_management_refuses_api_keys(developer):
    response = developer.client.post("/api-keys/", {"name": "minted"}, format="json", **api_key_header(developer.key))
    assert response.status_code == 401
    assert developer.client.get("/api-keys/", **api_key_header(developer.key)).status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"revoked": True},
        {"expiry_date": timezone.now() - timedelta(seconds=1)},
    ],
    ids=["revoked", "expired"],
)
def test_a_revoked_or_expired_key_is_refused_at_once(developer, change):
    assert developer.client.post("/api/dicom/read/file/", {}, **api_key_header(developer.key)).status_code == 400
    DeveloperAPIKey.objects.filter(profile__user__email=developer.email).update(**change)
    response = developer.client.post("/api/dicom/read/file/", {}, **api_key_header(developer.key))
    assert response.status_code == 401 and response.json()["error"] == "Invalid API key."


def test_a_key_expiring_later_works(developer):
    DeveloperAPIKey.objects.filter(profile__user__email=developer.email).update(expiry_date=timezone.now() + timedelta(hours=1))
    assert developer.client.post("/api/dicom/read/file/", {}, **api_key_header(developer.key)).status_code == 400


def test_the_right_secret_with_another_keys_prefix_is_refused(developer, make_developer):
    other = make_developer()
    prefix, secret = developer.key.split(".")[0], other.key.split(".")[1]
    assert developer.client.post("/api/dicom/read/file/", {}, **api_key_header(f"{prefix}.{secret}")).status_code == 401
