#!/usr/bin/env python
"""The read's direct lane against the DRF view, in-process: the same WSGI request (the guide's, or
all metadata with --all) through Django's handler with the settings' middleware and through one
without dicom_api.direct_read, alternated; prints the CPU per request of each and their ratio.

    .venv/bin/python bench/direct_read.py [--calls 300] [--rounds 6] [--all] [FILE]   # default MR_small.dcm

A throwaway SQLite database (migrated) holds one developer and key, as in `make bench`.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.pieces import in_process_service, wsgi_read  # noqa: E402
LANE = "dicom_api.direct_read.DirectReadMiddleware"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=REPO / ".." / "shared" / "corpus" / "MR_small.dcm")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--all", action="store_true", help="all metadata instead of the guide's three fields")
    args = parser.parse_args(argv)
    profile, key = in_process_service("dicom-direct-read-")
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    from bench.client import multipart
    from bench.run import ALL_METADATA, GUIDE_FIELDS

    body, content_type = multipart(ALL_METADATA if args.all else GUIDE_FIELDS, {"file": (args.file.name, args.file.read_bytes())})
    with_lane = WSGIHandler()
    with override_settings(MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != LANE]):
        view_only = WSGIHandler()

    def request(application) -> None:
        wsgi_read(application, body, content_type, key)

    contenders = {"lane": with_lane, "view": view_only}
    for application in contenders.values():
        for _ in range(30):  # warm: imports, caches, the remembered key
            request(application)
    per_call: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, application in contenders.items():
            started = time.process_time()
            for _ in range(args.calls):
                request(application)
            per_call[name].append((time.process_time() - started) / args.calls * 1e6)
    print(f"{args.file.name}, {'all metadata' if args.all else 'the guide request'}: CPU us per request, {args.rounds} rounds of {args.calls}")
    for name, values in per_call.items():
        print(f"{name:5} " + " ".join(f"{value:6.0f}" for value in values) + f"   median {statistics.median(values):.0f}")
    ratios = [lane / view for lane, view in zip(per_call["lane"], per_call["view"])]
    print(f"lane/view per round: {' '.join(f'{ratio:.2f}' for ratio in ratios)}   median {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
