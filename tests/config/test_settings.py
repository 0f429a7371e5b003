"""Settings read from the environment, as a server process reads them at start."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JOB_STORAGE = """
import django, json
django.setup()
from django.conf import settings
from django.core.files.storage import storages
jobs = storages["jobs"]  # built as a worker builds it; nothing here talks to S3
print(json.dumps({"backend": settings.STORAGES["jobs"]["BACKEND"], "class": type(jobs).__module__ + "." + type(jobs).__name__,
                  **{name: getattr(jobs, name, None) for name in ("bucket_name", "endpoint_url", "region_name", "location", "access_key", "max_memory_size")}}))
"""


def job_storage_with(environment: dict[str, str]) -> dict:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "JOB_STORAGE"))}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    done = subprocess.run([sys.executable, "-c", JOB_STORAGE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_job_storage_is_s3_when_a_bucket_is_named():
    storage = job_storage_with({
        "AWS_STORAGE_BUCKET_NAME": "dicom-jobs",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
        "AWS_S3_REGION_NAME": "eu-west-1",
        "AWS_LOCATION": "prod",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
    })
    assert storage == {
        "backend": "storages.backends.s3.S3Storage",
        "class": "storages.backends.s3.S3Storage",
        "bucket_name": "dicom-jobs",
        "endpoint_url": "https://s3.example.com",
        "region_name": "eu-west-1",
        "location": "prod",
        "access_key": "AKIAEXAMPLE",
        "max_memory_size": 16 * 1024 * 1024,  # reads past this spool to disk: an upload is never held whole
    }


def test_the_job_storage_is_a_local_folder_without_a_bucket(tmp_path):
    storage = job_storage_with({"JOB_STORAGE_DIR": str(tmp_path)})
    assert storage["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert storage["location"] == str(tmp_path)
