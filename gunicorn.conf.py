"""gunicorn settings for `make run` and production; each can be overridden by environment variables.

Measured on 2 cores with the bench's 4 clients (bench/README.md): 2 workers x 2 threads served as
many small reads as 2 x 4 and more than 3 or 4 workers (the work is CPU-bound Python: one worker a
core). 4 threads it is: a worker hands each connection to its own threads, so with 2 a pair of
slow clients landing on one worker held every request sent to it (tests/common/test_gunicorn.py);
a worker then holds at most 4 large answers at once in memory. A worker renders native
pixel data itself and sends encapsulated frames to its own 2 render processes
(dicom_core/render/isolated.py), so one request's frames use both cores.
"""

import ctypes
import ctypes.util
import gc
import json
import multiprocessing
import os

from gunicorn import util as gunicorn_util

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"
# Threaded workers: a slow client holds one thread, not a whole worker process.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
# The application is imported once, in the master: a worker forked from it starts warm. A worker
# recycled (max_requests, to bound memory growth) then costs a fork, not ~1 s of imports: with
# imports per worker, recycling took a third of the CPU of 4 clients reading small files.
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))
accesslog = "-"
# No query strings in the access log: they may carry DICOM keywords and values.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# glibc gives each thread that allocates its own malloc arena (up to 8 per core), each keeping
# what it freed. glibc reads MALLOC_ARENA_MAX when a program starts, so the environment reaches
# the render processes (spawned: they exec); the workers (forked from this running master) get
# the same limit through mallopt.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
os.environ.setdefault("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
GLIBC = hasattr(LIBC, "mallopt") and hasattr(LIBC, "malloc_trim")  # not on musl

# An answer of tens of MB (every frame of a cine as base64) is held by objects in reference cycles
# of the request, freed only by a full collection; then glibc returns the freed pages. Without
# this a worker kept ~27 MB more after each such answer until the collector ran (500 MB after 8).
LARGE_ANSWER_BYTES = 1 << 20


def pre_fork(server, worker) -> None:
    """Everything the master holds (the preloaded application: ~180,000 objects) is left out of the
    collector's work: a worker's collections then scan only what it made, and do not write to
    the master's pages (each write copies a page the fork shared). ~5% of a small read's CPU."""
    gc.freeze()


def post_fork(server, worker) -> None:
    if GLIBC:
        LIBC.mallopt(M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))


def post_request(worker, req, environ, resp) -> None:
    if resp.sent > LARGE_ANSWER_BYTES:
        gc.collect()
        if GLIBC:
            LIBC.malloc_trim(0)


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """The requests gunicorn refuses itself (an over-long request line, a malformed header) are
    answered in JSON like every other error of the service, not with gunicorn's HTML page."""
    body = json.dumps({"error": f"{reason}: {mesg[:200]}"}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn_util.write_nonblock(sock, head.encode("latin1") + body)


gunicorn_util.write_error = write_json_error  # looked up at call time by gunicorn's workers
