"""The service as production runs it (gunicorn with gunicorn.conf.py): what gunicorn answers
itself, and slow clients."""

import json
import socket
import tempfile
import time
from pathlib import Path

import pytest

from bench.ports import can_bind_localhost
from bench.service import running_service

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
