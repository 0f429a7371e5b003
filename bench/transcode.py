#!/usr/bin/env python
"""`make bench` (second part): transcoding xa_96f and MR2_UNCR to JPEG 2000 lossless and to JPEG-LS
lossless, ours (dicom_core.transcode, in-process: read, decode, encode, write the file) beside
GDCM (`gdcmconv --j2k`, `gdcmconv --jpegls`) and DCMTK (`dcmcjpls`, after `dcmdjpeg` for xa_96f,
which is JPEG baseline and which dcmcjpls cannot take compressed: both timed, as ours decodes
too; DCMTK has no free JPEG 2000 encoder) on the same files, in the same run, round after round. The peers' times include their
process start (a few ms, measured once with `--version` and printed). Every output is checked
to decode to the input's pixels (untimed).

    .venv/bin/python bench/transcode.py [--rounds N]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from dicom_core.dicom_out import dicom_bytes  # noqa: E402
from dicom_core.limits import Limits  # noqa: E402
from dicom_core.reading import read_dataset  # noqa: E402
from dicom_core.transcode import decoded_frames, parse_transcode_options, transcode  # noqa: E402

BENCH_DATA = REPO / ".." / "shared" / "bench-data"
FILES = ("xa_96f.dcm", "MR2_UNCR.dcm")
SYNTAXES = {  # ours -> the peers' commands for the same syntax ({src} {dst})
    "jpeg2000-lossless": {"gdcmconv": ["gdcmconv", "--j2k", "{src}", "{dst}"]},
    "jpeg-ls-lossless": {"gdcmconv": ["gdcmconv", "--jpegls", "{src}", "{dst}"], "dcmcjpls": ["dcmcjpls", "{src}", "{dst}"]},
}
DCMTK_DECOMPRESS = ["dcmdjpeg", "{src}", "{dst}"]  # for a JPEG source, before dcmcjpls
LIMITS = Limits()


def ours(src: Path, dst: Path, syntax: str) -> None:
    dst.write_bytes(dicom_bytes(transcode(read_dataset(src.read_bytes(), LIMITS), parse_transcode_options(syntax, None), LIMITS)))


def peer(command: list[str], src: Path, dst: Path) -> None:
    if command[0] == "dcmcjpls" and read_dataset(src.read_bytes(), LIMITS).file_meta.TransferSyntaxUID.is_compressed:
        decompressed = dst.with_suffix(".raw.dcm")
        subprocess.run([part.format(src=src, dst=decompressed) for part in DCMTK_DECOMPRESS], check=True, capture_output=True)
        src = decompressed
    subprocess.run([part.format(src=src, dst=dst) for part in command], check=True, capture_output=True)


def timed(job) -> float:
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def same_pixels(src: Path, dst: Path) -> bool:
    before, _ = decoded_frames(read_dataset(src.read_bytes(), LIMITS))
    after, _ = decoded_frames(read_dataset(dst.read_bytes(), LIMITS))
    return all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    print(f"transcoding, {rounds} rounds (median), load average {os.getloadavg()[0]:.2f}")
    for tool in ("gdcmconv", "dcmcjpls"):
        if shutil.which(tool):
            print(f"  {tool} process start: {timed(lambda: subprocess.run([tool, '--version'], capture_output=True)) * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        print(f"{'file':14} {'syntax':18} {'contender':10} {'median s':>9} {'x ours':>7} {'bytes':>10} {'ratio':>6} same pixels")
        for name in FILES:
            src = BENCH_DATA / name
            for syntax, peers in SYNTAXES.items():
                contenders = {"ours": lambda dst, s=syntax: ours(src, dst, s)}
                contenders.update({tool: (lambda dst, c=command: peer(c, src, dst)) for tool, command in peers.items() if shutil.which(tool)})
                times: dict[str, list[float]] = {contender: [] for contender in contenders}
                for _ in range(rounds):
                    for contender, job in contenders.items():
                        times[contender].append(timed(lambda: job(work / f"{contender}.dcm")))
                base = statistics.median(times["ours"])
                for contender in contenders:
                    output = work / f"{contender}.dcm"
                    median = statistics.median(times[contender])
                    ratio = src.stat().st_size / output.stat().st_size
                    print(f"{name:14} {syntax:18} {contender:10} {median:9.3f} {median / base:7.2f} {output.stat().st_size:10d} {ratio:6.2f} {same_pixels(src, output)}")


if __name__ == "__main__":
    main()
