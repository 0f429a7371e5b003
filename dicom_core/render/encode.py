"""Encode: 8-bit images to PNG, JPEG or GIF bytes; several frames to one animated GIF."""

from io import BytesIO

from PIL import Image
from pydicom.dataset import Dataset

DEFAULT_FRAME_DURATION_MS = 100  # when the file gives no Frame Time, Frame Time Vector or Cine Rate


def encode_image(image: Image.Image, image_format: str, *, quality: int, png_compress_level: int) -> bytes:
    buffer = BytesIO()
    if image_format == "png":
        image.save(buffer, "PNG", compress_level=png_compress_level)
    elif image_format == "jpeg":
        image.save(buffer, "JPEG", quality=quality)
    elif image_format == "gif":
        gif_ready(image).save(buffer, "GIF")
    else:
        raise ValueError(f"Unknown image format {image_format!r}")
    return buffer.getvalue()


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
    if vector:
        increments = [float(v) for v in vector]
        per_frame = increments[1:] + increments[-1:]
        return [
            round_duration(per_frame[i]) if i < len(per_frame) else DEFAULT_FRAME_DURATION_MS for i in frames
        ]
    if ds.get("FrameTime"):
        return [round_duration(float(ds.FrameTime))] * len(frames)
    if ds.get("CineRate"):
        return [round_duration(1000.0 / float(ds.CineRate))] * len(frames)
    return [DEFAULT_FRAME_DURATION_MS] * len(frames)


def round_duration(milliseconds: float) -> int:
    """GIF counts in hundredths of a second; zero or negative means 'no time', so use the default."""
    return int(round(milliseconds)) if milliseconds > 0 else DEFAULT_FRAME_DURATION_MS
