"""Transfer syntaxes the corpus lacks (HTJ2K, JPEG-LS near-lossless), made from MR_small's
pixels with imagecodecs, rendered through HTTP like the uncompressed original."""

import base64
import io

import imagecodecs
import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate

from tests.conftest import CORPUS, api_key_header

pytestmark = pytest.mark.django_db


def rendered(developer, data: bytes) -> np.ndarray:
    upload = io.BytesIO(data)
    upload.name = "file.dcm"
    body = developer.client.post("/api/dicom/read/file/", {"file": upload}, **api_key_header(developer.key)).json()
    assert "ImageError" not in body, body.get("ImageError")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(body["Images"][0]))), dtype=float)


def recompressed(transfer_syntax: str, encode) -> bytes:
    ds = pydicom.dcmread(CORPUS / "MR_small.dcm")
    pixels = ds.pixel_array.astype(np.uint16)  # all values are positive: the same numbers unsigned
    ds.PixelRepresentation = 0
    ds.PixelData = encapsulate([encode(pixels)])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    buffer = io.BytesIO()
    ds.save_as(buffer)
    return buffer.getvalue()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_htj2k_lossless_renders_like_the_original(developer):
    original = rendered(developer, (CORPUS / "MR_small.dcm").read_bytes())
    htj2k = rendered(developer, recompressed("1.2.840.10008.1.2.4.201", imagecodecs.htj2k_encode))
    assert np.array_equal(original, htj2k)


def test_jpeg_ls_near_lossless_renders_within_its_loss(developer):
    original = rendered(developer, (CORPUS / "MR_small.dcm").read_bytes())
    near = rendered(developer, recompressed("1.2.840.10008.1.2.4.81", lambda pixels: imagecodecs.jpegls_encode(pixels, level=2)))
    assert psnr(original, near) >= 35
