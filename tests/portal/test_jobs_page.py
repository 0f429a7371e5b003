"""The jobs page, with jobs read by a real worker on the real broker (tests/jobs/conftest.py)."""

import io
import re
import zipfile

import pytest
from django.test import Client

from tests.conftest import CORPUS, PASSWORD
from tests.jobs.conftest import fleet_env, submit, wait_for, worker  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def portal_session(developer) -> Client:
    browser = Client()
    assert browser.post("/portal/login/", {"email": developer.email, "password": PASSWORD}).status_code == 302
    return browser


def test_the_jobs_page_shows_progress_and_hands_out_the_archive(worker, make_developer):
    developer = make_developer()
    response = submit(developer, (CORPUS / "emri_small.dcm").read_bytes(), name="emri_small.dcm")
    assert response.status_code == 202, response.content
    job = wait_for(developer, response.json()["id"])
    assert job["status"] == "succeeded"

    browser = portal_session(developer)
    page = browser.get("/portal/jobs/").content.decode()
    assert "succeeded" in page and "1 of 1 file, 10 frames" in page
    archive_url = re.search(r'href="(/portal/jobs/[0-9a-f-]+/archive/)"', page).group(1)
    archive = browser.get(archive_url)
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert "emri_small.dcm.json" in names and len([name for name in names if "/frame-" in name]) == 10

    other = portal_session(make_developer())
    assert other.get(archive_url).status_code == 404
    assert job["id"] not in other.get("/portal/jobs/").content.decode()
