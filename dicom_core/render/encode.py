"""Encode: 8-bit images to PNG, JPEG or GIF bytes; several frames to one animated GIF."""

import math
import struct
import zlib
from io import BytesIO

import imagecodecs
import numpy as np
from PIL import Image
from collections.abc import Sequence

from pydicom.dataset import Dataset

from dicom_core.render.values import first_number, number

DEFAULT_FRAME_DURATION_MS = 100  # when the file gives no Frame Time, Frame Time Vector or Cine Rate
MAX_GIF_FRAME_DURATION_MS = 65535 * 10
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_COLOR_TYPES = {"L": 0, "RGB": 2}
PNG_FILTER_UP = 2


def encode_image(image: Image.Image, image_format: str, *, quality: int, png_compress_level: int) -> bytes:
    if image_format == "png":
        return encode_png(image, png_compress_level)
    buffer = BytesIO()
    if image_format == "jpeg":
        image.save(buffer, "JPEG", quality=quality)
    elif image_format == "gif":
        gif_ready(image).save(buffer, "GIF")
    else:
        raise ValueError(f"Unknown image format {image_format!r}")
    return buffer.getvalue()


def encode_png(image: Image.Image, compress_level: int) -> bytes:
    """An 8-bit L or RGB PNG, every row filtered "Up" (numpy) and deflated by libdeflate: ~5x
    faster than Pillow's encoder (adaptive filters, zlib) at level 1, and 7% smaller over the corpus."""
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    filtered = np.empty((height, rows.shape[1] + 1), np.uint8)
    filtered[:, 0] = PNG_FILTER_UP
    filtered[0, 1:] = rows[0]  # the row above the first is zeros
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, 8, PNG_COLOR_TYPES[image.mode], 0, 0, 0)
    compressed = imagecodecs.deflate_encode(filtered, level=compress_level)
    return b"".join([PNG_SIGNATURE, *png_chunk(b"IHDR", header), *png_chunk(b"IDAT", compressed), *png_chunk(b"IEND", b"")])


def png_chunk(kind: bytes, payload: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """Length, type, data, CRC: kept apart so a large IDAT is copied once, into the file."""
    crc = zlib.crc32(payload, zlib.crc32(kind))
    return struct.pack(">I", len(payload)), kind, payload, struct.pack(">I", crc)


def gif_ready(image: Image.Image) -> Image.Image:
    """GIF holds 256 colors: grayscale maps exactly, RGB is quantized."""
    return image if image.mode == "L" else image.quantize(256)


def encode_animated_gif(images: list[Image.Image], durations_ms: list[int]) -> bytes:
    frames = [gif_ready(image) for image in images]
    buffer = BytesIO()
    frames[0].save(
        buffer, "GIF", save_all=True, append_images=frames[1:], duration=durations_ms, loop=0
    )
    return buffer.getvalue()


def frame_durations_ms(ds: Dataset, frames: list[int]) -> list[int]:
    """How long each selected frame shows: Frame Time Vector, Frame Time, Cine Rate, else 100 ms.

    Frame Time Vector holds the increment from the previous frame (its first entry is 0),
    so a frame lasts until the next one starts: entry i + 1.
    """
    vector = ds.get("FrameTimeVector")
    if vector and not isinstance(vector, (str, bytes)) and isinstance(vector, Sequence):
        increments = [first_number([v]) or 0.0 for v in vector]
        per_frame = increments[1:] + increments[-1:]
        return [
            round_duration(per_frame[i]) if i < len(per_frame) else DEFAULT_FRAME_DURATION_MS for i in frames
        ]
    if number(ds, "FrameTime"):
        return [round_duration(number(ds, "FrameTime"))] * len(frames)
    if number(ds, "CineRate"):
        return [round_duration(1000.0 / number(ds, "CineRate"))] * len(frames)
    return [DEFAULT_FRAME_DURATION_MS] * len(frames)


def round_duration(milliseconds: float) -> int:
    """GIF counts in hundredths of a second in 16 bits; zero, negative or not a number means
    'no time', so use the default."""
    if not (math.isfinite(milliseconds) and milliseconds > 0):
        return DEFAULT_FRAME_DURATION_MS
    return min(int(round(milliseconds)), MAX_GIF_FRAME_DURATION_MS)
