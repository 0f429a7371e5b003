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


class Worker(subprocess.Popen):
    """A worker's process, and its node name (the destination of Celery's remote control)."""

    node_name: str


def start_worker(env: dict[str, str], log: Path) -> Worker:
    """In its own session, so that killing it (SIGKILL, as a machine dies) takes its render pool too."""
    node_name = f"worker-{uuid.uuid4().hex[:8]}@bench"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING",
        "--without-mingle", "--without-gossip", "--hostname", node_name,
    ]
    with open(log, "ab") as output:
        worker = Worker(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    worker.node_name = node_name
    return worker


def kill_worker(worker: Worker) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


@contextmanager
def running_workers(count: int, env: dict[str, str], log_folder: Path) -> Iterator[list[Worker]]:
    workers = [start_worker(env, log_folder / f"worker-{index}.log") for index in range(count)]
    try:
        yield workers
    finally:
        for worker in workers:
            stop_process(worker)
