import pytest

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_register_then_login_gives_both_tokens(client):
    response = client.post("/api/register/", {"email": "User5@Example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json() == {"id": User.objects.get().id, "email": "user5@example.com"}
    tokens = client.post("/api/token/", {"email": "user5@example.com", "password": PASSWORD}, format="json")
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"refresh", "access"}


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"email": "a@example.com", "password": "123"}, "password"),
        ({"email": "a@example.com", "password": "password"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"password": PASSWORD}, "email"),
    ],
)
def test_register_refuses_weak_passwords_and_bad_emails(client, body, reason):
    response = client.post("/api/register/", body, format="json")
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_register_refuses_a_taken_email(client, developer):
    response = client.post("/api/register/", {"email": developer.email.upper(), "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["error"]


def test_unknown_email_and_wrong_password_get_the_same_401(client, developer):
    unknown = client.post("/api/token/", {"email": "nobody@example.com", "password": PASSWORD}, format="json")
    wrong = client.post("/api/token/", {"email": developer.email, "password": "wrong-password-1"}, format="json")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_refresh_rotates_and_blacklists(developer):
    first = developer.client.post("/api/token/refresh/", {"refresh": developer.refresh}, format="json")
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    reused = developer.client.post("/api/token/refresh/", {"refresh": developer.refresh}, format="json")
    assert reused.status_code == 401
    assert "error" in reused.json()


def test_garbage_refresh_token_is_401(client):
    response = client.post("/api/token/refresh/", {"refresh": "not.a.token"}, format="json")
    assert response.status_code == 401


def test_deleted_users_refresh_token_is_401_not_500(developer):
    User.objects.filter(email=developer.email).delete()
    response = developer.client.post("/api/token/refresh/", {"refresh": developer.refresh}, format="json")
    assert response.status_code == 401
    assert developer.client.get("/api/developer/profiles/", **developer.bearer).status_code == 401


def test_password_change_revokes_older_tokens(developer):
    old_access, old_refresh = developer.access, developer.refresh
    response = developer.client.post(
        "/api/password/change/", {"old_password": PASSWORD, "new_password": "another-long-passphrase-7"}, format="json", **developer.bearer
    )
    assert response.status_code == 204
    assert developer.client.post("/api/token/refresh/", {"refresh": old_refresh}, format="json").status_code == 401
    assert developer.client.get("/api-keys/", HTTP_AUTHORIZATION=f"Bearer {old_access}").status_code == 401
    developer.login("another-long-passphrase-7")
    assert developer.client.get("/api-keys/", **developer.bearer).status_code == 200


def test_password_change_needs_the_old_password(developer):
    response = developer.client.post(
        "/api/password/change/", {"old_password": "wrong", "new_password": "another-long-passphrase-7"}, format="json", **developer.bearer
    )
    assert response.status_code == 400


def test_deactivated_user_gets_401_everywhere(developer):
    User.objects.filter(email=developer.email).update(is_active=False)
    assert developer.client.get("/api-keys/", **developer.bearer).status_code == 401
    assert developer.client.post("/api/token/refresh/", {"refresh": developer.refresh}, format="json").status_code == 401
    assert developer.client.post("/api/token/", {"email": developer.email, "password": PASSWORD}, format="json").status_code == 401
    assert developer.client.get("/api/dicom-format/allowed-fields/?fields__contains=Zzz", HTTP_AUTHORIZATION=f"ApiKey {developer.key}").status_code == 200
    read = developer.client.post("/api/dicom/read/file/", {}, HTTP_AUTHORIZATION=f"ApiKey {developer.key}")
    assert read.status_code == 401


def test_account_deletion_stops_tokens_and_keys(developer):
    response = developer.client.delete("/api/account/", {"password": PASSWORD}, format="json", **developer.bearer)
    assert response.status_code == 204
    assert not User.objects.filter(email=developer.email).exists()
    assert developer.client.get("/api-keys/", **developer.bearer).status_code == 401
    assert developer.client.post("/api/token/refresh/", {"refresh": developer.refresh}, format="json").status_code == 401
    assert developer.client.post("/api/dicom/read/file/", {}, HTTP_AUTHORIZATION=f"ApiKey {developer.key}").status_code == 401
