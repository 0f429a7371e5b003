"""Free TCP ports on 127.0.0.1, waiting for a server to answer, stopping it."""

import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def can_bind_localhost() -> bool:
    try:
        free_port()
    except OSError:
        return False
    return True


def wait_until(ready: Callable[[], bool], timeout: float, what: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} exited while starting")
        try:
            if ready():
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {timeout:g} s")


STOP_TIMEOUT = 30


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (a gunicorn master stops its workers), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
