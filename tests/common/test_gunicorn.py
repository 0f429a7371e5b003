"""The service as production runs it (gunicorn with gunicorn.conf.py): what gunicorn answers
itself, and slow clients."""

import gc
import json
import os
import runpy
import socket
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from bench.client import multipart, post_json, request
from bench.ports import can_bind_localhost
from bench.service import READ_PATH, running_service
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not can_bind_localhost(), reason="cannot bind a port on 127.0.0.1")


@pytest.fixture(scope="module")
def service():
    with tempfile.TemporaryDirectory() as workdir, running_service(Path(workdir)) as running:
        yield running


def raw_request(port: int, payload: bytes) -> tuple[str, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.decode("latin1"), body


def open_files(pid: int) -> list[str]:
    paths = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            paths.append(os.readlink(fd))
        except OSError:  # closed since the listing
            continue
    return paths


def test_requests_gunicorn_refuses_itself_are_answered_in_json(service):
    head, body = raw_request(service.port, b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert head.startswith("HTTP/1.1 414")
    assert "Content-Type: application/json" in head
    assert json.loads(body)["error"]
    head, body = raw_request(service.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n")
    assert head.startswith("HTTP/1.1 400") and json.loads(body)["error"]


def test_two_slow_clients_do_not_hold_a_normal_request(service):
    slow = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", service.port), timeout=30)
        sock.sendall(b"POST /api/register/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        slow.append(sock)
    try:
        for _ in range(4):  # the slow bodies trickle in while a normal client asks
            for sock in slow:
                sock.sendall(b" ")
            time.sleep(0.25)
        started = time.monotonic()
        head, body = raw_request(service.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert head.startswith("HTTP/1.1 200") and json.loads(body)["status"] == "ok"
        assert time.monotonic() - started < 10  # a liveness bound: held, it would wait for the slow bodies
    finally:
        for sock in slow:
            sock.close()


def test_the_master_preloads_the_app_so_forked_workers_start_warm(service):
    # numpy is imported by the views only: mapped in the master, the whole app was imported there
    maps = Path(f"/proc/{service.process.pid}/maps").read_text()
    assert "_multiarray_umath" in maps
    # ...without a database connection, which every forked worker would share
    assert not [path for path in open_files(service.process.pid) if ".sqlite3" in path]


def test_a_worker_keeps_its_database_connection_between_requests(service):
    for _ in range(4):
        head, _ = raw_request(service.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert head.startswith("HTTP/1.1 200")
    worker_files = [path for pid in service.worker_pids() for path in open_files(pid)]
    assert any(path.endswith(".sqlite3") for path in worker_files)  # SQLite, as service_env sets


def test_a_deleted_key_is_refused_on_the_very_next_request_by_every_worker(service):
    credentials = {"email": f"revoke-{uuid.uuid4().hex[:8]}@example.com", "password": uuid.uuid4().hex}
    assert post_json(service.port, "/api/register/", credentials).status == 201
    bearer = {"Authorization": f"Bearer {post_json(service.port, '/api/token/', credentials).json()['access']}"}
    assert post_json(service.port, "/api/developer/profiles/", {"purpose": "test", "organization": "test"}, bearer).status == 201
    created = post_json(service.port, "/api-keys/", {"name": "soon deleted"}, bearer).json()
    body, content_type = multipart({"images": "false"}, {"file": ("MR_small.dcm", (CORPUS / "MR_small.dcm").read_bytes())})
    headers = {"Content-Type": content_type, "Authorization": f"ApiKey {created['key']}"}

    def statuses(count: int) -> set[int]:  # fresh connections from 4 threads: both workers answer
        with ThreadPoolExecutor(4) as pool:
            return set(pool.map(lambda _: request(service.port, "POST", READ_PATH, body, headers).status, range(count)))

    assert statuses(40) == {200}
    assert request(service.port, "DELETE", f"/api-keys/delete/{created['id']}/", headers=bearer).status == 204
    assert statuses(40) == {401}


def test_recycled_workers_answer_reads(monkeypatch):
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "3")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS_JITTER", "0")
    data = (CORPUS / "MR_small.dcm").read_bytes()
    with tempfile.TemporaryDirectory() as workdir, running_service(Path(workdir)) as recycling:
        first_workers = set(recycling.worker_pids())
        body, content_type = multipart({}, {"file": ("MR_small.dcm", data)})
        headers = {"Content-Type": content_type, "Authorization": f"ApiKey {recycling.api_key}"}
        for _ in range(12):
            reply = request(recycling.port, "POST", READ_PATH, body, headers)
            assert reply.status == 200 and len(reply.json()["Images"]) == 1
        assert not first_workers & set(recycling.worker_pids())


@pytest.fixture
def postgresql_database():
    """A fresh PostgreSQL database beside the test database (CI's server), dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")
    import psycopg

    settings = connection.settings_dict
    name = f"dicom_api_gunicorn_{uuid.uuid4().hex[:8]}"
    server = {"host": settings["HOST"], "port": settings["PORT"] or 5432, "user": settings["USER"],
              "password": settings["PASSWORD"], "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            user = f"{settings['USER']}:{settings['PASSWORD']}" if settings["PASSWORD"] else settings["USER"]
            yield admin, name, f"postgres://{user}@{server['host']}:{server['port']}/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_connections_the_database_dropped_are_replaced_without_an_error(postgresql_database):
    """A restart, a failover or an idle timeout ends the connections the workers keep: the next
    request on each must open a new one (CONN_HEALTH_CHECKS), not answer 500."""
    admin, name, url = postgresql_database
    data = (CORPUS / "MR_small.dcm").read_bytes()
    with tempfile.TemporaryDirectory() as workdir, running_service(Path(workdir), url) as on_postgresql:
        body, content_type = multipart({"images": "false"}, {"file": ("MR_small.dcm", data)})
        headers = {"Content-Type": content_type, "Authorization": f"ApiKey {on_postgresql.api_key}"}

        def statuses() -> list[int]:
            with ThreadPoolExecutor(8) as clients:  # reach every worker thread, each with its connection
                replies = clients.map(lambda _: request(on_postgresql.port, "POST", READ_PATH, body, headers), range(16))
                return [reply.status for reply in replies] + [request(on_postgresql.port, "GET", "/healthz").status]

        assert set(statuses()) == {200}
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone()[0]
        assert ended >= 1
        assert set(statuses()) == {200}


def test_the_master_leaves_its_objects_out_of_the_workers_collections():
    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    gc.unfreeze()
    try:
        config["pre_fork"](None, None)  # what gunicorn's master calls before forking each worker
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
