"""Answers given before the body is read (401, 413, 429), through gunicorn, to a client that keeps
its connection open as every SDK does: each one arrives as JSON, never as a connection error."""

import json
import os
import socket
import tempfile
import threading
from pathlib import Path

import pytest
import requests

from bench.ports import can_bind_localhost
from bench.service import READ_PATH, running_service

pytestmark = pytest.mark.skipif(not can_bind_localhost(), reason="cannot bind a port on 127.0.0.1")

GENERATE_PATH = "/api/dicom/generate/"
MAX_UPLOAD_BYTES = 64 * 1024
DRAIN_BYTES = 1024 * 1024
LINGER_BYTES = 16 * 1024 * 1024
CALLS = 100
# From 100 KB to 5 MB, geometrically: bodies dropped before the answer (the connection is kept)
# and bodies past UNREAD_BODY_DRAIN_BYTES (answered with `Connection: close`, then lingered on).
BODY_SIZES = [round(100_000 * 50 ** (i / (CALLS - 1))) for i in range(CALLS)]


@pytest.fixture(scope="module")
def service():
    overrides = {
        "QUOTA_READ_FILE": "0",  # every read is refused with 429
        "QUOTA_GENERATE": "1000000",
        "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),  # every generate upload here is refused with 413
        "UNREAD_BODY_DRAIN_BYTES": str(DRAIN_BYTES),
        "UNREAD_BODY_LINGER_BYTES": str(LINGER_BYTES),
    }
    with tempfile.TemporaryDirectory() as workdir, running_service(Path(workdir), overrides=overrides) as running:
        yield running


@pytest.mark.parametrize(
    ("status", "path", "field", "valid_key"),
    [(401, READ_PATH, "file", False), (429, READ_PATH, "file", True), (413, GENERATE_PATH, "image", True)],
)
def test_early_answers_reach_a_keep_alive_client_as_json(service, status, path, field, valid_key):
    key = service.api_key if valid_key else "nokey.nosecret"
    headers = {"Authorization": f"ApiKey {key}"}
    url = f"http://127.0.0.1:{service.port}{path}"
    payload = os.urandom(BODY_SIZES[-1])
    connection_headers = set()
    with requests.Session() as session:
        for size in BODY_SIZES:
            reply = session.post(url, files={field: ("upload.bin", payload[:size])}, headers=headers, timeout=30)
            assert reply.status_code == status, (size, reply.text[:200])
            assert reply.headers["Content-Type"] == "application/json"
            assert reply.json()["error"]
            connection_headers.add((size > DRAIN_BYTES, reply.headers["Connection"]))
    # Small bodies were dropped before answering and the connection kept; the others closed.
    assert connection_headers == {(False, "keep-alive"), (True, "close")}


def test_an_endless_oversized_upload_is_refused_after_a_bounded_read(service):
    """A client that streams a declared 10 GB: the 413 comes back and the server stops reading
    after its bounds (plus what the kernels buffer), never the whole body."""
    sock = socket.create_connection(("127.0.0.1", service.port), timeout=30)
    head = (
        f"POST {GENERATE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ApiKey {service.api_key}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {10 ** 10}\r\n\r\n"
    )
    sent = 0

    def send_until_refused():
        nonlocal sent
        chunk = b"\0" * (1 << 20)
        try:
            sock.sendall(head.encode())
            while sent < 1 << 30:  # a bound for the test itself: the server must stop far earlier
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server closed the connection: what this test waits for
            pass

    sender = threading.Thread(target=send_until_refused)
    sender.start()
    reply = b""
    try:
        while chunk := sock.recv(65536):
            reply += chunk
    except ConnectionResetError:  # the reset after the lingering read: the answer came before it
        pass
    sender.join(timeout=60)
    sock.close()
    status_line, _, rest = reply.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"Connection: close" in headers
    assert "larger than the limit" in json.loads(body)["error"]
    assert sent < DRAIN_BYTES + LINGER_BYTES + 64 * (1 << 20)
