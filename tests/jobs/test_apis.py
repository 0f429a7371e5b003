"""Jobs through HTTP, as a client drives them, read by a real worker on the real broker."""

import base64
from datetime import datetime, timezone
import hashlib
import hmac
import io
import json
import os
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bench.job_client import cine, zip_of_small_files
from developers.models import DeveloperProfile
from jobs.models import JobFile, JobTask, ReadJob
from jobs.tasks import expire_read_jobs
from tests.conftest import CORPUS, PASSWORD, api_key_header
from tests.dicom_core.dicom_builders import zip_of
from tests.jobs.conftest import (
    JOB_PIXEL_BUDGET, JOB_ZIP_MEMBERS, JOBS, SYNCHRONOUS_PIXEL_BUDGET, SYNCHRONOUS_ZIP_MEMBERS, eventually, submit, wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

STUDY = (CORPUS / "study_77654033.zip").read_bytes()


def read_synchronously(developer, content: bytes, name: str, **fields) -> dict:
    response = developer.client.post(
        "/api/dicom/read/file/", {"file": SimpleUploadedFile(name, content), **fields}, **api_key_header(developer.key)
    )
    assert response.status_code == 200, response.content
    return response.json()


def all_results(developer, job: dict) -> tuple[list[dict], list[dict]]:
    results, url = [], job["results_url"]
    while url:
        response = developer.client.get(url, **api_key_header(developer.key))
        assert response.status_code == 200, response.content
        page = response.json()
        results += page["results"]
        url = page["next"]
    return results, page["skipped"]


def pixels(image_base64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(image_base64))))


def assert_same_objects(job_results: list[dict], synchronous: list[dict]) -> None:
    """Member by member: the metadata equal, every frame's decoded pixels equal."""
    assert [result["name"] for result in job_results] == [result["name"] for result in synchronous]
    for ours, theirs in zip(job_results, synchronous):
        assert {k: v for k, v in ours.items() if k != "Images"} == {k: v for k, v in theirs.items() if k != "Images"}
        assert len(ours.get("Images", [])) == len(theirs.get("Images", []))
        for our_image, their_image in zip(ours.get("Images", []), theirs.get("Images", [])):
            assert np.array_equal(pixels(our_image), pixels(their_image))


def test_a_study_zip_as_a_job_gives_what_the_synchronous_read_gives(developer, worker):
    response = submit(developer, STUDY)
    assert response.status_code == 202, response.content
    created = response.json()
    assert created["status"] == "queued" and response["Location"] == created["status_url"]
    assert created["status_url"].endswith(f"{JOBS}{created['id']}/")

    job = wait_for(developer, created["id"])
    assert job["status"] == "succeeded", job
    synchronous = read_synchronously(developer, STUDY, "study.zip")
    results, skipped = all_results(developer, job)
    assert len(results) == len(synchronous["files"]) > 3  # more than one page (JOB_RESULTS_PAGE_SIZE=3 here)
    assert_same_objects(results, synchronous["files"])
    assert skipped == synchronous["skipped"]
    assert job["progress"] == {"files_total": len(results), "files_done": len(results), "frames_done": sum(len(r["Images"]) for r in results)}
    assert job["error"] is None and job["started"] and job["finished"] and job["expires"]

    archive = developer.client.get(job["archive_url"], **api_key_header(developer.key))
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"
    members = zipfile.ZipFile(io.BytesIO(archive.content))
    names = members.namelist()
    assert all(not name.startswith("/") and ".." not in Path(name).parts for name in names)
    for result in results:
        described = {k: v for k, v in result.items() if k != "Images"}
        assert json.loads(members.read(f"{result['name']}.json")) == described
        for number, image in enumerate(result["Images"], start=1):
            assert members.read(f"{result['name']}/frame-{number:04d}.png") == base64.b64decode(image)
    assert len(names) == sum(1 + len(r["Images"]) for r in results) + (1 if skipped else 0)


