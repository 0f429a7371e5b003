"""The job calls against the real service and a real Celery worker (the filesystem broker that
`make run` uses, in this session's folder): submit, wait with progress, results page by page,
the archive, the list, deletion; the same through `dicom-api job`."""

import asyncio
import io
import json
import zipfile

import pytest
from conftest import CORPUS
from test_cli import run

from dicom_api_client import AsyncClient, NotFound, ReadResult

STUDY = CORPUS / "study_77654033.zip"


def test_a_job_gives_what_the_synchronous_read_gives(client, tmp_path):
    seen = []
    job = client.submit_job(STUDY, fields=["PatientID", "InstanceNumber"])
    assert job.status.status == "queued"
    final = job.wait(progress=seen.append, poll_interval=0.2, timeout=120)
    assert final.status == "succeeded" and seen[-1] == final
    assert final.progress.files_done == final.progress.files_total > 0

    results = sorted(job.results(frames_dir=tmp_path / "job"), key=lambda result: result.name)
    synchronous = client.read(STUDY, fields=["PatientID", "InstanceNumber"])
    expected = sorted(synchronous.files, key=lambda result: result.name)
    assert [(r.name, r.metadata) for r in results] == [(r.name, r.metadata) for r in expected]
    assert [[f.data for f in r.frames] for r in results] == [[f.data for f in r.frames] for r in expected]
    assert all(frame.path.is_relative_to(tmp_path / "job") for result in results for frame in result.frames)

    archive = zipfile.ZipFile(io.BytesIO(job.download_archive(tmp_path / "job.zip").read_bytes()))
    expected_names = [f"{r.safe_name}.json" for r in results] + [f"{r.safe_name}/frame-{f.number:04d}.png" for r in results for f in r.frames]
    assert sorted(archive.namelist()) == sorted(expected_names)  # the layout `dicom-api read` writes
    for result in results:
        assert json.loads(archive.read(f"{result.safe_name}.json")) == result.to_json()
        assert archive.read(f"{result.safe_name}/frame-0001.png") == result.frames[0].data

    assert job.id in [listed.id for listed in client.list_jobs()]
    job.cancel()
    with pytest.raises(NotFound):
        client.get_job(job.id)


def test_the_async_client_runs_a_job(base_url, api_key):
    async def session():
        async with AsyncClient(api_key, base_url=base_url) as client:
            job = await client.submit_job(CORPUS / "emri_small.dcm", return_format="jpeg")
            await job.wait(poll_interval=0.2, timeout=120)
            return [result async for result in job.results()]

    (result,) = asyncio.run(session())
    assert isinstance(result, ReadResult) and len(result.frames) == 10 and result.frames[0].data.startswith(b"\xff\xd8")


def test_the_job_commands(tmp_path, api_key, base_url):
    submitted = run("job", "submit", str(STUDY), "--wait", "--json", key=api_key, url=base_url, cwd=tmp_path)
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["status"] == "succeeded"
    status = run("job", "status", job["id"], key=api_key, url=base_url, cwd=tmp_path)
    assert status.returncode == 0 and "succeeded" in status.stdout
    downloaded = run("job", "download", job["id"], "--out", "results", key=api_key, url=base_url, cwd=tmp_path)
    assert downloaded.returncode == 0, downloaded.stderr
    written = [path for path in (tmp_path / "results").rglob("*") if path.is_file()]
    assert any(path.suffix == ".json" for path in written) and any(path.suffix == ".png" for path in written)
    assert all(path.resolve().is_relative_to((tmp_path / "results").resolve()) for path in written)
