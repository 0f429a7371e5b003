"""Transcoding every corpus file whose pixel data we can decode into every lossless syntax:
the pixels come back identical, and DCMTK, GDCM, pydicom, Orthanc and dciodvfy accept each
output (dciodvfy: no error the input did not have)."""

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.pixels import convert_color_space

from bench.client import request
from bench.orthanc import orthanc_binary, running_orthanc, upload
from dicom_core.dicom_out import dicom_bytes
from dicom_core.errors import DicomError
from dicom_core.limits import Limits
from dicom_core.reading import read_dataset
from dicom_core.transcode import LOSSY_METHODS, TRANSFER_SYNTAXES, decoded_frames, parse_transcode_options, transcode
from tests.conftest import BENCH_DATA, CORPUS

LIMITS = Limits()
LOSSLESS = [name for name in TRANSFER_SYNTAXES if name not in LOSSY_METHODS]


def decodable_corpus() -> dict[str, bytes]:
    """The corpus files with pixel data that decodes (the others are 400s, tested through HTTP)."""
    found = {}
    for path in sorted(CORPUS.glob("*.dcm")):
        try:
            dataset = read_dataset(path.read_bytes(), LIMITS)
            if "PixelData" in dataset and int(dataset.get("BitsAllocated") or 0) in (8, 16, 32):
                decoded_frames(dataset)
                found[path.name] = path.read_bytes()
        except DicomError:
            continue
    return found


