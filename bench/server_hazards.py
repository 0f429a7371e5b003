#!/usr/bin/env python
"""What a WSGI server does with the requests that hurt (issue 14, before any change of server): a
large request body read by the app in 1 MiB chunks (streamed to the app, or buffered whole?), a
large streamed answer read at once and read by a client that stalls (bounded in memory?), the
requests the server refuses itself (in what format?), and slow clients (do they hold the normal
requests?). Prints the server's RSS (its whole process tree, sampled every 10 ms) and the answers.

    .venv/bin/python bench/server_hazards.py [--server SPEC ...] [--megabytes 500]

SPEC as in bench/servers.py (`gunicorn`, `granian:--blocking-threads 4`, ...), default gunicorn and
granian. The app served is this module's `app`, not the service: the server's behaviour alone.
"""

import argparse
import json
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.processes import PeakRssSampler, tree_kb  # noqa: E402
from bench.servers import bare_service, server_command  # noqa: E402

MIB = 1 << 20
CHUNK = b"x" * MIB


def app(environ, start_response):
    """POST /upload: reads the body 1 MiB at a time, answers its length and when the first chunk
    came (monotonic); GET /stream?mb=N: N chunks of 1 MiB from a generator; GET /: {}."""
    path = environ["PATH_INFO"]
    if path == "/upload":
        first, total, stream = None, 0, environ["wsgi.input"]
        while chunk := stream.read(MIB):
            first = first or time.monotonic()
            total += len(chunk)
        body = json.dumps({"bytes": total, "first_chunk_at": first}).encode()
    elif path == "/stream":
        megabytes = int(parse_qs(environ.get("QUERY_STRING", ""))["mb"][0])
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(megabytes * MIB))])
        return (CHUNK for _ in range(megabytes))
    else:
        body = b"{}"
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def connect(port: int, timeout: float = 60, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return sock


def read_reply(sock: socket.socket) -> tuple[str, bytes]:
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return head.decode("latin1"), body


def raw(port: int, payload: bytes) -> tuple[str, bytes]:
    with connect(port, 10) as sock:
        sock.sendall(payload)
        try:
            return read_reply(sock)
        except OSError as exc:  # reset by the server
            return f"<{type(exc).__name__}: {exc}>", b""


def megabytes(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def upload(port: int, pid: int, size: int) -> str:
    """POST `size` MiB, the sender pausing 2 s halfway: the app's first chunk before the pause
    means the body is streamed to it; the tree's peak RSS says what was held."""
    before = tree_kb(pid)
    with PeakRssSampler([pid]) as sampler, connect(port, 120) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % (size * MIB))
        for index in range(size):
            if index == size // 2:
                paused = time.monotonic()
                time.sleep(2)
            sock.sendall(CHUNK)
        head, body = read_reply(sock)
    answer = json.loads(body)
    when = "before" if answer["first_chunk_at"] < paused else "after"
    return (f"{head.splitlines()[0]}, {answer['bytes'] // MIB} MiB read; the app's first chunk {when} the "
            f"halfway pause; peak RSS {megabytes(sampler.peak_kb[pid])} (before {megabytes(before)})")


def download(port: int, pid: int, size: int, stall: float) -> str:
    """GET `size` MiB streamed; the client reads 1 MiB, then stalls `stall` s (a small receive
    buffer), then reads the rest: a server that keeps pulling the generator holds it all."""
    before = tree_kb(pid)
    with PeakRssSampler([pid]) as sampler, connect(port, 120, receive_buffer=64 * 1024) as sock:
        sock.sendall(b"GET /stream?mb=%d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % size)
        received = len(sock.recv(MIB))
        time.sleep(stall)
        stalled_peak = sampler.peak_kb[pid]
        while chunk := sock.recv(MIB):
            received += len(chunk)
    return (f"{received // MIB} MiB received (headers included); peak RSS during the {stall:g} s stall "
            f"{megabytes(stalled_peak)}, overall {megabytes(sampler.peak_kb[pid])} (before {megabytes(before)})")


def refused(port: int) -> list[str]:
    head = b"Host: 127.0.0.1\r\nConnection: close\r\n"  # an accepted request is answered, then closed
    cases = {
        "request line of 10 kB": b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n" + head + b"\r\n",
        "request line of 100 kB": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n" + head + b"\r\n",
        "header line without a colon": b"GET / HTTP/1.1\r\n" + head + b"Bad Header\r\n\r\n",
        "one header of 100 kB": b"GET / HTTP/1.1\r\n" + head + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        "one header of 1 MB": b"GET / HTTP/1.1\r\n" + head + b"X-Big: " + b"a" * 1_000_000 + b"\r\n\r\n",
        "1000 headers": b"GET / HTTP/1.1\r\n" + head + b"".join(b"X-%d: a\r\n" % i for i in range(1000)) + b"\r\n",
        "not HTTP": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
        "Content-Length not a number": b"POST /upload HTTP/1.1\r\n" + head + b"Content-Length: ab\r\n\r\n",
    }
    lines = []
    for name, payload in cases.items():
        head, body = raw(port, payload)
        status = head.splitlines()[0] if head else "<closed, no answer>"
        content_type = next((line.split(":", 1)[1].strip() for line in head.splitlines()
                             if line.lower().startswith("content-type:")), "-")
        lines.append(f"{name}: {status}; Content-Type {content_type}; body {body[:60]!r}")
    return lines


def slow_clients(port: int, count: int, kind: str) -> str:
    """`count` clients hold a request open (a body trickling in, or an answer of 64 MiB not read)
    while a normal client asks GET /: its latency."""
    socks = []
    try:
        for _ in range(count):
            sock = connect(port, 30, receive_buffer=64 * 1024)
            if kind == "body":
                sock.sendall(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{")
            else:
                sock.sendall(b"GET /stream?mb=64 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            socks.append(sock)
        for _ in range(4):
            if kind == "body":
                for sock in socks:
                    sock.sendall(b" ")
            time.sleep(0.25)
        started = time.monotonic()
        try:
            head, _ = raw(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            outcome = head.splitlines()[0] if head else "closed"
        except TimeoutError:
            outcome = "timed out"
        return f"{count} slow ({kind}): GET / {outcome} in {time.monotonic() - started:.2f} s"
    finally:
        for sock in socks:
            sock.close()


def concurrent_uploads(port: int, pid: int, clients: int, size: int) -> str:
    """`clients` uploads of `size` MiB at once: the tree's peak RSS."""
    before = tree_kb(pid)
    with PeakRssSampler([pid]) as sampler, ThreadPoolExecutor(clients) as pool:
        def one(_: int) -> int:
            with connect(port, 120) as sock:
                sock.sendall(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n" % (size * MIB))
                for _ in range(size):
                    sock.sendall(CHUNK)
                return json.loads(read_reply(sock)[1])["bytes"]
        done = sum(pool.map(one, range(clients)))
    return (f"{clients} x {size} MiB uploads at once: {done // MIB} MiB read, peak RSS "
            f"{megabytes(sampler.peak_kb[pid])} (before {megabytes(before)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", dest="servers", metavar="SPEC")
    parser.add_argument("--megabytes", type=int, default=500)
    args = parser.parse_args(argv)
    for spec in args.servers or ["gunicorn", "granian"]:
        with tempfile.TemporaryDirectory(prefix="dicom-hazards-") as tmp, ExitStack() as stack:
            server = stack.enter_context(bare_service(Path(tmp), server_command(spec, "bench.server_hazards:app")))
            port, pid = server.port, server.process.pid
            print(f"== {spec}")
            print(f"upload: {upload(port, pid, args.megabytes)}")
            print(f"concurrent: {concurrent_uploads(port, pid, 4, args.megabytes // 4)}")
            print(f"download read at once: {download(port, pid, args.megabytes, 0)}")
            print(f"download, stalled client: {download(port, pid, args.megabytes, 5)}")
            for line in refused(port):
                print(f"refused: {line}")
            for count in (1, 2, 8, 32):
                for kind in ("body", "answer"):
                    print(f"slow clients: {slow_clients(port, count, kind)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
