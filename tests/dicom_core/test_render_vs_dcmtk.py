"""Every frame of every corpus file DCMTK can render matches DCMTK's dcmj2pnm at PSNR >= 35 dB.

DCMTK is told the VOI that our rule picked (from RenderResult.rendering), so the comparison
checks the pixels of each step, not the choice of window. JPEG 2000 and JPEG-LS, which
Debian's DCMTK lacks, are first made uncompressed with `gdcmconv --raw`.
Run with `-s` to see the figures (files, frames, minimum PSNR).
"""

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from dicom_core.limits import Limits
from dicom_core.render import IN_THREAD, RenderOptions, frame_count, render
from dicom_core.render.decode import transfer_syntax

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
MIN_PSNR_DB = 35.0
NEEDS_GDCM_RAW = ("1.2.840.10008.1.2.4.8", "1.2.840.10008.1.2.4.9", "1.2.840.10008.1.2.4.20")
NOT_RENDERABLE = {"MR_truncated.dcm", "reportsi.dcm", "rtplan.dcm", "no_meta.dcm"}
CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.dcm") if p.name not in NOT_RENDERABLE)
DCMTK_CANNOT_RENDER = {
    "parametric_map_double_float.dcm": "DCMTK reads no Double Float Pixel Data ('no pixel data found')",
}

figures: dict[str, tuple[int, float]] = {}


@pytest.fixture(scope="module", autouse=True)
def print_figures():
    yield
    if figures:
        worst = min(psnr for _, psnr in figures.values())
        frames = sum(count for count, _ in figures.values())
        for name, (count, psnr) in sorted(figures.items()):
            print(f"\n  {name}: {count} frame(s), min PSNR {psnr:.1f} dB")
        print(f"\nvs DCMTK: {len(figures)} files, {frames} frames, minimum PSNR {worst:.1f} dB")


@pytest.fixture(scope="module")
def dcmtk():
    if shutil.which("dcmj2pnm") is None:
        pytest.skip("dcmj2pnm (DCMTK) is not installed")
    return shutil.which("dcmj2pnm")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def dcmtk_readable(path: Path, ds, workdir: Path) -> Path:
    if not str(transfer_syntax(ds)).startswith(NEEDS_GDCM_RAW):
        return path
    if shutil.which("gdcmconv") is None:
        pytest.skip("gdcmconv (GDCM) is needed to give DCMTK this transfer syntax")
    raw = workdir / f"raw_{path.name}"
    subprocess.run(["gdcmconv", "--raw", str(path), str(raw)], check=True, capture_output=True)
    return raw


def voi_arguments(ds, rendering: dict) -> list[str]:
    source = rendering["voi_source"]
    if source == "file-window" and "WindowCenter" in ds:
        return ["+Wi", "1"]
    if source == "file-window":  # the frame's window from the functional groups
        center, width = rendering["window"]
        return ["+Ww", str(center), str(width)]
    return {"voi-lut": ["+Wl", "1"], "min-max": ["+Wm"], "none": []}[source]


def dcmtk_frame(dcmj2pnm: str, path: Path, frame: int, voi: list[str], out: Path) -> np.ndarray:
    subprocess.run(
        [dcmj2pnm, "+on", "-O", "+F", str(frame + 1), *voi, str(path), str(out)],
        check=True,
        capture_output=True,
    )
    return np.asarray(Image.open(out))


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_frame_matches_dcmtk(name, dcmtk, tmp_path):
    if name in DCMTK_CANNOT_RENDER:
        pytest.skip(DCMTK_CANNOT_RENDER[name])
    path = CORPUS / name
    ds = pydicom.dcmread(path)
    readable = dcmtk_readable(path, ds, tmp_path)
    worst = float("inf")
    for frame in range(frame_count(ds)):
        ours = render(ds, RenderOptions(frames=(frame,)), Limits(), IN_THREAD).collect()
        assert ours.error is None, ours.error
        expected = dcmtk_frame(dcmtk, readable, frame, voi_arguments(ds, ours.rendering), tmp_path / "f.png")
        actual = np.asarray(Image.open(BytesIO(ours.images[0])))
        if int(ds.BitsStored) == 1:  # DCMTK shows a set bit as 128; the API asks for 255
            expected = np.where(expected > 0, 255, 0).astype(np.uint8)
        assert actual.shape == expected.shape
        worst = min(worst, psnr(actual, expected))
        assert worst >= MIN_PSNR_DB, f"frame {frame + 1}: PSNR {worst:.1f} dB"
    figures[name] = (frame_count(ds), worst)


def rt_dose_file(path: Path, *, odd_types: bool) -> Path:
    """A 16-bit RT Dose whose Bits Stored, High Bit and Pixel Representation have, with
    odd_types, values of unexpected types (text, several values), as a damaged file has."""
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.2"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = "1.2.3.4.5.6"
    ds.Modality, ds.DoseUnits, ds.DoseType, ds.DoseGridScaling = "RTDOSE", "GY", "PHYSICAL", "0.0001"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated = 24, 32, 1, 16
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 0
    if odd_types:
        ds.add_new(0x00280101, "CS", "16")  # Bits Stored as text
        ds.add_new(0x00280102, "LO", "fifteen")  # High Bit as text
        ds.add_new(0x00280103, "US", [0, 0])  # Pixel Representation twice
    ds.PixelData = (np.add.outer(np.arange(24), np.arange(32)) * 1000).astype("<u2").tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def test_an_rt_dose_with_values_of_unexpected_types_renders_as_its_intent_and_as_dcmtk(dcmtk, tmp_path):
    odd = render(pydicom.dcmread(rt_dose_file(tmp_path / "odd.dcm", odd_types=True)), RenderOptions(), Limits(), IN_THREAD).collect()
    intent = render(pydicom.dcmread(rt_dose_file(tmp_path / "ok.dcm", odd_types=False)), RenderOptions(), Limits(), IN_THREAD).collect()
    assert odd.error is None and odd.images == intent.images and odd.rendering == intent.rendering
    expected = dcmtk_frame(dcmtk, tmp_path / "ok.dcm", 0, voi_arguments(None, intent.rendering), tmp_path / "f.png")
    assert psnr(np.asarray(Image.open(BytesIO(odd.images[0]))), expected) >= MIN_PSNR_DB