CORPUS_FILES = decodable_corpus()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(corpus name, syntax) -> the transcoded file on disk (those a syntax cannot hold are absent)."""
    folder = tmp_path_factory.mktemp("transcoded")
    written = {}
    for name, data in CORPUS_FILES.items():
        (folder / name).write_bytes(data)
        for syntax in LOSSLESS:
            result = transcode(read_dataset(data, LIMITS), parse_transcode_options(syntax, None), LIMITS)
            path = folder / f"{syntax}-{name}"
            path.write_bytes(dicom_bytes(result))
            written[name, syntax] = path
    return written


def test_the_corpus_has_files_of_every_kind():
    assert len(CORPUS_FILES) >= 20
    assert {"SC_rgb_rle_2frame.dcm", "JPEG2000.dcm", "MR_small_bigendian.dcm", "examples_palette.dcm"} <= set(CORPUS_FILES)


@pytest.mark.parametrize("syntax", LOSSLESS)
def test_lossless_transcodes_decode_to_the_same_pixels(outputs, syntax):
    for name, data in CORPUS_FILES.items():
        before, photometric = decoded_frames(read_dataset(data, LIMITS))
        result = read_dataset(outputs[name, syntax].read_bytes(), LIMITS)
        after, photometric_after = decoded_frames(result)
        if photometric_after != photometric:  # YBR_FULL stored as RGB for JPEG 2000
            assert (photometric, photometric_after) == ("YBR_FULL", "RGB"), name
            before = [convert_color_space(frame, photometric, "RGB") for frame in before]
        assert str(result.file_meta.TransferSyntaxUID) == TRANSFER_SYNTAXES[syntax], name
        assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True)), name


@pytest.mark.parametrize("syntax", LOSSLESS)
def test_pydicom_reads_every_output(outputs, syntax):
    for name in CORPUS_FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = dcmread(outputs[name, syntax])
        assert ds.pixel_array.size > 0, name


def needs_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


@pytest.mark.parametrize("tool", ["dcmdump", "gdcminfo"])
@pytest.mark.parametrize("syntax", LOSSLESS)
def test_dcmtk_and_gdcm_read_every_output(outputs, tool, syntax):
    executable = needs_tool(tool)
    if tool == "gdcminfo" and syntax == "htj2k-lossless" and not gdcm_reads_htj2k(executable):
        pytest.skip("this GDCM predates HTJ2K (Debian 12 ships 3.0.21)")
    for name in CORPUS_FILES:
        result = subprocess.run([executable, str(outputs[name, syntax])], capture_output=True, text=True, errors="replace", timeout=60)
        assert result.returncode == 0, f"{name}: {result.stderr[-300:]}"
        assert "E: " not in result.stderr, f"{name}: {result.stderr[-300:]}"


def gdcm_reads_htj2k(executable: str) -> bool:
    version = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=60).stdout
    found = re.search(r"gdcm (\d+)\.(\d+)\.(\d+)", version)
    return found is not None and tuple(map(int, found.groups())) >= (3, 0, 23)


def dciodvfy_errors(path: Path, executable: str) -> set[str]:
    report = subprocess.run([executable, str(path)], capture_output=True, text=True, errors="replace", timeout=60)
    # the same finding before and after, whatever UID it quotes (a de-identified file has new ones)
    return {re.sub(r"(UID) [0-9.]+", r"\1 <uid>", re.sub(r"\s+", " ", line)) for line in (report.stdout + report.stderr).splitlines() if line.startswith("Error")}


def dciodvfy_readable(path: Path, tmp_path: Path) -> Path:
    """dicom3tools does not read deflated files: DCMTK rewrites those in explicit VR first."""
    if read_dataset(path.read_bytes(), LIMITS).file_meta.TransferSyntaxUID != TRANSFER_SYNTAXES["deflated"]:
        return path
    rewritten = tmp_path / f"explicit-{path.name}"
    subprocess.run([needs_tool("dcmconv"), "+te", str(path), str(rewritten)], check=True, capture_output=True, timeout=60)
    return rewritten


@pytest.mark.parametrize("syntax", LOSSLESS)
def test_dciodvfy_finds_no_error_the_input_did_not_have(outputs, tmp_path, syntax):
    executable = needs_tool("dciodvfy")
    if syntax == "htj2k-lossless":
        pytest.skip("this dicom3tools (Debian 12) does not know the HTJ2K transfer syntaxes")
    for name in CORPUS_FILES:
        before = dciodvfy_errors(dciodvfy_readable(outputs[name, syntax].parent / name, tmp_path), executable)
        after = dciodvfy_errors(dciodvfy_readable(outputs[name, syntax], tmp_path), executable)
        assert after <= before, f"{name}: {sorted(after - before)}"


# Debian's Orthanc decodes JPEG 2000 through this plugin (package orthanc-gdcm); GDCM 3.0.21
# has no HTJ2K decoder, so HTJ2K outputs are stored but not rendered by this Orthanc.
ORTHANC_GDCM_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancGdcm.so")
ORTHANC_CANNOT_DECODE = {"htj2k-lossless"}


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    binary = orthanc_binary()
    if binary is None or not ORTHANC_GDCM_PLUGIN.exists():
        pytest.skip("Orthanc or its GDCM plugin is not installed")
    with running_orthanc(tmp_path_factory.mktemp("orthanc"), binary, (str(ORTHANC_GDCM_PLUGIN),)) as server:
        yield server


def orthanc_preview_status(orthanc, data: bytes) -> int:
    instance = upload(orthanc.port, data)  # raises unless stored
    try:
        preview = request(orthanc.port, "GET", f"/instances/{instance}/preview", headers={"Accept": "image/png"})
    finally:  # the next syntax stores the same SOP Instance UID, which Orthanc would not overwrite
        request(orthanc.port, "DELETE", f"/instances/{instance}")
    return preview.status if preview.body.startswith(b"\x89PNG") or preview.status != 200 else -1


@pytest.mark.parametrize("syntax", LOSSLESS)
def test_orthanc_stores_every_output_and_renders_what_it_rendered_of_the_input(outputs, orthanc, syntax):
    # This Orthanc renders no YBR_RCT JPEG 2000 (the standard's form for colour with the component
    # transform), not even US1_J2KR.dcm of the bench data: those outputs are stored only.
    renders_ybr_rct = orthanc_preview_status(orthanc, (BENCH_DATA / "US1_J2KR.dcm").read_bytes()) == 200
    rendered = 0
    for name, data in CORPUS_FILES.items():
        output = outputs[name, syntax].read_bytes()
        status = orthanc_preview_status(orthanc, output)
        ybr_rct = read_dataset(output, LIMITS).PhotometricInterpretation == "YBR_RCT"
        if syntax in ORTHANC_CANNOT_DECODE or (ybr_rct and not renders_ybr_rct) or orthanc_preview_status(orthanc, data) != 200:
            continue  # stored is all this Orthanc can do with it (SC_rgb_16bit: not even the input renders)
        assert status == 200, f"{name}: HTTP {status}"
        rendered += 1
    assert rendered >= (0 if syntax in ORTHANC_CANNOT_DECODE else len(CORPUS_FILES) // 2)  # not a vacuous pass


@pytest.mark.parametrize("syntax", list(LOSSY_METHODS))
def test_lossy_results_stay_close_and_say_they_are_lossy(syntax):
    data = CORPUS_FILES["SC_rgb.dcm" if syntax == "jpeg-baseline" else "CT_small.dcm"]
    original = read_dataset(data, LIMITS)

    result = transcode(original, parse_transcode_options(syntax, 95), LIMITS)

    reread = read_dataset(dicom_bytes(result), LIMITS)
    before = original.pixel_array.astype(float)
    after = reread.pixel_array.astype(float)
    peak = float(2 ** int(original.BitsStored) - 1)
    psnr = 10 * np.log10(peak**2 / max(np.mean((before - after) ** 2), 1e-12))
    assert psnr > 35
    assert reread.LossyImageCompression == "01" and reread.LossyImageCompressionMethod == LOSSY_METHODS[syntax]
    assert float(reread.LossyImageCompressionRatio) > 1
    assert reread.SOPInstanceUID != original.SOPInstanceUID


def test_lossy_attributes_are_appended_to_what_was_there():
    original = read_dataset(CORPUS_FILES["CT_small.dcm"], LIMITS)
    once = read_dataset(dicom_bytes(transcode(original, parse_transcode_options("jpeg2000", 90), LIMITS)), LIMITS)

    twice = transcode(once, parse_transcode_options("jpeg-ls-near-lossless", 90), LIMITS)

    assert list(twice.LossyImageCompressionMethod) == ["ISO_15444_1", "ISO_14495_1"]
    assert len(twice.LossyImageCompressionRatio) == 2


def test_images_smaller_than_32_pixels_encode_as_jpeg2000():
    study = [name for name in CORPUS_FILES if read_dataset(CORPUS_FILES[name], LIMITS).Rows < 32]
    tiny = read_dataset(CORPUS_FILES["CT_small.dcm"], LIMITS)
    tiny.PixelData = tiny.pixel_array[:16, :16].tobytes()
    tiny.Rows = tiny.Columns = 16

    result = read_dataset(dicom_bytes(transcode(tiny, parse_transcode_options("jpeg2000-lossless", None), LIMITS)), LIMITS)

    assert np.array_equal(result.pixel_array, tiny.pixel_array), study


@pytest.mark.parametrize("syntax", ["jpeg-ls-lossless", "rle", "jpeg-baseline"])
def test_damaged_bits_stored_and_pixel_representation_are_read_as_absent(syntax):
    """Values of a wrong type (a damaged file) are the file's problem, never an internal error:
    read as absent, as the renderer reads them."""
    ds = read_dataset((CORPUS / "MR_small.dcm").read_bytes(), Limits())
    ds.BitsStored = [16, 12]
    ds.PixelRepresentation = [1, 0]
    try:
        result = transcode(ds, parse_transcode_options(syntax, None), Limits())
    except DicomError:
        return  # a clear 400 is fine too
    assert result.file_meta.TransferSyntaxUID == TRANSFER_SYNTAXES[syntax]
