#!/usr/bin/env python
"""The CPU of each piece of a read request, in-process (CPU clock, best of 3 runs of N calls):
the API-key lookup (and the ORM lookup it replaced), Django's multipart parsing of the upload,
the quota statement (and the read lane's, which re-checks a remembered key), the read options
(ReadRequestSerializer built and validated), the JSON encoding of the metadata, the read and its
answer with the images made (the guide's fields, all metadata), and the whole request through the
WSGI application (no gunicorn, no sockets: the guide's request takes the read's direct lane).

    .venv/bin/python bench/pieces.py [--calls N] [FILE ...]   # default ../shared/corpus/{CT,MR}_small.dcm
    .venv/bin/python bench/pieces.py --profile [FILE ...]     # cProfile of the whole request instead

A throwaway SQLite database (migrated) holds one developer and key, as in `make bench`.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO / ".." / "shared" / "corpus"
GUIDE_FIELDS = ("PatientName", "StudyDate", "Modality")


def cpu_microseconds(function, calls: int) -> float:
    function()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(calls):
            function()
        best = min(best, (time.process_time() - started) / calls * 1e6)
    return best


def pieces(path: Path, key: str, profile) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.files.uploadhandler import load_handler
    from django.http import HttpRequest
    from django.http.multipartparser import MultiPartParser

    from bench.client import multipart
    from config.wsgi import application
    from developers.authentication import remembered_api_key, usable_api_key
    from developers.models import DeveloperAPIKey
    from dicom_api.serializers import ReadRequestSerializer
    from dicom_api.answer import read_answer_chunks
    from dicom_api.streaming import json_chunks
    from dicom_core.limits import Limits
    from dicom_core.read import ReadOptions, read_file
    from usage.services import usage_consume, usage_consume_with_key

    data = path.read_bytes()
    body, content_type = multipart({"fields": ",".join(GUIDE_FIELDS), "return_format": "png"}, {"file": (path.name, data)})
    guide, everything = ReadOptions(fields=GUIDE_FIELDS, isolated=False), ReadOptions(isolated=False)
    answer = read_file(data, ReadOptions(fields=GUIDE_FIELDS, images=False), Limits()).metadata

    def orm_key_lookup() -> None:
        api_key = DeveloperAPIKey.objects.get_from_key(key)
        assert not api_key.has_expired and api_key.profile.user.is_active

    def parse_upload() -> None:
        handlers = [load_handler("common.uploads.BoundedMemoryUploadHandler", HttpRequest())]
        meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
        _, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
        files["file"].read()

    def read_options() -> None:
        sent = {"fields": ",".join(GUIDE_FIELDS), "return_format": "png", "file": SimpleUploadedFile(path.name, data)}
        serializer = ReadRequestSerializer(data=sent)
        serializer.is_valid(raise_exception=True)
        serializer.read_options()

    def whole_request() -> None:
        wsgi_read(application, body, content_type, key)

    return {
        "API key lookup (one SELECT)": lambda: usable_api_key(key),
        "API key lookup through the ORM (before)": orm_key_lookup,
        "multipart parsing of the upload (Django's)": parse_upload,
        "quota statement": lambda: usage_consume(profile=profile, endpoint="/api/dicom/read/file/"),
        "quota statement re-checking the key (the read lane's)": lambda: usage_consume_with_key(
            api_key=remembered_api_key(key), endpoint="/api/dicom/read/file/"
        ),
        "read options (the serializer, the guide's fields)": read_options,
        "JSON encoding of the guide's metadata": lambda: b"".join(json_chunks(answer)),
        "read and answer (images made), the guide's fields": lambda: b"".join(read_answer_chunks(read_file(data, guide, Limits()))),
        "read and answer (images made), all metadata": lambda: b"".join(read_answer_chunks(read_file(data, everything, Limits()))),
        "the whole request (WSGI, the guide's fields)": whole_request,
    }


def wsgi_read(application, body: bytes, content_type: str, key: str) -> None:
    """One read request through a WSGI application, its answer read whole; it must be a 200."""
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/dicom/read/file/", "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": f"ApiKey {key}",
    }
    statuses = []
    answer = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(answer)
    answer.close()
    assert statuses[0].startswith("200"), statuses


def in_process_service(prefix: str):
    """Django set up on a throwaway SQLite database (migrated) holding one developer: (profile, key)."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="false", SQLITE_PATH=f"{workdir}/bench.sqlite3",
                      DATABASE_URL="", QUOTA_READ_FILE="100000000", LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from developers.models import DeveloperAPIKey, DeveloperProfile

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(email="bench@example.com", password=os.urandom(16).hex())
    profile = DeveloperProfile.objects.create(user=user)
    _, key = DeveloperAPIKey.objects.create_key(profile=profile, name="bench")
    return profile, key


def profile_request(function, calls: int) -> None:
    import cProfile
    import pstats

    for _ in range(20):  # warm: caches, the database connection
        function()
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [function() for _ in range(calls)])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, default=[CORPUS / "CT_small.dcm", CORPUS / "MR_small.dcm"])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the whole request (--calls calls), print the top functions")
    args = parser.parse_args(argv)
    profile, key = in_process_service("dicom-pieces-")
    if args.profile:
        for path in args.files:
            profile_request(pieces(path, key, profile)["the whole request (WSGI, the guide's fields)"], args.calls)
        return 0
    print(f"CPU per call, best of 3 x {args.calls} calls (load {os.getloadavg()[0]:.2f})")
    for path in args.files:
        for name, function in pieces(path, key, profile).items():
            print(f"{path.name:<16}{name:<48}{cpu_microseconds(function, args.calls):>9.0f} us", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
