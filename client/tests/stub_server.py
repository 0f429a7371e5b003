"""A scripted HTTP server for what the real one cannot be made to do on cue: 503s with
Retry-After, a login throttle, a dropped connection, and job states a real worker does not reach
on cue (failed, results asked too early, several pages). Each request takes the next scripted reply for its
method and path; every request is recorded with the time it arrived."""

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DROP = "drop"  # a scripted reply that closes the connection without answering


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | list | str = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "application/json"
        return self.body, self.headers.get("Content-Type", "application/octet-stream")


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class StubServer:
    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], deque] = defaultdict(deque)
        self.received: list[Received] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.received.append(Received(self.command, self.path, dict(self.headers), body, time.monotonic()))
                queue = stub.replies.get((self.command, self.path.split("?")[0]))
                reply = queue.popleft() if queue else Reply(404, {"error": "Not scripted."})
                if reply == DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                content, content_type = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                for name, value in reply.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def script(self, method: str, path: str, *replies) -> None:
        self.replies[(method, path)].extend(replies)

    def calls(self, method: str, path: str) -> list[Received]:
        return [call for call in self.received if call.method == method and call.path.split("?")[0] == path]

    def __enter__(self) -> "StubServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
