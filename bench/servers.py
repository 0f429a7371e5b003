#!/usr/bin/env python
"""WSGI servers side by side (issue 14): each serves a bare WSGI app (reads the body, answers `{}`:
the server's own cost) and our service (config.wsgi, started as bench/service.py does), posted the
guide's request (three fields, PNG) and all metadata by the bench's clients (a fresh connection a
request), in 1 s turns taken by each server in turn, so that the shared machine's load touches
each alike; Orthanc's upload + rendered PNG in the same turns with `--orthanc`. Prints requests/s
and each server's CPU per request (its whole process tree), and the clients' (this process).

    .venv/bin/python bench/servers.py [--server SPEC ...] [--app bare|ours|both] [--orthanc]
                                      [--clients 4] [--seconds 6] [FILE]

A SPEC is `gunicorn` or `granian`, optionally followed by `:` and more command-line options of that
server, e.g. `gunicorn:--worker-class sync`, `granian:--blocking-threads 4 --backpressure 8`.
gunicorn runs with gunicorn.conf.py (gthread, 2 workers x 4 threads, access log); granian with
`--interface wsgi --workers 2 --no-ws` (no access log unless `--access-log` is given).
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import orthanc  # noqa: E402
from bench.client import check_status, multipart, request  # noqa: E402
from bench.measure import throughput  # noqa: E402
from bench.ports import free_port, stop_process, wait_until  # noqa: E402
from bench.run import ALL_METADATA, GUIDE_FIELDS, MR_SMALL, interleaved, ours  # noqa: E402
from bench.service import running_service  # noqa: E402

APPS = {"bare": "bench.gunicorn_floor:app", "ours": "config.wsgi:application"}
DEFAULT_SERVERS = ("gunicorn", "granian")


@dataclass
class Server:
    process: subprocess.Popen
    port: int


def server_command(spec: str, app: str):
    """command(port) for a SPEC; the bare app must answer GET / and our service GET /healthz."""
    name, _, extra = spec.partition(":")
    options = shlex.split(extra)
    if name == "gunicorn":
        module = app.removesuffix(":application")  # gunicorn's own spelling of config.wsgi
        return lambda port: [sys.executable, "-m", "gunicorn", module, "-c", "gunicorn.conf.py", *options]
    if name == "granian":
        return lambda port: [sys.executable, "-m", "granian", "--interface", "wsgi", app, "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "2", "--no-ws", "--log-level", "warning", *options]
    raise SystemExit(f"unknown server {name!r}: gunicorn or granian")


@contextmanager
def bare_service(workdir: Path, command) -> Iterator[Server]:
    """The bare app (no Django, no database), started as the service is."""
    port = free_port()
    with open(workdir / "server.log", "wb") as log:
        process = subprocess.Popen(command(port), cwd=REPO, env={**os.environ, "HOST": "127.0.0.1", "PORT": str(port)},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: request(port, "GET", "/", timeout=2).status == 200, timeout=60, what=str(command(port)),
                       alive=lambda: process.poll() is None)
            yield Server(process, port)
        finally:
            stop_process(process)


def bare_job(port: int, body: bytes, headers: dict):
    def job() -> None:
        check_status(request(port, "POST", "/api/dicom/read/file/", body, headers), 200, "bare app")
    return job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=MR_SMALL)
    parser.add_argument("--server", action="append", dest="servers", metavar="SPEC",
                        help=f"a server to measure, repeatable (default: {' and '.join(DEFAULT_SERVERS)})")
    parser.add_argument("--app", choices=("bare", "ours", "both"), default="both")
    parser.add_argument("--orthanc", action="store_true", help="Orthanc's upload + rendered PNG in the same turns")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=6.0, help="per contender, in 1 s turns")
    args = parser.parse_args(argv)
    specs = args.servers or list(DEFAULT_SERVERS)
    apps = ("bare", "ours") if args.app == "both" else (args.app,)
    data = args.file.read_bytes()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="dicom-servers-") as tmp, ExitStack() as stack:
        contenders = {}
        for app in apps:
            for index, spec in enumerate(specs):
                workdir = Path(tmp) / f"{app}-{index}"
                workdir.mkdir()
                command = server_command(spec, APPS[app])
                if app == "bare":
                    service = stack.enter_context(bare_service(workdir, command))
                    body, content_type = multipart(GUIDE_FIELDS, {"file": (args.file.name, data)})
                    headers = {"Content-Type": content_type, "Authorization": "ApiKey prefix.secret"}
                    contenders[f"{spec} | bare"] = (bare_job(service.port, body, headers), service.process.pid)
                    continue
                service = stack.enter_context(running_service(workdir, command=command))
                for label, fields in (("fields", GUIDE_FIELDS), ("all", ALL_METADATA)):
                    mine = ours(service, args.file, fields, 1)
                    contenders[f"{spec} | ours {label}"] = (lambda mine=mine: mine.after(mine.run()),
                                                            service.process.pid)
        if args.orthanc:
            binary = orthanc.orthanc_binary()
            if binary is None:
                raise SystemExit("Orthanc is not installed")
            server = stack.enter_context(orthanc.running_orthanc(Path(tmp) / "orthanc", binary))
            orthanc.upload(server.port, data)  # stored once, untimed (bench/README.md)

            def orthanc_job() -> None:
                _, replies = orthanc.upload_and_render(server.port, data, 1, "png", 1)
                orthanc.check_rendered(replies, 1, "png")

            contenders["orthanc"] = (orthanc_job, server.process.pid)
        for job, _ in contenders.values():  # warm-up, untimed: every worker has loaded the code
            throughput(job, args.clients, 2.0)
        results = interleaved(contenders, args.clients, args.seconds, max(1, round(args.seconds)))
    print(f"{args.file.name}, {args.clients} clients, {args.seconds:g} s each in 1 s turns "
          f"(load {load_start:.2f} -> {os.getloadavg()[0]:.2f})")
    reference = results.get("orthanc", {}).get("per_second")
    width = max(len(name) for name in results)
    for name, figures in results.items():
        versus = f"  {figures['per_second'] / reference:.2f}x Orthanc" if reference and name != "orthanc" else ""
        failed = f"  {figures['failed']} failed: {figures['first_failure']}" if figures["failed"] else ""
        print(f"{name:<{width}}  {figures['per_second']:8.1f} req/s  CPU {figures['server_cpu_ms_per_request']:6.2f} "
              f"ms/req (clients {figures['client_cpu_ms_per_request']:.2f}){versus}{failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
