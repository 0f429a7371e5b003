"""Jobs are tested as they run: a real Celery worker on the real Redis broker, started by the
test session as a subprocess, sharing this session's test database and a storage folder; never
Celery's eager mode. Each session uses its own queue, so parallel runs never take each other's
tasks."""

import json
import os
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from bench.celery_workers import running_workers
from config.celery import app as celery_app
from tests.conftest import api_key_header

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")  # a database of its own
VISIBILITY_TIMEOUT = 8  # seconds before a dead worker's task is delivered again
JOBS = "/api/dicom/read/jobs/"
SYNCHRONOUS_PIXEL_BUDGET = 1024 * 1024  # the workers' MAX_DECODED_BYTES
SYNCHRONOUS_ZIP_MEMBERS = 10  # the workers' MAX_ZIP_MEMBERS
JOB_ZIP_MEMBERS = 150  # the workers' JOB_MAX_ZIP_MEMBERS
JOB_PIXEL_BUDGET = 16 * 1024 * 1024  # the workers' MAX_JOB_DECODED_BYTES (the fleet test's 100 files: 12.5 MiB)


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


def shared_database_env() -> dict[str, str]:
    """This session's test database, as another process names it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return {"DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"}
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        return {"DATABASE_URL": "", "SQLITE_PATH": db["NAME"]}
    pytest.skip("The job tests need a database that a worker process can open too: set DATABASE_URL (PostgreSQL).")


@pytest.fixture(scope="session")
def fleet_env(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, str]:
    """The environment of every process of the simulated fleet; this process is made to match."""
    if not redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379 (the job tests use the real broker).")
    with django_db_blocker.unblock():
        database = shared_database_env()
    folder = tmp_path_factory.mktemp("fleet")
    env = {
        **os.environ,
        **database,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_QUEUE": f"test-jobs-{uuid.uuid4().hex}",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "JOB_STORAGE_DIR": str(folder / "storage"),
        "JOB_WEBHOOK_ALLOW_LOOPBACK": "true",
        "JOB_FILES_PER_TASK": "4",
        "JOB_FRAMES_PER_TASK": "4",  # emri_small's 10 frames are read in 3 parts, by 3 tasks
        # Small pixel budgets, so a test can pass each with a small upload (every other upload is far below)
        "MAX_DECODED_BYTES": str(SYNCHRONOUS_PIXEL_BUDGET),
        "MAX_JOB_DECODED_BYTES": str(JOB_PIXEL_BUDGET),
        # A synchronous read takes fewer members than a job (the fleet test's zip has 100)
        "MAX_ZIP_MEMBERS": str(SYNCHRONOUS_ZIP_MEMBERS),
        "JOB_MAX_ZIP_MEMBERS": str(JOB_ZIP_MEMBERS),
        "LOG_LEVEL": "WARNING",
        "FLEET_FOLDER": str(folder),
    }
    transport = {"visibility_timeout": VISIBILITY_TIMEOUT, "unacked_restore_interval": 2, "unacked_restore_throttle": 1}
    celery_app.conf.update(broker_url=REDIS_URL, task_default_queue=env["CELERY_QUEUE"], broker_transport_options=transport)
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        "jobs": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": env["JOB_STORAGE_DIR"]}},
    }
    overridden = override_settings(STORAGES=storages, JOB_WEBHOOK_ALLOW_LOOPBACK=True, JOB_RESULTS_PAGE_SIZE=3)
    overridden.enable()
    yield env
    overridden.disable()


@pytest.fixture(scope="session")
def worker(fleet_env):
    """One job worker for the session's tests."""
    with running_workers(1, fleet_env, Path(fleet_env["FLEET_FOLDER"])) as workers:
        yield workers[0]


def submit(developer, content: bytes, name: str = "study.zip", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return developer.client.post(JOBS, {"file": SimpleUploadedFile(name, content), **fields}, **api_key_header(developer.key))


def wait_for(developer, job_id: str, statuses=("succeeded", "failed", "cancelled"), timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = developer.client.get(f"{JOBS}{job_id}/", **api_key_header(developer.key))
        assert response.status_code == 200, response.content
        job = response.json()
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s: {job}"
        time.sleep(0.3)


def eventually(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


class CallbackReceiver:
    """A local HTTP server that records the callbacks it receives."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dicom?source=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int = 1, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.received


@pytest.fixture
def callback_receiver():
    receiver = CallbackReceiver()
    yield receiver
    receiver.server.shutdown()
