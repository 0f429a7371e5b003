#!/usr/bin/env python
"""`make bench-jobs`: jobs on 1 and on 2 Celery workers, beside the synchronous read of the
same input, through HTTP as production runs (gunicorn, Redis, a storage folder).

Inputs: a zip of 200 small files (128x128, 16-bit, one frame each) and a 400-frame cine
(256x256, 16-bit), both native and made here. Two workers run throughout; in each round every
input is timed with the second worker paused (Celery's remote control: it stops consuming the
queue), then with both, so a change in the machine's load hits both alike. Figures: seconds from
submission to `succeeded` (medians), the second worker's speed-up (median of the rounds' 1
worker / 2 workers; goal >= 1.7 on 2 cores with the web server idle), the same speed-up of the
workers' part alone (from the submission's 202 to `succeeded`: the upload is the web server's
work, which no worker can share), and the synchronous read's seconds. The load average is printed
beside. Writes bench/results/jobs-<time>.json.

A job stores a file for each member and each part it reads: what creating a file costs matters. On
this workplace's machines it varied from 0.05 to 0.8 ms a file, between folders of the same disk
and over an hour (the folder that was fast became the slow one): `--workdir` says where the
storage, the SQLite file and the logs go (default: the system's temporary folder).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make the `bench` package importable

from celery import Celery  # noqa: E402
from celery.app.control import Control  # noqa: E402

from bench.celery_workers import Worker, running_workers  # noqa: E402
from bench.client import check_status, multipart, request  # noqa: E402
from bench.job_client import cine, submit_body, wait_for_job, zip_of_small_files  # noqa: E402
from bench.service import READ_PATH, running_service  # noqa: E402

RESULTS = REPO / "bench" / "results"
REDIS_BRPOP_SECONDS = 1  # how long kombu's Redis transport waits on the queues at a time (brpop_timeout)


def job_seconds(port: int, key: str, name: str, data: bytes) -> tuple[float, float]:
    """Seconds from submission to `succeeded`, and from the submission's answer (202) to `succeeded`.
    The end is the job's own `finished` time (this machine's clock, as the start's), not when a poll
    saw it: a poll's interval would add up to its length to both figures."""
    body, content_type = multipart({}, {"file": (name, data)})  # encoded first, as synchronous_seconds does
    started = time.time()
    job = submit_body(port, key, body, content_type)
    accepted = time.time()
    done = wait_for_job(port, key, job["id"], timeout=1800, every=0.1)  # a light poll (tiny GETs): the web server stays about idle
    if done["status"] != "succeeded":
        raise RuntimeError(f"job {done['status']}: {done['error']}")
    finished = datetime.fromisoformat(done["finished"].replace("Z", "+00:00")).timestamp()
    return finished - started, finished - accepted


def second_worker(control: Control, worker: Worker, queue: str, consuming: bool) -> None:
    """The second worker takes tasks from the job queue again, or stops taking them (it finishes
    none: between jobs it has none)."""
    change = control.add_consumer if consuming else control.cancel_consumer
    replies = change(queue, destination=[worker.node_name], reply=True, timeout=10)
    if not replies:
        raise RuntimeError(f"worker {worker.node_name} did not answer the remote control")
    if not consuming:
        time.sleep(2 * REDIS_BRPOP_SECONDS)  # a BRPOP sent before it stopped may still take a task: let it end


def synchronous_seconds(port: int, key: str, name: str, data: bytes) -> float:
    body, content_type = multipart({}, {"file": (name, data)})
    started = time.perf_counter()
    reply = request(port, "POST", READ_PATH, body, {"Authorization": f"ApiKey {key}", "Content-Type": content_type})
    check_status(reply, 200, "synchronous read")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds, each timing every input on 1 then 2 workers")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12", help="the broker (a database of its own)")
    parser.add_argument("--database-url", default="", help="PostgreSQL, as a fleet has it (an empty database; migrated here); default: a SQLite file, as `make run`")
    parser.add_argument("--scale", type=int, default=1, help="inputs this many times larger (the goal is judged at 1)")
    parser.add_argument("--workdir", default=None, help="where the storage, the SQLite file and the logs go (default: the system's temporary folder)")
    args = parser.parse_args()

    files, frames = 200 * args.scale, 400 * args.scale
    inputs = {f"zip of {files} small files": ("series.zip", zip_of_small_files(files)), f"{frames}-frame cine": ("cine.dcm", cine(frames, 256, 256))}
    figures: dict = {"load_before": os.getloadavg(), "cores": os.cpu_count(), "rounds": args.rounds, "scale": args.scale, "database": "postgresql" if args.database_url else "sqlite", "inputs": {}}
    queue = f"bench-jobs-{uuid.uuid4().hex}"
    control = Celery(broker=args.redis).control
    with tempfile.TemporaryDirectory(dir=args.workdir, prefix="bench-jobs-") as workdir:
        folder = Path(workdir)
        shared = {
            "CELERY_BROKER_URL": args.redis,
            "CELERY_QUEUE": queue,
            "JOB_STORAGE_DIR": str(folder / "storage"),
            "SQLITE_PATH": str(folder / "bench.sqlite3"),  # the service's own (running_service)
            "DATABASE_URL": args.database_url,
            "QUOTA_READ_JOBS": "100000000",
            "LOG_LEVEL": "WARNING",
        }
        with running_service(folder, args.database_url, overrides=shared) as service, running_workers(2, {**os.environ, **shared}, folder) as workers:
            port, key = service.port, service.api_key
            runs = {label: {"synchronous": [], 1: [], 2: [], "workers_1": [], "workers_2": []} for label in inputs}
            job_seconds(port, key, "warm-up.zip", zip_of_small_files(8))  # both workers import and connect
            for _ in range(args.rounds):
                for label, (name, data) in inputs.items():
                    runs[label]["synchronous"].append(synchronous_seconds(port, key, name, data))
                    for count in (1, 2):
                        second_worker(control, workers[1], queue, consuming=count == 2)
                        total, workers_part = job_seconds(port, key, name, data)
                        runs[label][count].append(total)
                        runs[label][f"workers_{count}"].append(workers_part)
    figures["load_after"] = os.getloadavg()
    for label, times in runs.items():
        figures["inputs"][label] = {
            "synchronous_s": statistics.median(times["synchronous"]),
            "job_1_worker_s": statistics.median(times[1]),
            "job_2_worker_s": statistics.median(times[2]),
            "speed_up": statistics.median(one / two for one, two in zip(times[1], times[2])),
            "workers_speed_up": statistics.median(one / two for one, two in zip(times["workers_1"], times["workers_2"])),
            "runs_s": {str(name): values for name, values in times.items()},
        }

    print(f"{figures['database']}, cores {figures['cores']}, load average before {figures['load_before'][0]:.2f}, after {figures['load_after'][0]:.2f}")
    print(f"{'input':<24}{'synchronous s':>15}{'job, 1 worker s':>17}{'job, 2 workers s':>18}{'speed-up':>10}{'workers part':>14}  goal >= 1.7")
    for label, row in figures["inputs"].items():
        met = ("met" if row["speed_up"] >= 1.7 else "not met") if args.scale == 1 else "(judged at --scale 1)"
        print(
            f"{label:<24}{row['synchronous_s']:>15.2f}{row['job_1_worker_s']:>17.2f}{row['job_2_worker_s']:>18.2f}"
            f"{row['speed_up']:>9.2f}x{row['workers_speed_up']:>13.2f}x  {met}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"jobs-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
