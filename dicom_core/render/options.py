"""What the caller asks of the renderer, each invariant checked once, when the options are made."""

import math
from dataclasses import dataclass

from dicom_core.errors import InvalidOptionError

IMAGE_FORMATS = ("png", "jpeg", "gif")
DEFAULT_JPEG_QUALITY = 90
QUALITY_RANGE = (1, 100)
MAX_SIZE_RANGE = (1, 10_000)  # longest edge of a rendered image, pixels
# PS3.3 C.11.2.1.2.1: for the linear VOI function (the one applied here, as DCMTK does) "Window
# Width shall always be greater than or equal to 1" (> 0 is LINEAR_EXACT's rule).
MIN_WINDOW_WIDTH = 1.0


@dataclass(frozen=True)
class RenderOptions:
    """Raises InvalidOptionError, its `field` naming the attribute at fault."""

    image_format: str = "png"  # "png" | "jpeg" | "gif"
    frames: tuple[int, ...] | None = None  # 0-based indexes, in the order asked; None = all
    window: tuple[float, float] | None = None  # (center, width) override
    max_size: int | None = None  # longest edge in pixels; never upscales
    # JPEG, 1-100. None: not asked, so DEFAULT_JPEG_QUALITY, and stored 8-bit baseline JPEG frames
    # are sent as they are when rendering would not change a pixel (an explicit quality re-encodes).
    quality: int | None = None
    animate: bool = False  # gif only: one animated GIF of the selected frames
    png_compress_level: int = 1  # zlib level: 1 is several times faster than 6 for ~10% more bytes

    def __post_init__(self):
        if self.image_format not in IMAGE_FORMATS:
            raise InvalidOptionError(f"The image format must be one of {', '.join(IMAGE_FORMATS)}.", field="image_format")
        if self.frames is not None and any(index < 0 for index in self.frames):
            raise InvalidOptionError("Frame indexes start at 0.", field="frames")
        if self.window is not None:
            center, width = self.window
            if not (math.isfinite(center) and math.isfinite(width)):
                raise InvalidOptionError("The window center and width must be finite numbers.", field="window")
            if width < MIN_WINDOW_WIDTH:
                raise InvalidOptionError(
                    f"The window width must be at least {MIN_WINDOW_WIDTH:g} (PS3.3 C.11.2.1.2.1).", field="window"
                )
        _check_range("max_size", self.max_size, MAX_SIZE_RANGE, "The longest edge")
        _check_range("quality", self.quality, QUALITY_RANGE, "The JPEG quality")
        if self.animate and self.image_format != "gif":
            raise InvalidOptionError("An animation needs the gif image format.", field="animate")
        if not 0 <= self.png_compress_level <= 9:
            raise InvalidOptionError("The PNG compression level must be from 0 to 9.", field="png_compress_level")

    @property
    def jpeg_quality(self) -> int:
        return DEFAULT_JPEG_QUALITY if self.quality is None else self.quality


def _check_range(name: str, value: int | None, bounds: tuple[int, int], what: str) -> None:
    if value is not None and not bounds[0] <= value <= bounds[1]:
        raise InvalidOptionError(f"{what} must be a whole number from {bounds[0]} to {bounds[1]}.", field=name)
