"""`bench/gunicorn_floor.py` serves a bare WSGI app with gunicorn.conf.py and measures it (briefly:
that it runs and answers, not how fast)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.ports import can_bind_localhost  # noqa: E402


@pytest.mark.skipif(not can_bind_localhost(), reason="cannot bind a port on 127.0.0.1 for gunicorn")
def test_the_bare_app_is_served_and_measured():
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "gunicorn_floor.py"), "--clients", "2", "--seconds", "0.5"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    rate, cpu = re.search(r": ([\d.]+) req/s, CPU ([\d.]+) ms/req", completed.stdout).groups()
    assert float(rate) > 0 and float(cpu) > 0
