"""The floor: the least work that gives the endpoint's answer, in-process and independent of the
service's code. Read with pydicom, decode each frame with the fastest decoder, window to 8 bits
with numpy, encode (PNG: rows filtered "Up" by numpy, deflated at level 1 by libdeflate, ~5x
faster than Pillow's PNG encoder; JPEG: Pillow, quality 90), frames of a multi-frame file spread
over 2 processes, base64, json.dumps. 8-bit JPEG Baseline frames that the window leaves as they are
(window 128/256 or none, no rescale) are sent as stored when JPEG is asked, as the endpoint does.
"""

import base64
import json
import multiprocessing
import struct
import zlib
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO

import imagecodecs
import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.multival import MultiValue
from pydicom.pixels import get_decoder

PROCESSES = 2
PNG_COMPRESS_LEVEL = 1
JPEG_QUALITY = 90  # the service's default
MAX_VALUE_CHARS = 256  # metadata values are previews, as in the endpoint's answer

# Fastest plugin per transfer syntax, measured here: Pillow's libjpeg-turbo is ~3x faster than GDCM
# on 8-bit baseline JPEG; pylibjpeg-openjpeg ~1.8x faster than GDCM on JPEG 2000.
FASTEST_PLUGIN = {
    "1.2.840.10008.1.2.4.50": "pillow",
    "1.2.840.10008.1.2.4.90": "pylibjpeg",
    "1.2.840.10008.1.2.4.91": "pylibjpeg",
}


def start_pool() -> ProcessPoolExecutor:
    """Spawned processes with the imports already paid, like a warm service."""
    pool = ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn"))
    for future in [pool.submit(np.zeros, 1) for _ in range(PROCESSES)]:
        future.result()
    return pool


def floor_job(data: bytes, image_format: str, pool: ProcessPoolExecutor) -> str:
    """The JSON text answering one file: its metadata, then every frame as base64 images."""
    ds = dcmread(BytesIO(data))
    frames = int(ds.get("NumberOfFrames") or 1)
    if image_format == "jpeg" and stored_jpeg_unchanged(ds):
        images = list(generate_frames(ds.PixelData, number_of_frames=frames))
    elif frames == 1:
        images = render_frames(data, [0], image_format)
    else:
        size = -(-frames // PROCESSES)
        chunks = [list(range(start, min(start + size, frames))) for start in range(0, frames, size)]
        futures = [pool.submit(render_frames, data, chunk, image_format) for chunk in chunks]
        images = [image for future in futures for image in future.result()]
    answer = metadata(ds)
    answer["ImageFormat"] = image_format.upper()
    answer["Images"] = [base64.b64encode(image).decode("ascii") for image in images]
    return json.dumps(answer)


def stored_jpeg_unchanged(ds: Dataset) -> bool:
    """8-bit MONOCHROME2 JPEG Baseline whose rescale and window map 0..255 to itself."""
    window = (first(ds.WindowCenter), first(ds.WindowWidth)) if "WindowCenter" in ds else (128.0, 256.0)
    return (
        ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50"
        and ds.get("PhotometricInterpretation") == "MONOCHROME2"
        and ds.get("BitsStored") == 8
        and float(ds.get("RescaleSlope", 1) or 1) == 1
        and float(ds.get("RescaleIntercept", 0) or 0) == 0
        and window == (128.0, 256.0)
    )


def metadata(ds: Dataset) -> dict[str, str]:
    return {
        element.keyword or str(element.tag): str(element.value)[:MAX_VALUE_CHARS]
        for element in ds
        if element.keyword != "PixelData"
    }


def render_frames(data: bytes, indexes: list[int], image_format: str) -> list[bytes]:
    ds = dcmread(BytesIO(data))
    uid = ds.file_meta.TransferSyntaxUID
    decoder = get_decoder(uid)
    plugin = FASTEST_PLUGIN.get(str(uid), "")
    encoded = []
    for index in indexes:
        array, _ = decoder.as_array(ds, index=index, decoding_plugin=plugin)
        encoded.append(encode(to_uint8(array, ds), image_format))
    return encoded


def to_uint8(array: np.ndarray, ds: Dataset) -> np.ndarray:
    """Grayscale through rescale and the file's window (else min-max), via a table over every
    value an 8/16-bit dtype can hold (cheaper than arithmetic on every pixel); color (8-bit RGB
    in these inputs) as it is."""
    if array.ndim == 3:
        return array
    if array.dtype.kind not in "iu" or array.dtype.itemsize > 2:
        return window(array, ds, array)
    unsigned = np.dtype(f"u{array.dtype.itemsize}")
    domain = np.arange(1 << (8 * array.dtype.itemsize), dtype=unsigned).view(array.dtype)
    return window(domain, ds, array)[array.view(unsigned)]


def window(values: np.ndarray, ds: Dataset, array: np.ndarray) -> np.ndarray:
    """The linear VOI function of PS3.3 C.11.2.1.2 on rescaled values, to 0..255."""
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    rescaled = values.astype(np.float32) * slope + intercept
    if "WindowCenter" in ds and "WindowWidth" in ds:
        center, width = first(ds.WindowCenter), first(ds.WindowWidth)
    else:
        low, high = float(array.min()) * slope + intercept, float(array.max()) * slope + intercept
        center, width = (low + high) / 2, max(high - low, 1) + 1
    scaled = ((rescaled - (center - 0.5)) / max(width - 1, 1) + 0.5) * 255
    return np.clip(scaled, 0, 255).astype(np.uint8)


def first(value) -> float:
    return float(value[0] if isinstance(value, MultiValue) else value)


def encode(pixels: np.ndarray, image_format: str) -> bytes:
    if image_format == "png":
        return png(pixels)
    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def png(pixels: np.ndarray) -> bytes:
    """8-bit gray or RGB PNG: filter type 2 ("Up") on every row (the row above the first is zeros)."""
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    filtered = np.hstack([np.full((height, 1), 2, np.uint8), np.diff(rows, axis=0, prepend=np.zeros_like(rows[:1]))])
    color_type = 2 if pixels.ndim == 3 else 0

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    idat = imagecodecs.deflate_encode(filtered.tobytes(), level=PNG_COMPRESS_LEVEL)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
