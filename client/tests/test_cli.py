"""`dicom-api` run as a user runs it (the installed command, in a subprocess) against the real server."""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS, png_bytes

COMMAND = Path(sys.executable).with_name("dicom-api")
HOSTILE_NAMES = ["../../escaped.dcm", "/abs/rooted.dcm", "C:\\windows.dcm", "deep/../../../up.dcm", "ok/plain.dcm"]


def run(*args: str, key: str | None, url: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DICOM_API_")}
    env["DICOM_API_URL"] = url
    if key is not None:
        env["DICOM_API_KEY"] = key
    return subprocess.run([str(COMMAND), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def assert_one_line_error(completed: subprocess.CompletedProcess, *expected: str) -> None:
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert lines[-1].startswith("error: "), completed.stderr
    for text in expected:
        assert text in completed.stderr


def test_the_command_is_installed():
    assert COMMAND.is_file(), "pip install ./client installs `dicom-api`"


def test_read_a_folder_and_a_zip_with_hostile_member_names(tmp_path, api_key, base_url):
    inputs = tmp_path / "inputs"
    (inputs / "series").mkdir(parents=True)
    shutil.copy(CORPUS / "CT_small.dcm", inputs / "series" / "ct.dcm")
    shutil.copy(CORPUS / "emri_small.dcm", inputs / "series" / "emri")
    (inputs / "series" / "README.txt").write_text("A folder's file that is not DICOM is skipped, as in a zip.")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in HOSTILE_NAMES:
            zipped.writestr(name, (CORPUS / "MR_small.dcm").read_bytes())
        zipped.writestr("notes.txt", b"not DICOM")
    (inputs / "hostile.zip").write_bytes(archive.getvalue())
    sandbox = tmp_path / "sandbox"
    out = sandbox / "a" / "b" / "out"  # `../..` from inside would land in sandbox
    completed = run("read", str(inputs), "--out", str(out), "-j", "2", "--json", key=api_key, url=base_url)
    assert completed.returncode == 0, completed.stderr
    report = {entry["name"]: entry for entry in json.loads(completed.stdout)}
    assert set(report) == {"inputs/hostile.zip", "inputs/series/ct.dcm", "inputs/series/emri", "inputs/series/README.txt"}
    assert "neither DICOM nor a zip" in report["inputs/series/README.txt"]["skipped_reason"]
    assert report["inputs/series/emri"]["frames"] == 10 and report["inputs/hostile.zip"]["skipped"] == 1

    written = sorted(path.relative_to(sandbox).as_posix() for path in sandbox.rglob("*") if path.is_file())
    assert all(path.startswith("a/b/out/") for path in written)  # nothing outside DIR
    ct = json.loads((out / "inputs/series/ct.dcm.json").read_text())
    assert ct["PatientName"] == "CompressedSamples^CT1" and ct["ImageFormat"] == "PNG" and "Images" not in ct
    assert (out / "inputs/series/ct.dcm/frame-0001.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (out / "inputs/series/emri").iterdir()) == [f"frame-{n:04d}.png" for n in range(1, 11)]
    zip_root = out / "inputs/hostile.zip"
    for safe in ("escaped.dcm", "abs/rooted.dcm", "C_/windows.dcm", "deep/up.dcm", "ok/plain.dcm"):
        member = json.loads((zip_root / f"{safe}.json").read_text())
        assert member["name"] in HOSTILE_NAMES and member["PatientID"] == "4MR1"
        assert (zip_root / safe / "frame-0001.png").is_file()
    assert json.loads((zip_root / "skipped.json").read_text())[0]["name"] == "notes.txt"


def test_read_options_and_a_failing_file(tmp_path, api_key, base_url):
    (tmp_path / "bad.dcm").write_bytes(b"not DICOM at all")
    out = tmp_path / "out"
    completed = run(
        "read", str(CORPUS / "emri_small.dcm"), str(tmp_path / "bad.dcm"), "--out", str(out),
        "--format", "jpeg", "--fields", "PatientID,Rows", "--frames", "1-2", key=api_key, url=base_url,
    )
    assert_one_line_error(completed, "bad.dcm", "neither DICOM nor a zip", "1 of 2 files failed")
    assert json.loads((out / "emri_small.dcm.json").read_text())["Rows"] == "64"
    assert sorted(p.name for p in (out / "emri_small.dcm").iterdir()) == ["frame-0001.jpg", "frame-0002.jpg"]


def test_an_error_that_would_fail_every_file_stops_the_read(tmp_path, api_key, base_url):
    for index in range(6):
        shutil.copy(CORPUS / "CT_small.dcm", tmp_path / f"ct{index}.dcm")
    bad_option = run("read", str(tmp_path), "--out", str(tmp_path / "out"), "--fields", "NotAKeyword", "-j", "1", key=api_key, url=base_url)
    assert_one_line_error(bad_option, "NotAKeyword")
    assert bad_option.stderr.count("NotAKeyword") == 1  # said once, not once a file
    bad_key = run("read", str(tmp_path), "--out", str(tmp_path / "out"), "-j", "1", key="wrong.key", url=base_url)
    assert_one_line_error(bad_key, "401")
    assert bad_key.stderr.count("401") == 1


def test_generate_writes_a_dicom_file(tmp_path, api_key, base_url):
    (tmp_path / "photo.png").write_bytes(png_bytes(10, 10))
    completed = run("generate", "photo.png", "--name", "scan", "-f", "PatientName=Doe^Jane", "-f", "Modality=OT",
                    key=api_key, url=base_url, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "scan.dcm").read_bytes()[128:132] == b"DICM"
    refused = run("generate", "photo.png", "--name", "scan", "-f", "NotAKeyword=1", key=api_key, url=base_url, cwd=tmp_path)
    assert_one_line_error(refused, "NotAKeyword")


def test_usage_as_a_chart_and_as_json(api_key, base_url):
    completed = run("usage", "--json", key=api_key, url=base_url)
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["monthly_total"] >= 1 and "/api/dicom/read/file/" in summary["by_endpoint"]
    chart = run("usage", key=api_key, url=base_url)
    assert chart.returncode == 0 and f"{summary['monthly_total']} calls" in chart.stdout and "█" in chart.stdout


@pytest.mark.parametrize(
    "args, key, expected",
    [
        (("usage",), None, "DICOM_API_KEY"),
        (("usage",), "wrong.key", "401"),
        (("read", "no-such-file.dcm", "--out", "out"), "any.key", "no-such-file.dcm"),
    ],
)
def test_failures_are_one_line_and_non_zero(tmp_path, base_url, args, key, expected):
    assert_one_line_error(run(*args, key=key, url=base_url, cwd=tmp_path), expected)


def test_an_unreachable_server_is_one_line(tmp_path):
    assert_one_line_error(run("usage", key="any.key", url="http://127.0.0.1:9", cwd=tmp_path), "Could not reach")


def test_an_unknown_job_is_a_one_line_404(api_key, base_url, tmp_path):
    completed = run("job", "status", "00000000-0000-4000-8000-000000000000", key=api_key, url=base_url, cwd=tmp_path)
    assert_one_line_error(completed, "404")
