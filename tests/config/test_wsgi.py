"""config/wsgi.py, which gunicorn preloads before forking its workers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# In a fresh interpreter: is the broker's transport module imported once config.wsgi is?
PROBE = """
import sys
import config.wsgi
from kombu.transport import TRANSPORT_ALIASES
from config.celery import app
print(TRANSPORT_ALIASES[app.conf.broker_url.split(":")[0]].split(":")[0] in sys.modules)
"""


@pytest.mark.parametrize("broker", ["redis://127.0.0.1:6379/15", "filesystem://"])
def test_the_job_queues_client_is_imported_before_the_workers_fork(broker, tmp_path):
    """A worker's first job submission then only connects (it imported kombu's transport and its
    client first: ~0.1 s on that request). Importing opens no connection: no broker is needed."""
    env = {**os.environ, "CELERY_BROKER_URL": broker, "DJANGO_SETTINGS_MODULE": "config.settings", "BROKER_FOLDER": str(tmp_path)}
    probe = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert probe.stdout.strip() == "True", probe.stderr[-800:]
