"""The client's tests drive a real server: the repository's service started the production way
(gunicorn and a Celery job worker, a throwaway SQLite database, a key made through HTTP), by the
repository's own bench helpers. Only the retry timings use a stub server (stub_server.py)."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus"
PASSWORD = "correct-horse-battery-staple-42"
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # small, so that a 413 is cheap to provoke
GENERATE_QUOTA = 20  # small, so that a monthly quota refusal is cheap to provoke

sys.path.insert(0, str(REPO))  # the server's bench helpers start it
from bench.celery_workers import running_workers  # noqa: E402
from bench.service import running_service, service_env  # noqa: E402

from dicom_api_client import Client  # noqa: E402


@pytest.fixture(scope="session")
def server():
    """gunicorn and one job worker, as `make run` starts them: the filesystem broker and the job
    storage in this session's folder."""
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        overrides = {
            "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            "QUOTA_GENERATE": str(GENERATE_QUOTA),
            "CELERY_BROKER_URL": "filesystem://",
            "BROKER_FOLDER": str(workdir / "broker"),
            "JOB_STORAGE_DIR": str(workdir / "job-storage"),
        }
        with running_service(workdir, overrides=overrides) as service:
            with running_workers(1, service_env(workdir, service.port, overrides=overrides), workdir):
                yield service


@pytest.fixture(scope="session")
def base_url(server) -> str:
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="session")
def api_key(server) -> str:
    return server.api_key


@pytest.fixture
def client(base_url, api_key):
    with Client(api_key, base_url=base_url) as client:
        yield client


@pytest.fixture
def stub():
    """The scripted stub server (stub_server.py), for what the real server cannot do on cue."""
    from stub_server import StubServer

    with StubServer() as server:
        yield server


@pytest.fixture
def stub_client(stub):
    with Client("prefix.secret", base_url=stub.url) as client:
        yield client


_accounts = iter(range(1, 10_000))


@pytest.fixture
def new_developer(base_url):
    """A fresh developer, logged in, with a profile and a key: (client with token and key, email)."""
    client = Client(base_url=base_url)
    email = f"client-test-{next(_accounts)}-{os.getpid()}@example.com"
    client.register(email, PASSWORD)
    client.login(email, PASSWORD)
    client.create_profile("testing", "Client tests")
    key = client.create_key("tests")
    keyed = Client(key.key, base_url=base_url, token=client.token)
    client.close()
    yield keyed, key
    keyed.close()


def png_bytes(width: int, height: int, gray: bool = True) -> bytes:
    """A PNG made with the standard library (the client has no imaging dependency)."""
    import struct
    import zlib

    channels = 1 if gray else 3
    rows = b"".join(
        b"\x00" + bytes(((x * 7 + y * 13 + c * 50) % 256) for x in range(width) for c in range(channels))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0 if gray else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
