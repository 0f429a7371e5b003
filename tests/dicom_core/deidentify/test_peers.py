"""De-identified corpus files are still files the peers take: DCMTK and GDCM read them, Orthanc
stores and renders them as it did the originals, dciodvfy finds no error the original did not have."""

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.orthanc import orthanc_binary, running_orthanc, upload
from dicom_core.deidentify import DeidentifyOptions, deidentify
from dicom_core.dicom_out import convert_upload, dicom_bytes
from dicom_core.errors import DicomError
from dicom_core.limits import Limits
from tests.conftest import CORPUS
from tests.dicom_core.test_transcode import dciodvfy_errors, dciodvfy_readable, needs_tool, orthanc_preview_status

LIMITS = Limits()
EVERY_OPTION = DeidentifyOptions(options=frozenset({"retain-dates", "clean-descriptors"}), allow_burned_in=True)


@pytest.fixture(scope="module")
def anonymized(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """corpus name -> (original, de-identified) on disk, for every corpus file we can read."""
    folder = tmp_path_factory.mktemp("anonymized")
    pairs = {}
    for path in sorted(CORPUS.glob("*.dcm")):
        try:  # as the endpoint does it
            converted = convert_upload(path.read_bytes(), LIMITS, lambda dataset, data: dicom_bytes(deidentify(dataset, EVERY_OPTION, {})))
        except DicomError:  # not DICOM (no_meta.dcm), truncated pixel data (MR_truncated.dcm)
            continue
        output = folder / path.name
        output.write_bytes(converted)
        pairs[path.name] = (path, output)
    assert len(pairs) >= 25
    return pairs


@pytest.mark.parametrize("tool", ["dcmdump", "gdcminfo"])
def test_dcmtk_and_gdcm_read_every_output(anonymized, tool):
    executable = needs_tool(tool)
    for name, (original, output) in anonymized.items():
        before = subprocess.run([executable, str(original)], capture_output=True, timeout=60).returncode
        after = subprocess.run([executable, str(output)], capture_output=True, timeout=60).returncode
        assert after == 0 or before != 0, name


def test_dciodvfy_finds_no_error_the_original_did_not_have(anonymized, tmp_path):
    executable = needs_tool("dciodvfy")
    for name, (original, output) in anonymized.items():
        before = dciodvfy_errors(dciodvfy_readable(original, tmp_path), executable)
        after = dciodvfy_errors(dciodvfy_readable(output, tmp_path), executable)
        assert after <= before, f"{name}: {sorted(after - before)}"


def test_orthanc_stores_every_output_and_renders_what_it_rendered(anonymized, tmp_path_factory):
    binary = orthanc_binary()
    if binary is None or shutil.which(binary) is None:
        pytest.skip("Orthanc is not installed")
    with running_orthanc(tmp_path_factory.mktemp("orthanc"), binary) as orthanc:
        rendered = 0
        for name, (original, output) in anonymized.items():
            status = orthanc_preview_status(orthanc, output.read_bytes())
            if orthanc_preview_status(orthanc, original.read_bytes()) == 200:
                assert status == 200, f"{name}: HTTP {status}"
                rendered += 1
        assert rendered >= len(anonymized) // 2