def test_options_are_carried_and_a_long_file_read_in_parts_is_one_object(developer, worker, fleet_env):
    cine = (CORPUS / "emri_small.dcm").read_bytes()
    options = {"return_format": "jpeg", "max_size": "32", "frames": "1,3,4-10"}
    job = wait_for(developer, submit(developer, cine, "emri_small.dcm", **options).json()["id"])
    assert job["status"] == "succeeded", job
    results, skipped = all_results(developer, job)
    synchronous = read_synchronously(developer, cine, "emri_small.dcm", **options)
    assert skipped == [] and results[0]["name"] == "emri_small.dcm"
    assert_same_objects(results, [{"name": "emri_small.dcm", **synchronous}])
    assert results[0]["ImageFormat"] == "JPEG" and len(results[0]["Images"]) == 9
    assert max(Image.open(io.BytesIO(base64.b64decode(results[0]["Images"][0]))).size) == 32
    assert job["progress"]["frames_done"] == 9
    assert sum(len(task.items) for task in JobTask.objects.filter(job_id=job["id"])) == 3
    assert JobFile.objects.get(job_id=job["id"]).layout is not None  # parts 2 and 3 read their frames alone
    stored = Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs" / job["id"]
    assert (stored / "upload").read_bytes() == cine and not (stored / "files").exists()  # read where it was uploaded


def test_a_long_cine_planned_from_its_header_is_read_as_the_synchronous_read_reads_it(developer, worker):
    long_cine = cine(30, 256, 256)  # 3.9 MB: planned from its first MiB, read in 8 parts of 4 frames
    job = wait_for(developer, submit(developer, long_cine, "cine.dcm").json()["id"])
    assert job["status"] == "succeeded", job
    results, _ = all_results(developer, job)
    assert_same_objects(results, [{"name": "cine.dcm", **read_synchronously(developer, long_cine, "cine.dcm")}])
    assert len(results[0]["Images"]) == 30 and job["progress"]["frames_done"] == 30


def test_a_long_cine_whose_header_misleads_fails_clearly_as_a_job(developer, worker):
    """A window (center and width) stored after the pixels, out of order: the header alone does not show it,
    so its parts could not all render as the synchronous read does; the first part, reading the
    whole file, fails the job."""
    misleading = cine(30, 256, 256) + b"\x28\x00\x50\x10DS\x02\x0040" + b"\x28\x00\x51\x10DS\x04\x00400 "
    job = wait_for(developer, submit(developer, misleading, "cine.dcm").json()["id"])
    assert job["status"] == "failed" and job["error"].startswith("cine.dcm: An element that rendering reads is stored after")
    assert read_synchronously(developer, misleading, "cine.dcm")["Rendering"]["window"] == [40, 400]  # the synchronous read uses it


def test_another_developers_job_is_404_everywhere(developer, make_developer, worker):
    job_id = submit(developer, STUDY).json()["id"]
    other = make_developer()
    for path in ("", "results/", "archive/"):
        assert other.client.get(f"{JOBS}{job_id}/{path}", **api_key_header(other.key)).status_code == 404
    assert other.client.delete(f"{JOBS}{job_id}/", **api_key_header(other.key)).status_code == 404
    assert other.client.get(JOBS, **api_key_header(other.key)).json()["count"] == 0
    listed = developer.client.get(JOBS, **api_key_header(developer.key)).json()
    assert [job["id"] for job in listed["results"]] == [job_id]
    assert wait_for(developer, job_id)["status"] == "succeeded"


def test_results_answer_409_until_the_job_has_succeeded(developer, worker):
    job_id = submit(developer, b"neither DICOM nor a zip", "notes.txt").json()["id"]
    for path in ("results/", "archive/"):
        response = developer.client.get(f"{JOBS}{job_id}/{path}", **api_key_header(developer.key))
        assert response.status_code == 409 and "succeeded" in response.json()["error"]
    job = wait_for(developer, job_id)
    assert job["status"] == "failed" and "DICOM" in job["error"]
    assert developer.client.get(f"{JOBS}{job_id}/results/", **api_key_header(developer.key)).status_code == 409


