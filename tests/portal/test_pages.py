"""The portal's pages through Django's test client, posting forms as a browser does (the flows a
browser drives are in test_browser.py): what the API must agree with, and the bad inputs."""

import io
import re
import zipfile

import pytest
from django.test import Client

from tests.conftest import CORPUS, PASSWORD, api_key_header

pytestmark = pytest.mark.django_db


def signed_up(email: str, *, with_profile: bool = True) -> Client:
    browser = Client()
    assert browser.post("/portal/signup/", {"email": email, "password": PASSWORD}).status_code == 302
    if with_profile:
        assert browser.post("/portal/profile/", {"purpose": "p", "organization": "o"}).status_code == 302
    return browser


def new_key(browser: Client, name: str = "k") -> str:
    page = browser.post("/portal/keys/", {"name": name}, follow=True).content.decode()
    return re.search(r'data-testid="new-api-key">([^<]+)<', page).group(1)


def test_pages_need_a_session_and_the_api_does_not_take_one(client):
    for path in ["/portal/profile/", "/portal/keys/", "/portal/usage/", "/portal/try/"]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"] == f"/portal/login/?next={path}"
    browser = signed_up("session@example.com")
    # The session is the portal's only: the API still asks for its Bearer token.
    assert browser.get("/api/developer/profiles/").status_code == 401


def test_sign_up_errors_are_the_api_s_own():
    signed_up("taken@example.com")
    page = Client().post("/portal/signup/", {"email": "taken@example.com", "password": PASSWORD})
    assert page.status_code == 200 and "An account with this email already exists." in page.content.decode()
    page = Client().post("/portal/signup/", {"email": "new@example.com", "password": "123"})
    assert "This password is too short." in page.content.decode()


