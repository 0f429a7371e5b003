"""Two machines simulated on this one: two gunicorn servers on two ports and two Celery workers,
sharing PostgreSQL, Redis and a storage folder. A job submitted on one server is polled and
downloaded from the other, and survives one worker killed with SIGKILL in the middle."""

import io
import json
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from django.db import connection

from bench.celery_workers import kill_worker, running_workers
from bench.client import check_status
from bench.job_client import JOBS, get, submit_job, wait_for_job, zip_of_small_files
from bench.ports import can_bind_localhost
from bench.service import running_service
from jobs.models import JobTask

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not can_bind_localhost(), reason="cannot bind a port on 127.0.0.1"),
]

FILES = 100


@pytest.fixture
def fleet(fleet_env):
    if connection.vendor != "postgresql":
        pytest.skip("Two machines share one PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    folder = Path(fleet_env["FLEET_FOLDER"])
    # A queue of its own: the session's worker (tests/jobs/conftest.py) takes none of these tasks,
    # so the two workers here are the only ones and both are busy in the middle of the job.
    env = {**fleet_env, "CELERY_QUEUE": f"test-fleet-{uuid.uuid4().hex}"}
    shared = {name: env[name] for name in ("CELERY_BROKER_URL", "CELERY_QUEUE", "JOB_STORAGE_DIR", "QUOTA_READ_FILE") if name in env}
    with (
        running_service(folder, env["DATABASE_URL"], shared) as first,
        running_service(folder, env["DATABASE_URL"], shared) as second,
        running_workers(2, env, folder) as workers,
    ):
        yield first, second, workers


def test_a_job_submitted_on_one_server_survives_a_killed_worker_and_is_read_from_the_other(fleet):
    first, second, workers = fleet
    key = first.api_key  # one developer, one database: the key works on both servers
    job = submit_job(first.port, key, "series.zip", zip_of_small_files(FILES, rows=256, columns=256))
    job["progress"] = {"files_done": 0}

    seen = job
    deadline = time.monotonic() + 180

    def both_workers_reading() -> bool:  # so the one killed is in the middle of a task, not between two
        return JobTask.objects.filter(job_id=job["id"], attempts__gte=1, done=False).count() == 2

    while seen["status"] in ("queued", "running") and (seen["progress"]["files_done"] < 4 or not both_workers_reading()) and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = check_status(get(second.port, key, f"{JOBS}{job['id']}/"), 200, "job status").json()
    assert seen["status"] == "running" and seen["progress"]["files_done"] < FILES, seen  # killed in the middle
    in_progress_at_kill = set(JobTask.objects.filter(job_id=job["id"], attempts__gte=1, done=False).values_list("index", flat=True))
    kill_worker(workers[0])

    done = wait_for_job(second.port, key, job["id"], timeout=240)
    assert done["status"] == "succeeded", done
    assert done["progress"] == {"files_total": FILES, "files_done": FILES, "frames_done": FILES}
    # The killed worker's task was delivered again (after the visibility timeout) and run to the
    # end: every task, those in progress at the kill among them, is done. (Its attempt count is not
    # a sure sign: the kill can land after the worker took a message but before it recorded the attempt.)
    assert in_progress_at_kill and not JobTask.objects.filter(job_id=job["id"], done=False).exists()
    page = check_status(get(second.port, key, f"{JOBS}{job['id']}/results/?page=5"), 200, "results").json()
    assert page["count"] == FILES and page["next"] is None and len(page["results"]) == FILES - 4 * 20
    archive = zipfile.ZipFile(io.BytesIO(check_status(get(first.port, key, f"{JOBS}{job['id']}/archive/"), 200, "archive").body))
    names = set(archive.namelist())
    for index in range(FILES):
        assert {f"series/{index:04d}.dcm.json", f"series/{index:04d}.dcm/frame-0001.png"} <= names
        assert json.loads(archive.read(f"series/{index:04d}.dcm.json"))["Rows"] == "256"
