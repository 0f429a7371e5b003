#!/usr/bin/env python
"""Zip iteration from memory (the synchronous read: its bytes in a BytesIO) beside the same zip
read from a file on disk (the job planner: the upload in storage, one member at a time).

Prints the best of --rounds for each input, and the ratio disk / memory side by side; the
largest single read from the file shows that the upload is never read whole.
`python bench/zip_iteration.py`
"""

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make the packages importable

from bench.job_client import zip_of_small_files  # noqa: E402
from dicom_core.archive import iter_zip_members  # noqa: E402
from dicom_core.limits import Limits  # noqa: E402

STUDY = REPO / ".." / "shared" / "corpus" / "study_77654033.zip"


class LargestRead(io.FileIO):
    """A file on disk that remembers the most bytes any one read returned."""

    largest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.largest = max(self.largest, len(data))
        return data


def best_seconds(rounds: int, run) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    inputs = {"study zip (7 members)": STUDY.read_bytes(), "1000 small members": zip_of_small_files(1000, 32, 32)}
    limits = Limits()
    print(f"{'input':24s} {'memory ms':>10s} {'disk ms':>10s} {'disk/memory':>12s} {'largest read':>13s} {'zip bytes':>10s}")
    with tempfile.TemporaryDirectory() as folder:
        for name, data in inputs.items():
            path = Path(folder) / "upload.zip"
            path.write_bytes(data)
            memory = best_seconds(rounds, lambda: list(iter_zip_members(io.BytesIO(data), limits)))

            largest = 0

            def from_disk():
                nonlocal largest
                with LargestRead(path) as source:
                    list(iter_zip_members(source, limits))
                largest = source.largest

            disk = best_seconds(rounds, from_disk)
            print(f"{name:24s} {memory * 1000:10.2f} {disk * 1000:10.2f} {disk / memory:12.2f} {largest:13d} {len(data):10d}")


if __name__ == "__main__":
    main()
