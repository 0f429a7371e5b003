import pytest

from accounts.models import User
from developers.models import DeveloperAPIKey

pytestmark = pytest.mark.django_db


def test_admin_shows_users_profiles_keys_and_usage_without_key_hashes(client, developer):
    User.objects.create_superuser(email="admin@example.com", password="admin-password-123")
    client.login(email="admin@example.com", password="admin-password-123")
    developer.client.post(
        "/api/dicom/read/file/", {"file": open(__file__, "rb")}, HTTP_AUTHORIZATION=f"ApiKey {developer.key}"
    )
    key = DeveloperAPIKey.objects.get()
    for path in [
        "/admin/accounts/user/",
        "/admin/developers/developerprofile/",
        f"/admin/developers/developerprofile/{key.profile_id}/change/",
        "/admin/developers/developerapikey/",
        f"/admin/developers/developerapikey/{key.id}/change/",
        "/admin/usage/monthlyusage/",
        "/admin/usage/dailyusage/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert key.hashed_key not in response.content.decode()
    profile_page = client.get(f"/admin/developers/developerprofile/{key.profile_id}/change/").content.decode()
    assert "read_file_quota" in profile_page and "generate_quota" in profile_page
    assert key.prefix in client.get("/admin/developers/developerapikey/").content.decode()