def test_a_portal_account_works_on_the_api_and_its_key_lists_its_last_use(client):
    browser = signed_up("both@example.com")
    key = new_key(browser, "portal key")
    access = client.post("/api/token/", {"email": "both@example.com", "password": PASSWORD}, format="json").json()["access"]
    listed = client.get("/api-keys/", HTTP_AUTHORIZATION=f"Bearer {access}").json()
    assert [(item["name"], item["prefix"], item["last_used"]) for item in listed] == [("portal key", key.split(".")[0], None)]
    assert client.get("/api/developer/profiles/activity-summary/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    client.post("/api/dicom/read/file/", {"file": (CORPUS / "CT_small.dcm").open("rb")}, **api_key_header(key))
    (item,) = client.get("/api-keys/", HTTP_AUTHORIZATION=f"Bearer {access}").json()
    assert item["last_used"] is not None


def test_last_used_is_written_at_most_once_a_minute_within_the_key_s_one_select(developer):
    from django.db import connection
    from django.test.client import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from developers.authentication import ApiKeyAuthentication
    from developers.models import DeveloperAPIKey

    request = RequestFactory().get("/", **api_key_header(developer.key))
    with CaptureQueriesContext(connection) as first:
        ApiKeyAuthentication().authenticate(request)
    with CaptureQueriesContext(connection) as second:
        ApiKeyAuthentication().authenticate(request)
    assert [query["sql"].split()[0] for query in first] == ["SELECT", "UPDATE"]
    assert [query["sql"].split()[0] for query in second] == ["SELECT"]  # last_used came with the key
    assert DeveloperAPIKey.objects.get().last_used is not None


def test_another_developer_s_key_cannot_be_revoked_or_even_seen():
    owner, other = signed_up("owner@example.com"), signed_up("other@example.com")
    new_key(owner, "mine")
    from developers.models import DeveloperAPIKey

    key_id = DeveloperAPIKey.objects.get(name="mine").id
    assert other.get(f"/portal/keys/{key_id}/revoke/").status_code == 404
    refused = other.post(f"/portal/keys/{key_id}/revoke/")
    assert refused.status_code == 404 and refused.json() == {"error": "Not found."}
    assert "mine" in owner.get("/portal/keys/").content.decode()


def test_keys_and_uploads_ask_for_a_profile_first():
    browser = signed_up("noprofile@example.com", with_profile=False)
    page = browser.post("/portal/keys/", {"name": "k"}).content.decode()
    assert "Create a developer profile first" in page and "new-api-key" not in page
    assert "You have no developer profile yet." in browser.get("/portal/try/").content.decode()


def test_the_usage_page_shows_the_activity_summary_s_numbers(client):
    browser = signed_up("usage@example.com")
    key = new_key(browser)
    for _ in range(2):
        client.post("/api/dicom/read/file/", {"file": (CORPUS / "CT_small.dcm").open("rb"), "images": "false"}, **api_key_header(key))
    access = client.post("/api/token/", {"email": "usage@example.com", "password": PASSWORD}, format="json").json()["access"]
    summary = client.get("/api/developer/profiles/activity-summary/", HTTP_AUTHORIZATION=f"Bearer {access}").json()
    page = browser.get("/portal/usage/").content.decode()
    (today,) = summary["daily_activity"]
    assert f'class="bar" data-day="{today["day"]}" data-count="2"' in page and today["count"] == 2
    assert "/api/dicom/read/file/</code>: 2 of 1000 used, 998 remaining" in page
    assert "/api/dicom/generate/</code>: 0 of 1000 used, 1000 remaining" in page


def test_try_it_counts_against_the_read_quota_and_stops_at_it(settings):
    settings.QUOTA_DEFAULTS = {**settings.QUOTA_DEFAULTS, "/api/dicom/read/file/": 1}
    browser = signed_up("quota@example.com")
    upload = {"file": (CORPUS / "CT_small.dcm").open("rb"), "return_format": "jpeg"}
    page = browser.post("/portal/try/", upload).content.decode()
    assert page.count('data-testid="frame"') == 1 and "data:image/jpeg;base64," in page
    page = browser.post("/portal/try/", {"file": (CORPUS / "CT_small.dcm").open("rb"), "return_format": "png"}).content.decode()
    assert "Monthly API request for &#x27;/api/dicom/read/file/&#x27; limit exceeded." in page
    assert 'data-testid="frame"' not in page


def test_try_it_shows_a_zip_s_members_and_what_was_skipped():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(CORPUS / "SC_rgb_rle_2frame.dcm", "study/color.dcm")
        zipped.writestr("README.txt", "not DICOM")
    archive.name = "study.zip"
    archive.seek(0)
    page = signed_up("zip@example.com").post("/portal/try/", {"file": archive, "return_format": "png"}).content.decode()
    assert "study/color.dcm" in page and page.count('data-testid="frame"') == 2
    assert "Skipped <code>README.txt</code>" in page


def test_try_it_says_why_a_file_is_refused_and_never_fails():
    browser = signed_up("bad@example.com")
    page = browser.post("/portal/try/", {"file": io.BytesIO(b"hello, not DICOM"), "return_format": "png"})
    assert page.status_code == 200 and 'class="error" role="alert"' in page.content.decode()
    page = browser.post("/portal/try/", {"file": (CORPUS / "reportsi.dcm").open("rb"), "return_format": "png"}).content.decode()
    assert "No images:" in page and "data-testid=\"metadata\"" in page  # a structured report: metadata only


def test_an_upload_past_the_limit_is_a_413_not_a_crash(settings):
    settings.MAX_UPLOAD_BYTES = 1000
    browser = signed_up("big@example.com")
    response = browser.post("/portal/try/", {"file": io.BytesIO(b"x" * 5000), "return_format": "png"})
    assert response.status_code == 413 and "1000 bytes" in response.json()["error"]


def test_the_login_is_throttled_like_the_token_endpoint(client, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_CLIENT = 2
    signed_up("throttled@example.com")
    for _ in range(2):
        Client().post("/portal/login/", {"email": "throttled@example.com", "password": "wrong"})
    page = Client().post("/portal/login/", {"email": "throttled@example.com", "password": PASSWORD}).content.decode()
    assert "Too many failed logins." in page
    assert client.post("/api/token/", {"email": "throttled@example.com", "password": PASSWORD}, format="json").status_code == 429


def test_a_login_form_posted_without_its_csrf_token_is_refused():
    signed_up("csrf@example.com")
    browser = Client(enforce_csrf_checks=True)
    browser.get("/portal/login/")
    refused = browser.post("/portal/login/", {"email": "csrf@example.com", "password": PASSWORD})
    assert refused.status_code == 403 and "CSRF token is missing" in refused.json()["error"]
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/portal/login/", {"email": "csrf@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302


def test_a_login_only_follows_a_next_page_on_this_site():
    signed_up("next@example.com")
    for next_page, expected in [("/portal/usage/", "/portal/usage/"), ("https://evil.example/", "/portal/keys/"), ("//evil.example/", "/portal/keys/")]:
        response = Client().post(f"/portal/login/?next={next_page}", {"email": "next@example.com", "password": PASSWORD})
        assert response["Location"] == expected


def test_the_root_and_the_favicon_lead_to_the_portal(client):
    assert client.get("/")["Location"] == "/portal/"
    assert Client().get("/portal/")["Location"] == "/portal/login/"
    assert client.get("/favicon.ico")["Location"].endswith("portal/favicon.svg")
