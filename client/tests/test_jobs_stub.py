"""The job calls' HTTP shapes (API.md, "Jobs") against the stub server, for what a real worker
does not do on cue: several result pages, a failed job, results asked before success. The same
calls against the real service and worker: test_jobs.py."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS
from stub_server import Reply

from dicom_api_client import Conflict, JobFailed, NotFound

JOBS = "/api/dicom/read/jobs/"
JOB_ID = "7d9c1f2e-0000-4000-8000-000000000001"
JOB = f"{JOBS}{JOB_ID}/"


def status(stub, state: str, files_done: int = 0, frames_done: int = 0, error: str | None = None) -> dict:
    return {
        "id": JOB_ID, "status": state, "progress": {"files_total": 2, "files_done": files_done, "frames_done": frames_done},
        "created": "2026-12-01T10:00:00Z", "started": None, "finished": None, "expires": None, "error": error,
        "results_url": f"{stub.url}{JOB}results/", "archive_url": f"{stub.url}{JOB}archive/",
    }


def result_object(name: str) -> dict:
    return {"name": name, "Modality": "CT", "ImageFormat": "PNG", "Images": [base64.b64encode(b"\x89PNG " + name.encode()).decode()]}


def test_submit_wait_page_download_and_cancel(stub, stub_client, tmp_path):
    created = {"id": JOB_ID, "status": "queued", "status_url": f"{stub.url}{JOB}", "created": "2026-12-01T10:00:00Z"}
    stub.script("POST", JOBS, Reply(202, created, {"Location": f"{stub.url}{JOB}"}))
    stub.script("GET", JOB, Reply(200, status(stub, "running", 1, 3)), Reply(200, status(stub, "succeeded", 2, 5)))
    page_two = f"{stub.url}{JOB}results/?page=2"
    stub.script("GET", f"{JOB}results/",
                Reply(200, {"count": 2, "next": page_two, "previous": None, "results": [result_object("../a.dcm")], "skipped": [{"name": "README", "reason": "not DICOM"}]}),
                Reply(200, {"count": 2, "next": None, "previous": f"{stub.url}{JOB}results/", "results": [result_object("b.dcm")], "skipped": []}))
    stub.script("GET", f"{JOB}archive/", Reply(200, b"PK\x05\x06" + b"\0" * 18, {"Content-Type": "application/zip"}))
    stub.script("DELETE", JOB, Reply(204))

    sent = []
    job = stub_client.submit_job(
        CORPUS / "study_77654033.zip", return_format="png", fields=["Modality"], callback_url="https://example.com/hook", on_upload=sent.append
    )
    assert sum(sent) == (CORPUS / "study_77654033.zip").stat().st_size
    assert job.id == JOB_ID and job.status.status == "queued"
    submitted = stub.calls("POST", JOBS)[0]
    assert submitted.headers["Authorization"] == "ApiKey prefix.secret"
    assert b'name="callback_url"\r\n\r\nhttps://example.com/hook' in submitted.body and b'name="fields"\r\n\r\nModality' in submitted.body
    assert (CORPUS / "study_77654033.zip").read_bytes() in submitted.body

    seen = []
    final = job.wait(progress=seen.append, poll_interval=0.01)
    assert [(s.status, s.progress.files_done, s.progress.frames_done) for s in seen] == [("running", 1, 3), ("succeeded", 2, 5)]
    assert final.done and final.status == "succeeded"

    results = list(job.results(frames_dir=tmp_path))
    assert [(r.name, r.metadata, r.frames[0].data) for r in results] == [
        ("../a.dcm", {"Modality": "CT"}, b"\x89PNG ../a.dcm"), ("b.dcm", {"Modality": "CT"}, b"\x89PNG b.dcm"),
    ]
    assert results[0].frames[0].path == tmp_path / "a.dcm" / "frame-0001.png"  # `..` dropped
    assert [call.path for call in stub.calls("GET", f"{JOB}results/")] == [f"{JOB}results/", f"{JOB}results/?page=2"]

    archive = job.download_archive(tmp_path / "job.zip")
    assert archive.read_bytes().startswith(b"PK\x05\x06")
    job.cancel()
    assert len(stub.calls("DELETE", JOB)) == 1


def test_a_failed_job_raises_with_its_error(stub, stub_client):
    failed_status = Reply(200, status(stub, "failed", error="The upload is not DICOM."))
    stub.script("GET", JOB, failed_status, failed_status)  # get_job, then wait's first poll
    with pytest.raises(JobFailed, match="failed: The upload is not DICOM.") as failed:
        stub_client.get_job(JOB_ID).wait(poll_interval=0.01)
    assert failed.value.job.status == "failed"


def test_results_before_success_and_a_strangers_job(stub, stub_client):
    stub.script("GET", JOB, Reply(200, status(stub, "running")))
    stub.script("GET", f"{JOB}results/", Reply(409, {"error": "The job is running: its results are available once it has succeeded."}))
    job = stub_client.get_job(JOB_ID)
    with pytest.raises(Conflict, match="running"):
        list(job.results())
    with pytest.raises(NotFound):
        stub_client.get_job("someone-elses")


def test_list_jobs_follows_the_pages(stub, stub_client):
    stub.script("GET", JOBS,
                Reply(200, {"count": 2, "next": f"{stub.url}{JOBS}?page=2", "previous": None, "results": [status(stub, "queued")]}),
                Reply(200, {"count": 2, "next": None, "previous": None, "results": [status(stub, "succeeded")]}))
    assert [job.status.status for job in stub_client.list_jobs()] == ["queued", "succeeded"]
    assert json.dumps([call.path for call in stub.calls("GET", JOBS)]) == json.dumps([JOBS, f"{JOBS}?page=2"])


def test_the_job_commands(stub, tmp_path):
    """`dicom-api job submit --wait`, `job download --out` and `--archive`, as a user runs them."""
    created = {"id": JOB_ID, "status": "queued", "status_url": f"{stub.url}{JOB}", "created": "2026-12-01T10:00:00Z"}
    stub.script("POST", JOBS, Reply(202, created))
    stub.script("GET", JOB, *[Reply(200, status(stub, "succeeded", 2, 2))] * 3)
    stub.script("GET", f"{JOB}results/", Reply(200, {
        "count": 2, "next": None, "previous": None,
        "results": [result_object("../../up.dcm"), result_object("series/b.dcm")], "skipped": [{"name": "README", "reason": "not DICOM"}],
    }))
    stub.script("GET", f"{JOB}archive/", Reply(200, b"PK\x05\x06" + b"\0" * 18, {"Content-Type": "application/zip"}))
    env = {**os.environ, "DICOM_API_KEY": "prefix.secret", "DICOM_API_URL": stub.url}
    command = [str(Path(sys.executable).with_name("dicom-api")), "job"]

    def run(*args: str) -> subprocess.CompletedProcess:
        completed = subprocess.run([*command, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert completed.returncode == 0 and "Traceback" not in completed.stderr, completed.stderr
        return completed

    submitted = json.loads(run("submit", str(CORPUS / "study_77654033.zip"), "--wait", "--json").stdout)
    assert submitted["id"] == JOB_ID and submitted["status"] == "succeeded" and submitted["progress"]["files_done"] == 2
    run("download", JOB_ID, "--out", "results")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "results/series/b.dcm.json", "results/series/b.dcm/frame-0001.png", "results/skipped.json",
        "results/up.dcm.json", "results/up.dcm/frame-0001.png",
    ]
    assert json.loads((tmp_path / "results/up.dcm.json").read_text()) == {"name": "../../up.dcm", "Modality": "CT", "ImageFormat": "PNG"}
    run("download", JOB_ID, "--archive", "job.zip")
    assert (tmp_path / "job.zip").read_bytes().startswith(b"PK\x05\x06")
