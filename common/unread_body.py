"""Answers given before the request body was read (401, 413, 429) reach a client that is still
sending, every time.

Under gunicorn a refused upload's body stays unread. gunicorn announces keep-alive, drains at most
64 KiB after the answer and, past that, closes the connection the client was told it could reuse:
the client's next request meets a closed connection (`RemoteDisconnected`), and a close with
unread bytes in the receive buffer makes the kernel send a reset, which can cut the answer itself.

So before the answer is sent, the rest of the body is read and dropped, up to
UNREAD_BODY_DRAIN_BYTES within UNREAD_BODY_SECONDS: the connection then stays usable. A larger or
slower body gets the answer with `Connection: close`, then the server half-closes and lingers,
dropping up to UNREAD_BODY_LINGER_BYTES more within UNREAD_BODY_SECONDS, until the client, done
sending, reads the answer and closes. Past both bounds the connection is reset: an oversized
upload never makes the server read gigabytes.
"""

import socket
import time
from collections.abc import Callable, Iterable

from django.conf import settings

READ_SIZE = 1 << 20


def discard(read: Callable[[int], bytes], sock: socket.socket, max_bytes: int, seconds: float) -> bool:
    """Reads and drops data until `read` returns b"" (True), or until max_bytes or the time is
    spent or the client is gone (False)."""
    deadline = time.monotonic() + seconds
    prior_timeout = sock.gettimeout()
    discarded = 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            sock.settimeout(remaining)
            data = read(READ_SIZE)
            if not data:
                return True
            discarded += len(data)
            if discarded > max_bytes:
                return False
    except OSError:  # a timeout, a reset, or gunicorn's NoMoreData (the client stopped mid-body)
        return False
    finally:
        try:
            sock.settimeout(prior_timeout)
        except OSError:  # the socket is already closed
            pass


class LingeringClose:
    """The answer's body; once gunicorn has written all of it (and calls close), the server
    half-closes the connection and drops what the client is still sending until it closes."""

    def __init__(self, body: Iterable[bytes], sock: socket.socket):
        self.body = body
        self.sock = sock

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        if hasattr(self.body, "close"):
            self.body.close()
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:  # the client is gone already
            return
        if not discard(self.sock.recv, self.sock, settings.UNREAD_BODY_LINGER_BYTES, settings.UNREAD_BODY_SECONDS):
            # Past the bounds the connection is reset. Shutting the read side makes gunicorn's own
            # graceful close (its worker's main loop, which serves every connection) end at once
            # instead of waiting up to 2 s more for this client.
            try:
                self.sock.shutdown(socket.SHUT_RD)
            except OSError:  # the client is gone already
                pass


class DrainUnreadBody:
    """WSGI middleware: see the module's docstring. Outside gunicorn (tests' client) it does nothing."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        has_body = environ.get("CONTENT_LENGTH", "0") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ
        if sock is None or not has_body:
            return self.app(environ, start_response)
        drained = True

        def start_response_once_drained(status, headers, exc_info=None):
            nonlocal drained
            drained = discard(
                environ["wsgi.input"].read, sock, settings.UNREAD_BODY_DRAIN_BYTES, settings.UNREAD_BODY_SECONDS
            )
            if not drained:
                # gunicorn's start_response is a method of its Response: force_close makes the
                # answer say `Connection: close` (an application may not set that header itself).
                start_response.__self__.force_close()
            return start_response(status, headers, exc_info)

        body = self.app(environ, start_response_once_drained)
        return body if drained else LingeringClose(body, sock)
