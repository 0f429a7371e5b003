"""`bench/pieces.py` measures every piece of a read request (a few calls: that it runs, not how fast)."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_piece_is_measured():
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "pieces.py"), "--calls", "2", str(REPO / ".." / "shared" / "corpus" / "MR_small.dcm")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = [line for line in completed.stdout.splitlines() if line.startswith("MR_small.dcm")]
    assert len(lines) == 10
    assert all(float(re.search(r"(\d+) us$", line).group(1)) > 0 for line in lines)
