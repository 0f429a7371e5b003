"""Resize: the longest edge down to max_size, aspect kept, never upscaled."""

from PIL import Image


def fit_within(image: Image.Image, max_size: int | None) -> Image.Image:
    """Pillow's thumbnail reduces by whole factors first, then resamples with LANCZOS."""
    if max_size is None or max(image.size) <= max_size:
        return image
    resized = image.copy() if image.readonly else image
    resized.thumbnail((max_size, max_size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return resized
