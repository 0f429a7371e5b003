"""The portal and the docs pages in a real Chromium (Debian's), driven by Playwright, against the
service as production runs it: gunicorn, DEBUG off, static files collected and served by whitenoise.

Every test signs up its own developer through the pages; a screenshot of each page is saved under
the test's temporary folder.
"""

import gzip
import http.client
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.client import multipart, request
from bench.ports import can_bind_localhost
from bench.service import READ_PATH, REPO, running_service
from tests.conftest import CORPUS, PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
MULTI_FRAME = CORPUS / "emri_small.dcm"  # 10 frames of 64 x 64, MONOCHROME2

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"),
    pytest.mark.skipif(not can_bind_localhost(), reason="cannot bind a port on 127.0.0.1"),
    # One gunicorn and one browser for the module: its tests run on one xdist worker.
    pytest.mark.xdist_group("browser"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("portal-service")
    static = {"STATIC_ROOT": str(workdir / "static")}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=REPO, env={**os.environ, **static},
        check=True, stdout=subprocess.DEVNULL,
    )
    with running_service(workdir, overrides=static) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One browser context on the service: its page, every request it made, its console errors."""

    def __init__(self, browser, service, shots: Path):
        self.origin = f"http://127.0.0.1:{service.port}"
        self.port = service.port
        self.context = browser.new_context(base_url=self.origin, viewport={"width": 1100, "height": 800})
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda sent: self.requests.append(sent.url))
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(f"{message.location['url']}: {message.text}"))
        self.shots = shots

    def shot(self, name: str) -> None:
        self.page.screenshot(path=self.shots / f"{name}.png", full_page=True)

    def sign_up(self) -> str:
        email = f"portal-{uuid.uuid4().hex[:8]}@example.com"
        self.page.goto("/portal/signup/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign up").click()
        expect(self.page).to_have_url(re.compile(r"/portal/profile/$"))
        return email

    def save_profile(self, purpose: str = "Viewer for a clinic", organization: str = "Example Clinic") -> None:
        self.page.goto("/portal/profile/")
        self.page.get_by_label("Purpose").fill(purpose)
        self.page.get_by_label("Organization").fill(organization)
        self.page.get_by_role("button", name="Save profile").click()
        expect(self.page.get_by_role("status")).to_contain_text("Profile saved.")

    def create_key(self, name: str) -> str:
        self.page.goto("/portal/keys/")
        self.page.get_by_label("Key name").fill(name)
        self.page.get_by_role("button", name="Create key").click()
        return self.page.get_by_test_id("new-api-key").inner_text().strip()


@pytest.fixture
def visit(browser, service, tmp_path):
    opened = Visit(browser, service, tmp_path)
    yield opened
    opened.context.close()
    # Nothing refused by the Content-Security-Policy, no script error, on any page visited.
    assert opened.console_errors == []


def read_with_key(port: int, key: str, path: Path = CORPUS / "CT_small.dcm"):
    body, content_type = multipart({"return_format": "png"}, {"file": (path.name, path.read_bytes())})
    return request(port, "POST", READ_PATH, body, {"Content-Type": content_type, "Authorization": f"ApiKey {key}"})


def test_sign_up_log_out_log_in_and_a_wrong_password(visit):
    page = visit.page
    page.goto("/portal/signup/")
    visit.shot("signup")
    email = visit.sign_up()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    visit.shot("profile-new")

    visit.save_profile(purpose="Teaching viewer", organization="Radiology Dept")
    page.reload()
    expect(page.get_by_label("Purpose")).to_have_value("Teaching viewer")
    expect(page.get_by_label("Organization")).to_have_value("Radiology Dept")
    visit.shot("profile-saved")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/portal/login/$"))
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")
    page.goto("/portal/keys/")  # the pages need a session again
    expect(page).to_have_url(re.compile(r"/portal/login/\?next=/portal/keys/$"))

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("No active account found with the given credentials.")
    visit.shot("login-wrong-password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/portal/keys/$"))  # back where the login was asked for
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    visit.shot("keys-phone")

    cookies = {cookie["name"]: cookie for cookie in visit.context.cookies()}
    for name in ("sessionid", "csrftoken"):  # never readable by scripts, not sent cross-site
        assert cookies[name]["httpOnly"] and cookies[name]["sameSite"] == "Lax"


def test_a_key_is_shown_once_works_on_the_api_and_stops_working_once_revoked(visit):
    page = visit.page
    visit.sign_up()
    visit.save_profile()
    key = visit.create_key("Clinic viewer")
    assert re.fullmatch(r"[A-Za-z0-9]+\.[A-Za-z0-9]+", key)
    expect(page.get_by_role("button", name="Copy key")).to_be_visible()
    visit.shot("keys-new-key")

    for _ in range(3):
        assert read_with_key(visit.port, key).status == 200

    page.reload()
    expect(page.get_by_test_id("new-api-key")).to_have_count(0)
    assert key not in page.content() and key.split(".")[1] not in page.content()
    row = page.get_by_role("row", name=re.compile("Clinic viewer"))
    expect(row).to_contain_text(key.split(".")[0])  # the prefix
    expect(row.get_by_role("cell").nth(3)).not_to_have_text("never")  # last used: just now
    visit.shot("keys-list")

    page.goto("/portal/usage/")
    today_bar = page.locator("[data-testid=usage-chart] rect.bar[data-count='3']")
    expect(today_bar).to_have_count(1)
    assert float(today_bar.get_attribute("height")) > 0
    expect(page.get_by_text(re.compile(r"/api/dicom/read/file/: 3 of \d+ used"))).to_be_visible()
    visit.shot("usage")

    page.goto("/portal/keys/")
    page.get_by_role("button", name="Revoke Clinic viewer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the key “Clinic viewer”?")
    visit.shot("keys-revoke-confirm")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("row", name=re.compile("Clinic viewer"))).to_have_count(0)
    refused = read_with_key(visit.port, key)
    assert refused.status == 401 and refused.json()["error"] == "Invalid API key."


def test_try_it_shows_the_metadata_and_every_frame_and_counts_a_call(visit):
    page = visit.page
    visit.sign_up()
    visit.save_profile()
    page.goto("/portal/try/")
    page.get_by_label("DICOM file").set_input_files(str(MULTI_FRAME))
    page.get_by_label("Image format").select_option("png")
    page.get_by_role("button", name="Upload").click()

    metadata = page.get_by_test_id("metadata")
    expect(metadata.get_by_role("row", name=re.compile(r"^NumberOfFrames 10$"))).to_have_count(1)
    expect(metadata.get_by_role("row", name=re.compile(r"^Modality MR$"))).to_have_count(1)
    frames = page.get_by_test_id("frame")
    expect(frames).to_have_count(10)
    slider = page.get_by_role("slider", name="Frame")
    expect(slider).to_be_visible()
    visit.shot("try-it-frame-1")
    slider.focus()
    for number in range(1, 11):  # the keyboard walks through every frame, one shown at a time
        expect(frames.nth(number - 1)).to_be_visible()
        expect(page.locator("img[data-frame]:visible")).to_have_count(1)
        assert frames.nth(number - 1).evaluate("image => image.complete && image.naturalWidth") == 64
        page.keyboard.press("ArrowRight")
    visit.shot("try-it-frame-10")

    page.goto("/portal/usage/")
    expect(page.get_by_text(re.compile(r"/api/dicom/read/file/: 1 of \d+ used"))).to_be_visible()
    visit.shot("usage-after-try-it")

    page.get_by_role("link", name="Jobs").click()  # no worker here: the page lists none yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Read jobs")
    expect(page.get_by_text("No jobs yet.")).to_be_visible()
    visit.shot("jobs")


def test_the_docs_page_renders_every_operation_from_this_origin_only(visit, service):
    schema = request(service.port, "GET", "/api/schema/?format=json").json()
    operations = sum(len([m for m in item if m in ("get", "post", "put", "patch", "delete")]) for item in schema["paths"].values())
    page = visit.page
    page.goto("/api/docs/")
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator(".opblock-summary-path", has_text="/api/dicom/read/file/")).to_be_visible()
    page.wait_for_load_state("networkidle")
    visit.shot("api-docs")
    other_origins = {url for url in visit.requests if not url.startswith(visit.origin + "/") and not url.startswith("data:")}
    assert other_origins == set()
    assert any(urlsplit(url).path.endswith(".js") and "swagger-ui-bundle" in url for url in visit.requests)


def test_the_admin_is_styled_by_its_own_static_files(visit):
    page = visit.page
    stylesheets = []
    page.on("response", lambda response: response.request.resource_type == "stylesheet" and stylesheets.append(response))
    page.goto("/admin/login/")
    page.wait_for_load_state("networkidle")
    assert stylesheets and all(response.status == 200 for response in stylesheets)
    assert all(response.url.startswith(visit.origin + "/static/admin/") for response in stylesheets)
    # base.css applied: the header has the admin's colours, not the browser's default white.
    assert page.locator("#header").evaluate("h => getComputedStyle(h).backgroundColor") != "rgba(0, 0, 0, 0)"
    cached = next(response for response in stylesheets if "base." in response.url)
    assert "max-age=" in cached.headers["cache-control"]
    visit.shot("admin-login")


def test_a_login_form_posted_without_its_csrf_token_is_refused(visit):
    page = visit.page
    email = visit.sign_up()
    page.get_by_role("button", name="Log out").click()
    form = {"email": email, "password": PASSWORD}
    refused = page.request.post("/portal/login/", form=form, headers={"Origin": visit.origin}, max_redirects=0)
    assert refused.status == 403 and "CSRF token is missing" in refused.json()["error"]
    token = next(cookie["value"] for cookie in visit.context.cookies() if cookie["name"] == "csrftoken")
    accepted = page.request.post("/portal/login/", form={**form, "csrfmiddlewaretoken": token}, headers={"Origin": visit.origin}, max_redirects=0)
    assert accepted.status == 302 and accepted.headers["location"] == "/portal/keys/"


def test_pages_send_the_security_headers(visit):
    for path in ["/portal/login/", "/api/docs/", "/admin/login/"]:
        headers = visit.page.goto(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_static_files_are_gzipped_and_cached_under_their_hashed_names(service):
    page = request(service.port, "GET", "/api/docs/").body.decode()
    bundle = re.search(r'src="(/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]{12}\.js)"', page).group(1)
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=30)
    try:
        connection.request("GET", bundle, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        gzipped = response.read()
    finally:
        connection.close()
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control") and "max-age=315360000" in response.getheader("Cache-Control")
    assert len(gzipped) < len(gzip.decompress(gzipped)) / 2