def test_cancelling_stops_the_job_and_deletes_its_upload_and_results(developer, worker, fleet_env, settings):
    job_id = submit(developer, STUDY).json()["id"]
    assert developer.client.delete(f"{JOBS}{job_id}/", **api_key_header(developer.key)).status_code == 204
    job = wait_for(developer, job_id, statuses=("cancelled",))
    assert job["status"] == "cancelled" and job["finished"]
    assert developer.client.get(f"{JOBS}{job_id}/results/", **api_key_header(developer.key)).status_code == 409
    # a task that was reading when the job was cancelled deletes what it stored when it stops
    assert eventually(lambda: not (Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs" / job_id).exists())


def test_a_job_counts_once_against_its_own_quota_with_ratelimit_headers(developer, worker):
    response = submit(developer, STUDY)
    assert response.status_code == 202
    assert response["X-RateLimit-Limit"] == "100" and response["X-RateLimit-Remaining"] == "99"
    assert response["RateLimit"].startswith('"monthly";r=99;')
    job = wait_for(developer, response.json()["id"])
    all_results(developer, job)
    developer.client.get(job["archive_url"], **api_key_header(developer.key))
    summary = developer.client.get("/api/developer/profiles/activity-summary/", **developer.bearer).json()
    assert summary["by_endpoint"]["/api/dicom/read/jobs/"] == {"count": 1, "quota": 100, "remaining": 99}

    DeveloperProfile.objects.filter(user__email=developer.email).update(read_jobs_quota=1)
    refused = submit(developer, STUDY)
    assert refused.status_code == 429 and refused.json()["quota"] == 1 and refused["Retry-After"]
    assert ReadJob.objects.count() == 1  # a refused submission creates nothing


def test_the_callback_is_signed_with_the_developers_webhook_secret(developer, worker, callback_receiver):
    secret = developer.client.get("/api/developer/profiles/", **developer.bearer).json()["webhook_secret"]
    rotated = developer.client.post("/api/developer/profiles/webhook-secret/", **developer.bearer).json()["webhook_secret"]
    assert rotated != secret and rotated.startswith("whsec_")

    created = submit(developer, STUDY, callback_url=callback_receiver.url).json()
    (callback,) = callback_receiver.wait()
    assert callback["json"] == {"id": created["id"], "status": "succeeded", "status_url": created["status_url"]}
    fields = dict(item.split("=", 1) for item in callback["headers"]["DICOM-API-Signature"].split(","))
    expected = hmac.new(rotated.encode(), f"{fields['t']}.".encode() + callback["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/hook", "ftp://example.com/x", "http://[::ffff:169.254.169.254]/"])
def test_callbacks_to_metadata_private_or_odd_addresses_are_refused(developer, fleet_env, url):
    before = stored_uploads(fleet_env)
    response = submit(developer, STUDY, callback_url=url)
    assert response.status_code == 400 and response.json()["field"] == "callback_url", response.content
    assert ReadJob.objects.count() == 0
    assert stored_uploads(fleet_env) <= before  # nothing new (an earlier job may still be deleting its own)


def stored_uploads(fleet_env) -> set[Path]:
    """Uploads in the shared storage: those of earlier tests' single-file jobs stay (the upload is their file)."""
    return set((Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs").glob("*/upload"))


def test_bad_submissions_are_clear_4xx_and_leave_nothing(developer, fleet_env, settings):
    before = stored_uploads(fleet_env)
    assert submit(developer, STUDY, return_format="tiff").status_code == 400
    response = developer.client.post(JOBS, {"fields": "PatientName"}, **api_key_header(developer.key))
    assert response.status_code == 400 and response.json()["field"] == "file"
    settings.JOB_MAX_UPLOAD_BYTES = 1000
    response = submit(developer, STUDY)
    assert response.status_code == 413 and "1000 bytes" in response.json()["error"]
    assert ReadJob.objects.count() == 0
    assert stored_uploads(fleet_env) <= before  # nothing new (an earlier job may still be deleting its own)


def test_results_expire_and_are_deleted(developer, worker, fleet_env):
    job = wait_for(developer, submit(developer, STUDY).json()["id"])
    assert job["status"] == "succeeded"
    ReadJob.objects.filter(id=job["id"]).update(expires=datetime(2000, 1, 1, tzinfo=timezone.utc))
    expire_read_jobs.delay()  # what beat sends every JOB_EXPIRY_SWEEP_SECONDS, run by the worker
    assert wait_for(developer, job["id"], statuses=("expired",), timeout=60)["status"] == "expired"
    assert developer.client.get(job["results_url"], **api_key_header(developer.key)).status_code == 409
    assert not (Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs" / job["id"]).exists()  # deleted before the status changed


def test_archive_member_names_are_made_safe(developer, worker):
    ct = (CORPUS / "CT_small.dcm").read_bytes()
    hostile = zip_of({"../../etc/evil.dcm": ct, "/abs/root.dcm": ct, "C:\\win\\x.dcm": ct, "ok/../../up.dcm": ct})
    job = wait_for(developer, submit(developer, hostile).json()["id"])
    assert job["status"] == "succeeded", job
    archive = zipfile.ZipFile(io.BytesIO(developer.client.get(job["archive_url"], **api_key_header(developer.key)).content))
    names = archive.namelist()
    assert all(not name.startswith(("/", "\\")) and ".." not in name and ":" not in name for name in names), names
    assert {"etc/evil.dcm.json", "abs/root.dcm.json", "C_/win/x.dcm.json", "ok/up.dcm.json"} <= set(names)


def test_anonymized_members_read_by_different_tasks_still_make_one_study(developer, worker):
    job = wait_for(developer, submit(developer, STUDY, anonymize="true", images="false").json()["id"])
    results, _ = all_results(developer, job)
    original = read_synchronously(developer, STUDY, "study.zip", images="false")["files"]
    for uid in ("StudyInstanceUID", "SeriesInstanceUID"):
        pairs = {(theirs[uid], ours[uid]) for ours, theirs in zip(results, original)}
        # one new UID for each old one, whichever task read the member, and none left as it was
        assert len({old for old, _ in pairs}) == len({new for _, new in pairs}) == len(pairs) > 1
        assert all(new.startswith("2.25.") and new != old for old, new in pairs)
    assert {result["PatientIdentityRemoved"] for result in results} == {"YES"}


def test_a_job_has_its_own_pixel_budget_charged_before_a_file_is_decoded(developer, worker, fleet_env, settings):
    frame_bytes = 128 * 128 * 2
    within = cine(SYNCHRONOUS_PIXEL_BUDGET // frame_bytes + 8, seed=1)  # past the synchronous budget, within the job's
    settings.DICOM_LIMITS = {**settings.DICOM_LIMITS, "max_decoded_bytes": SYNCHRONOUS_PIXEL_BUDGET}  # as the workers have it
    refused = developer.client.post("/api/dicom/read/file/", {"file": SimpleUploadedFile("cine.dcm", within)}, **api_key_header(developer.key))
    assert refused.status_code == 413 and refused.json()["limit"] == "max_decoded_bytes"
    job = wait_for(developer, submit(developer, within, "cine.dcm").json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["frames_done"] == SYNCHRONOUS_PIXEL_BUDGET // frame_bytes + 8, job

    past = zip_of({"short.dcm": within, "long.dcm": cine(JOB_PIXEL_BUDGET // frame_bytes, seed=3)})  # 1.06 + 16 MiB > 16 MiB
    job = wait_for(developer, submit(developer, past).json()["id"])
    assert job["status"] == "failed" and "MAX_JOB_DECODED_BYTES" in job["error"] and str(JOB_PIXEL_BUDGET) in job["error"]
    # short.dcm may be read while long.dcm is planned (its tasks are sent at once), long.dcm never:
    # the job decodes no more than its budget
    assert job["progress"]["files_done"] <= 1 and job["progress"]["frames_done"] * frame_bytes <= JOB_PIXEL_BUDGET, job
    folder = Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs" / job["id"]
    deadline = time.monotonic() + 30  # a task reading short.dcm deletes what it stored once it sees the job failed
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder.exists()

    one_huge_frame = cine(1, 1024, 1024, seed=2)  # 2 MiB in one frame: more than a worker decodes at once
    job = wait_for(developer, submit(developer, one_huge_frame, "big.dcm").json()["id"])
    assert job["status"] == "failed" and "one frame" in job["error"] and "MAX_DECODED_BYTES" in job["error"]


def test_a_job_takes_a_zip_of_more_members_than_a_synchronous_read_up_to_its_own_limit(developer, worker, settings):
    series = zip_of_small_files(SYNCHRONOUS_ZIP_MEMBERS + 2, 16, 16)
    settings.DICOM_LIMITS = {**settings.DICOM_LIMITS, "max_zip_members": SYNCHRONOUS_ZIP_MEMBERS}  # as the workers have it
    refused = developer.client.post("/api/dicom/read/file/", {"file": SimpleUploadedFile("series.zip", series)}, **api_key_header(developer.key))
    assert refused.status_code == 413 and refused.json()["limit"] == "max_zip_members"
    job = wait_for(developer, submit(developer, series, "series.zip").json()["id"])
    assert job["status"] == "succeeded" and job["progress"]["files_done"] == SYNCHRONOUS_ZIP_MEMBERS + 2, job

    job = wait_for(developer, submit(developer, zip_of_small_files(JOB_ZIP_MEMBERS + 1, 8, 8), "series.zip").json()["id"])
    assert job["status"] == "failed" and f"more than the limit of {JOB_ZIP_MEMBERS}" in job["error"], job


def test_deleting_the_account_deletes_its_jobs_stored_uploads_and_results(developer, make_developer, worker, fleet_env):
    jobs_folder = Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs"
    finished = wait_for(developer, submit(developer, STUDY).json()["id"])
    assert finished["status"] == "succeeded" and (jobs_folder / finished["id"]).exists()
    unfinished = submit(developer, STUDY).json()["id"]  # queued or running when the account goes
    other = make_developer()
    others_job = wait_for(other, submit(other, STUDY).json()["id"])["id"]

    response = developer.client.delete("/api/account/", {"password": PASSWORD}, format="json", **developer.bearer)
    assert response.status_code == 204
    assert eventually(lambda: not (jobs_folder / finished["id"]).exists() and not (jobs_folder / unfinished).exists())
    assert (jobs_folder / others_job).exists()  # another developer's results are theirs
    assert ReadJob.objects.filter(profile__user__email=developer.email).count() == 0


def test_the_sweep_deletes_old_uploads_that_no_job_owns(developer, worker, fleet_env):
    jobs_folder = Path(fleet_env["JOB_STORAGE_DIR"]) / "jobs"
    seven_hours_ago = time.time() - 7 * 3600  # past JOB_ORPHAN_UPLOAD_HOURS (6)

    def upload_left(age_seconds_ago: float | None) -> Path:
        """What a web worker killed mid-upload leaves: jobs/<id>/upload, and no job."""
        upload = jobs_folder / str(uuid.uuid4()) / "upload"
        upload.parent.mkdir(parents=True)
        upload.write_bytes(STUDY[:1000])
        if age_seconds_ago is not None:
            os.utime(upload, (age_seconds_ago, age_seconds_ago))
        return upload.parent

    orphan = upload_left(seven_hours_ago)
    arriving = upload_left(None)  # written to a moment ago: an upload still arriving
    owned = wait_for(developer, submit(developer, STUDY).json()["id"])
    assert owned["status"] == "succeeded"
    for path in (jobs_folder / owned["id"]).rglob("*"):
        os.utime(path, (seven_hours_ago, seven_hours_ago))  # old, but its job still owns it
    not_ours = jobs_folder / "not-a-job-id"
    not_ours.mkdir(exist_ok=True)

    expire_read_jobs.delay()  # beat's periodic sweep, run by the worker
    assert eventually(lambda: not orphan.exists())
    later_orphan = upload_left(seven_hours_ago)
    expire_read_jobs.delay()  # the worker takes one task at a time: once this one has run, so has the first
    assert eventually(lambda: not later_orphan.exists())
    assert arriving.exists() and (jobs_folder / owned["id"]).exists() and not_ours.exists()
    assert developer.client.get(owned["results_url"], **api_key_header(developer.key)).status_code == 200
