"""Color: palettes and YBR to RGB, and RGB of more than 8 bits scaled by its bit depth."""

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_color_lut, convert_color_space

from dicom_core.render.values import whole

# What each decoded photometric interpretation needs to become RGB. J2K decoders apply the
# inverse component transform of YBR_ICT / YBR_RCT themselves, so those arrive as RGB values.
YBR_FULL_FAMILY = {"YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422", "YBR_PARTIAL_420"}
ALREADY_RGB = {"RGB", "YBR_ICT", "YBR_RCT"}


def is_color(photometric: str) -> bool:
    return photometric == "PALETTE COLOR" or photometric in YBR_FULL_FAMILY | ALREADY_RGB


def to_rgb8(array: np.ndarray, ds: Dataset, photometric: str) -> np.ndarray:
    """A decoded color frame as (rows, columns, 3) uint8."""
    if photometric == "PALETTE COLOR":
        return palette_to_rgb8(array, ds)
    bits = whole(ds, "BitsStored", low=1, high=16) or whole(ds, "BitsAllocated", 8, low=1, high=16)
    if photometric in YBR_FULL_FAMILY:  # only 8-bit YBR exists in practice
        array = convert_color_space(array, "YBR_FULL", "RGB")
    return scale_to_uint8(array, bits)


def palette_to_rgb8(array: np.ndarray, ds: Dataset) -> np.ndarray:
    """pydicom's LUT lookup handles segmented and 16-bit palettes; the result is cut to 8 bits."""
    rgb = apply_color_lut(array, ds)
    if rgb.dtype == np.uint8:
        return rgb
    # A palette declared 16-bit whose entries all fit in 8 bits is 8-bit data (as DCMTK reads it).
    return rgb.astype(np.uint8) if int(rgb.max()) < 256 else (rgb >> 8).astype(np.uint8)


def scale_to_uint8(array: np.ndarray, bits: int) -> np.ndarray:
    if array.dtype == np.uint8 and bits == 8:
        return array
    maximum = float((1 << bits) - 1)
    scaled = np.clip(array, 0, maximum).astype(np.float64) * (255.0 / maximum)
    return np.rint(scaled).astype(np.uint8)
