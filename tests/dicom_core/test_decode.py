"""decode.py's plain native frames are pydicom's decoder's arrays, read straight from the bytes."""

import copy
import io

import numpy as np
import pydicom
import pytest

from dicom_core.render.decode import decode_frame, decode_with_plugins, is_plain_native, pixel_options, transfer_syntax
from tests.conftest import CORPUS


def variant(name: str, **changes) -> pydicom.Dataset:
    ds = pydicom.dcmread(CORPUS / name)
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    return ds


def pixel_bytes(ds: pydicom.Dataset, bits: int, frames: int = 1) -> bytes:
    return np.random.default_rng(14).integers(0, 256, ds.Rows * ds.Columns * bits // 8 * frames, dtype=np.uint8).tobytes()


def variants() -> dict[str, pydicom.Dataset]:
    mr = pydicom.dcmread(CORPUS / "MR_small.dcm")
    found = {
        path.name: pydicom.dcmread(path, force=True) for path in sorted(CORPUS.glob("*.dcm")) if path.name not in ("MR_truncated.dcm",)
    }
    found["16-bit unsigned"] = variant("MR_small.dcm", PixelRepresentation=0)
    for bits in (8, 32):
        for representation in (0, 1):
            found[f"{bits}-bit, pixel representation {representation}"] = variant(
                "MR_small.dcm", BitsAllocated=bits, BitsStored=bits, HighBit=bits - 1,
                PixelRepresentation=representation, PixelData=pixel_bytes(mr, bits),
            )
    found["3 frames"] = variant("MR_small.dcm", NumberOfFrames=3, PixelData=pixel_bytes(mr, 16, 3))
    found["MONOCHROME1"] = variant("MR_small.dcm", PhotometricInterpretation="MONOCHROME1")
    return found


VARIANTS = variants()
PLAIN = [name for name, ds in VARIANTS.items() if "PixelData" in ds and is_plain_native(transfer_syntax(ds), pixel_options(ds))]


def test_the_plain_native_files_are_the_ones_expected():
    assert {"MR_small.dcm", "CT_small.dcm", "MR_small_implicit.dcm", "16-bit unsigned", "3 frames", "MONOCHROME1"} <= set(PLAIN)
    assert not {"MR_small_bigendian.dcm", "SC_rgb.dcm", "JPEG-LL.dcm", "MR_small_RLE.dcm", "image_dfl.dcm"} & set(PLAIN)
    assert not is_plain_native(transfer_syntax(VARIANTS["MR_small.dcm"]), {**pixel_options(VARIANTS["MR_small.dcm"]), "bits_stored": 12})


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_native_frame_is_pydicoms(name):
    ds = VARIANTS[name]
    options = pixel_options(ds)
    for index in sorted({0, options["number_of_frames"] - 1}):
        ours, photometric = decode_frame(ds, index)
        theirs, their_photometric = decode_with_plugins(copy.deepcopy(ds), transfer_syntax(ds), index, options, None)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape and ours.flags.writeable == theirs.flags.writeable
        assert np.array_equal(ours, theirs) and photometric == their_photometric


def test_a_written_and_read_again_plain_file_gives_the_same_frame():
    ds = VARIANTS["8-bit, pixel representation 1"]
    written = io.BytesIO()
    ds.save_as(written, enforce_file_format=True)
    again = pydicom.dcmread(io.BytesIO(written.getvalue()))
    assert np.array_equal(decode_frame(again, 0)[0], decode_frame(ds, 0)[0])
