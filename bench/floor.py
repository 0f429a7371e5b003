"""The floor: the least work that gives the endpoint's answer, in-process and independent of the
service's code. Read with pydicom, decode each frame with the fastest decoder, window to 8 bits
with numpy, encode with Pillow (PNG compress_level=1, or JPEG), frames of a multi-frame file spread
over 2 processes, base64, json.dumps.
"""

import base64
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset
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
    if frames == 1:
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
    buffer = BytesIO()
    if image_format == "png":
        Image.fromarray(pixels).save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        Image.fromarray(pixels).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
