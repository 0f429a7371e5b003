"""`bench/run.py --smoke --no-orthanc` runs end to end: gunicorn starts, every figure is measured,
the JSON holds what the README describes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.ports import can_bind_localhost  # noqa: E402

SMOKE_TIMEOUT_SECONDS = 120

pytestmark = pytest.mark.skipif(not can_bind_localhost(), reason="cannot bind a port on 127.0.0.1 for gunicorn")


def test_smoke_run_writes_every_figure(tmp_path):
    output = tmp_path / "smoke.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--smoke", "--no-orthanc", "--output", str(output)],
        cwd=REPO, capture_output=True, text=True, timeout=SMOKE_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(output.read_text())
    assert {"started", "smoke", "rounds", "machine", "service", "orthanc", "render", "metadata_only",
            "batch", "concurrency", "cheapest_requests", "memory", "memory_jpeg", "memory_long", "targets"} <= results.keys()
    assert results["smoke"] is True and results["orthanc"] is None
    assert len(results["machine"]["loadavg_start"]) == 3 and len(results["machine"]["loadavg_end"]) == 3
    render = results["render"][0]
    assert render["case"] == "CT_small.dcm png" and render["frames"] == 1
    for contender in ("ours", "floor"):
        assert render[contender]["error"] is None and render[contender]["median"] > 0
    assert render["ours_minus_floor_ms"]["median"] is not None
    assert results["metadata_only"][0]["ours"]["median"] > 0
    for batch in results["batch"]:  # a zip of small files, all metadata and the guide's fields
        assert batch["frames"] == 100 and batch["ours"]["error"] is None and batch["ours_over_floor"]["median"] > 0
    assert [batch["case"].rsplit(" ", 1)[1] for batch in results["batch"]] == ["all", "fields"]
    concurrency = results["concurrency"][0]
    for measured in (concurrency["ours_fields"], concurrency["ours_all"], results["cheapest_requests"]["ours"]):
        assert measured["requests"] > 0 and measured["failed"] == 0 and measured["server_cpu_ms_per_request"] > 0
    for memory in (results["memory"], results["memory_jpeg"], results["memory_long"]):
        assert memory["peak_rss_mb"] > 0 and memory["answer_bytes"] > 0
    assert {t["met"] for t in results["targets"]} <= {True, False, None}
    assert "targets:" in completed.stdout
