"""The Python client's peak memory reading a large answer: xa_96f (96 frames, a ~13 MB JSON answer)
read with the client's streaming parser (frames to disk, and frames kept in memory) against a
plain `response.json()` followed by decoding the frames. Each way runs in a fresh process, which
reports its peak RSS (VmHWM) and its RSS before the read (imports done, one small read made), so
the difference is what the answer itself cost.

    .venv/bin/python bench/client_memory.py [--file ../shared/bench-data/xa_96f.dcm] [--runs 3]
"""

import argparse
import base64
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.service import READ_PATH, running_service  # noqa: E402

DEFAULT_FILE = REPO / ".." / "shared" / "bench-data" / "xa_96f.dcm"
SMALL_FILE = REPO / ".." / "shared" / "corpus" / "CT_small.dcm"
WAYS = {
    "streamed, frames to disk": "stream-disk",
    "streamed, frames in memory": "stream-memory",
    "response.json(), frames decoded": "json",
}


def measure(way: str, url: str, key: str, path: Path, out: Path) -> dict:
    """In the child process: one warm-up read, then the read measured."""
    import httpx

    from dicom_api_client import Client

    client = Client(key, base_url=url)
    client.read(SMALL_FILE)
    before = _self_kb("VmRSS")
    if way == "json":
        with open(path, "rb") as upload:
            response = httpx.post(
                f"{url}{READ_PATH}", files={"file": (path.name, upload)}, headers={"Authorization": f"ApiKey {key}"}, timeout=300
            )
        body = response.json()
        frames = [base64.b64decode(image) for image in body["Images"]]
        answer_bytes = len(response.content)
    else:
        received = []
        result = client.read(path, frames_dir=out if way == "stream-disk" else None, on_bytes=received.append)
        frames = result.frames
        answer_bytes = sum(received)
    return {"frames": len(frames), "answer_bytes": answer_bytes, "before_kb": before, "peak_kb": _self_kb("VmHWM")}


def _self_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def run_child(way: str, url: str, key: str, path: Path) -> dict:
    with tempfile.TemporaryDirectory() as out:
        completed = subprocess.run(
            [sys.executable, __file__, "--child", way, "--url", url, "--key", key, "--file", str(path), "--out", out],
            capture_output=True, text=True, check=True,
        )
    return json.loads(completed.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.url, args.key, args.file, args.out)))
        return
    with tempfile.TemporaryDirectory() as workdir, running_service(Path(workdir)) as service:
        url = f"http://127.0.0.1:{service.port}"
        figures = {label: [run_child(way, url, service.api_key, args.file) for _ in range(args.runs)] for label, way in WAYS.items()}
    first = next(iter(figures.values()))[0]
    print(f"{args.file.name}: {first['frames']} frames, answer {first['answer_bytes'] / 1e6:.1f} MB; "
          f"peak RSS of the client process, median of {args.runs} runs")
    print(f"{'way':<34}{'peak MB':>9}{'before MB':>11}{'read cost MB':>14}")
    costs = {}
    for label, runs in figures.items():
        peak = statistics.median(run["peak_kb"] for run in runs) / 1024
        before = statistics.median(run["before_kb"] for run in runs) / 1024
        costs[label] = statistics.median(run["peak_kb"] - run["before_kb"] for run in runs) / 1024
        print(f"{label:<34}{peak:>9.1f}{before:>11.1f}{costs[label]:>14.1f}")
    plain = costs["response.json(), frames decoded"]
    for label in list(WAYS)[:2]:
        print(f"read cost, {label} / response.json(): {costs[label] / plain:.2f}")


if __name__ == "__main__":
    main()
