"""Our service, started the production way: gunicorn with gunicorn.conf.py, DEBUG off, a throwaway
SQLite database, 127.0.0.1 on a free port; and an API key obtained through HTTP like a developer."""

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.client import check_status, post_json, request
from bench.processes import children
from bench.ports import free_port, stop_process, wait_until

REPO = Path(__file__).resolve().parents[1]
READ_PATH = "/api/dicom/read/file/"
# The production server: gunicorn with gunicorn.conf.py (which reads HOST and PORT from the environment).
GUNICORN = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"]


@dataclass
class Service:
    process: subprocess.Popen
    port: int
    api_key: str

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)


def service_env(workdir: Path, port: int, database_url: str = "", overrides: dict[str, str] | None = None) -> dict[str, str]:
    """A throwaway SQLite file in `workdir`, unless `database_url` names another database;
    `overrides` replaces any of these variables (a quota, a limit)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DEBUG="false",
        SQLITE_PATH=str(workdir / "bench.sqlite3"),
        DATABASE_URL=database_url,
        QUOTA_READ_FILE="100000000",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides or {})
    return env


@contextmanager
def running_service(workdir: Path, database_url: str = "", overrides: dict[str, str] | None = None,
                    command: Callable[[int], list[str]] = lambda port: GUNICORN) -> Iterator[Service]:
    """`command(port)`: the server's command line (bench/servers.py measures other servers)."""
    port = free_port()
    env = service_env(workdir, port, database_url, overrides)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=REPO, env=env, check=True,
        stdout=subprocess.DEVNULL,
    )
    with open(workdir / f"gunicorn-{port}.log", "wb") as log:  # several services may share a folder
        process = subprocess.Popen(
            command(port),
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: request(port, "GET", "/healthz", timeout=2).status == 200,
                timeout=60, what="gunicorn", alive=lambda: process.poll() is None,
            )
            yield Service(process, port, create_api_key(port))
        finally:
            stop_process(process)


def create_api_key(port: int) -> str:
    """register -> token -> developer profile -> API key, as the usage guide has a developer do."""
    credentials = {"email": f"bench-{secrets.token_hex(4)}@example.com", "password": secrets.token_urlsafe(16)}
    check_status(post_json(port, "/api/register/", credentials), 201, "register")
    access = check_status(post_json(port, "/api/token/", credentials), 200, "token").json()["access"]
    bearer = {"Authorization": f"Bearer {access}"}
    profile = {"purpose": "benchmark", "organization": "bench"}
    check_status(post_json(port, "/api/developer/profiles/", profile, bearer), 201, "developer profile")
    reply = check_status(post_json(port, "/api-keys/", {"name": "bench"}, bearer), 201, "API key")
    return reply.json()["key"]
