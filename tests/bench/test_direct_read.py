"""`bench/direct_read.py` compares the read's direct lane with the DRF view (a few calls: that it runs)."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_lane_and_the_view_are_both_measured():
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "direct_read.py"), "--calls", "2", "--rounds", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert re.search(r"^lane +\d+ +\d+ +median \d+$", completed.stdout, re.M)
    assert re.search(r"^view +\d+ +\d+ +median \d+$", completed.stdout, re.M)
    assert re.search(r"^lane/view per round: [\d.]+ [\d.]+ +median [\d.]+$", completed.stdout, re.M)
