"""What the caller asks of the renderer, and what it gets back."""

from dataclasses import dataclass

IMAGE_FORMATS = ("png", "jpeg", "gif")
DEFAULT_JPEG_QUALITY = 90


@dataclass(frozen=True)
class RenderOptions:
    image_format: str = "png"  # "png" | "jpeg" | "gif"
    frames: tuple[int, ...] | None = None  # 0-based indexes, in the order asked; None = all
    window: tuple[float, float] | None = None  # (center, width) override
    max_size: int | None = None  # longest edge in pixels; never upscales
    # JPEG, 1-100. None: not asked, so DEFAULT_JPEG_QUALITY, and stored 8-bit baseline JPEG frames
    # are sent as they are when rendering would not change a pixel (an explicit quality re-encodes).
    quality: int | None = None
    animate: bool = False  # gif only: one animated GIF of the selected frames
    png_compress_level: int = 1  # zlib level: 1 is several times faster than 6 for ~10% more bytes

    @property
    def jpeg_quality(self) -> int:
        return DEFAULT_JPEG_QUALITY if self.quality is None else self.quality


@dataclass
class RenderResult:
    images: list[bytes]  # encoded images, one per frame (or one animated GIF)
    rendering: dict | None  # {"window", "voi_source", "inverted", "color"} of the first rendered frame
    error: str | None  # why there are no images
