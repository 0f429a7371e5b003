"""HTTP on the standard library: one request per connection, and a tiny multipart encoder."""

import http.client
import json
import uuid
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 300) -> Reply:
    """A fresh connection for each request: nothing stale to retry, and what a simple client does."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.read())
    finally:
        connection.close()


def post_json(port: int, path: str, payload: dict, headers: dict | None = None) -> Reply:
    body = json.dumps(payload).encode()
    return request(port, "POST", path, body, {"Content-Type": "application/json", **(headers or {})})


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request; files maps field -> (file name, bytes)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (file_name, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def check_status(reply: Reply, expected: int, what: str) -> Reply:
    if reply.status != expected:
        raise RuntimeError(f"{what}: HTTP {reply.status}: {reply.body[:300]!r}")
    return reply
