import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/healthz", "/api/docs/", "/api/docs/?script=", "/api/schema/", "/portal/login/", "/admin/login/", "/no/such/page/"])
def test_every_answer_allows_only_this_origin_and_no_framing(client, path):
    response = client.get(path)
    policy = dict(directive.split(" ", 1) for directive in response["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy and "style-src" not in policy  # both fall back to 'self': nothing inline
    assert response["X-Frame-Options"] == "DENY" and response["Referrer-Policy"] == "same-origin"


def test_the_docs_page_loads_swagger_ui_from_here_and_its_script_from_its_own_url(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr.net" not in page and "<script>" not in page and "<style>" not in page
    assert '/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js' in page
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle" in script.content


def test_portal_cookies_are_http_only_same_site_and_secure_when_debug_is_off():
    browser = Client()
    browser.get("/portal/signup/")
    browser.post("/portal/signup/", {"email": "cookies@example.com", "password": PASSWORD})
    for name in ("sessionid", "csrftoken"):
        cookie = browser.cookies[name]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"], name
