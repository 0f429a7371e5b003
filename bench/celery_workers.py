"""Celery job workers started as their own processes (as on worker machines), for the tests and
`bench/jobs.py`: each a solo worker (one task at a time, its own render pool)."""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.ports import stop_process

REPO = Path(__file__).resolve().parents[1]


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """In its own session, so that killing it (SIGKILL, as a machine dies) takes its render pool too."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING",
        "--without-mingle", "--without-gossip", "--hostname", f"worker-{uuid.uuid4().hex[:8]}@%h",
    ]
    with open(log, "ab") as output:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def kill_worker(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


@contextmanager
def running_workers(count: int, env: dict[str, str], log_folder: Path) -> Iterator[list[subprocess.Popen]]:
    workers = [start_worker(env, log_folder / f"worker-{index}.log") for index in range(count)]
    try:
        yield workers
    finally:
        for worker in workers:
            stop_process(worker)
