#!/usr/bin/env python
"""The floor of any handler served the production way: gunicorn with gunicorn.conf.py and a WSGI
application that reads the body and answers `{}` (no Django), posted the guide's MR_small request
by the bench's clients (a fresh connection each). Prints requests/s and gunicorn's CPU per request:
what no read endpoint behind this gunicorn can go below (bench/README.md, issue 14).

    .venv/bin/python bench/gunicorn_floor.py [--clients 4] [--seconds 5] [FILE]
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.client import multipart, request  # noqa: E402
from bench.measure import throughput  # noqa: E402
from bench.ports import free_port, stop_process, wait_until  # noqa: E402
from bench.processes import tree_cpu_seconds  # noqa: E402


def app(environ, start_response):
    """Reads the whole body, as any handler must, and answers a constant."""
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=REPO / ".." / "shared" / "corpus" / "MR_small.dcm")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "bench.gunicorn_floor:app", "-c", "gunicorn.conf.py"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: request(port, "GET", "/", timeout=2).status == 200, timeout=60, what="gunicorn",
                   alive=lambda: server.poll() is None)
        body, content_type = multipart({"fields": "PatientName,StudyDate,Modality", "return_format": "png"},
                                       {"file": (args.file.name, args.file.read_bytes())})
        headers = {"Content-Type": content_type, "Authorization": "ApiKey prefix.secret"}

        def post() -> None:
            request(port, "POST", "/api/dicom/read/file/", body, headers)

        throughput(post, args.clients, 1.0)  # warm-up
        before = tree_cpu_seconds(server.pid)
        result = throughput(post, args.clients, args.seconds)
        used = tree_cpu_seconds(server.pid) - before
        print(f"bare WSGI app under gunicorn, {args.file.name} x{args.clients}: {result['per_second']} req/s, "
              f"CPU {used * 1000 / result['requests']:.2f} ms/req (load {os.getloadavg()[0]:.2f})")
    finally:
        stop_process(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
