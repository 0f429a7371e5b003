"""VOI: modality values to 8-bit display values, with the source chosen as API.md says.

Order: the request's window, the first Window Center/Width of the file, the first VOI LUT
Sequence item, the frame's window in the enhanced functional groups, data of 8 bits or fewer
shown as stored, else the frame's own min-max.
"""

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_voi

from dicom_core.render.modality import apply_modality, first_item, frame_group_item
from dicom_core.render.values import lut_descriptor, number, whole


@dataclass(frozen=True)
class Voi:
    source: str  # "request" | "file-window" | "voi-lut" | "none" | "min-max"
    window: tuple[float, float] | None = None  # (center, width) for the linear function


def window_of(item: Dataset | None) -> tuple[float, float] | None:
    """The first Window Center/Width pair (they are multi-valued: the first is the default view);
    None when either is absent or no number."""
    center, width = number(item, "WindowCenter"), number(item, "WindowWidth")
    return None if center is None or width is None else (center, width)


def choose_voi(ds: Dataset, index: int, float_pixels: bool, requested: tuple[float, float] | None) -> Voi:
    if requested is not None:
        return Voi("request", (float(requested[0]), float(requested[1])))
    if float_pixels:
        return Voi("min-max")
    if (window := window_of(ds)) is not None:
        return Voi("file-window", window)
    if lut_descriptor(first_item(ds, "VOILUTSequence")) is not None:
        return Voi("voi-lut")
    if (window := window_of(frame_group_item(ds, index, "FrameVOILUTSequence"))) is not None:
        return Voi("file-window", window)
    if bits_stored(ds, 16) <= 8:
        return Voi("none")
    return Voi("min-max")


def linear_window(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 (LINEAR) to 0..255."""
    if width <= 1:  # the formula divides by width - 1: a width of 1 is a threshold
        return np.where(values > center - 0.5, 255, 0).astype(np.uint8)
    scaled = (values - (center - 0.5)) / (width - 1) + 0.5
    return to_uint8(scaled)


def stretch(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map [low, high] linearly to 0..255."""
    if high <= low:
        return np.zeros(values.shape, np.uint8)
    return to_uint8((values - low) / (high - low))


def to_uint8(unit: np.ndarray) -> np.ndarray:
    """0..1 floats to 0..255, rounded and clipped, in place where possible."""
    unit = np.multiply(unit, 255.0, out=unit if unit.dtype == np.float64 else None)
    np.clip(unit, 0, 255, out=unit)
    return np.rint(unit, out=unit).astype(np.uint8)


def bits_stored(ds: Dataset, default: int) -> int:
    return whole(ds, "BitsStored", low=1, high=64) or whole(ds, "BitsAllocated", default, low=1, high=64)


def stored_range(ds: Dataset) -> tuple[int, int]:
    bits = bits_stored(ds, 8)
    if whole(ds, "PixelRepresentation", 0) == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def apply_voi_lut_sequence(values: np.ndarray, ds: Dataset) -> np.ndarray:
    """The first VOI LUT, its output scaled by the LUT's declared bits per entry."""
    _, _, bits = lut_descriptor(first_item(ds, "VOILUTSequence"))
    lut_input = np.rint(values).astype(np.int64)  # LUTs are indexed by integers
    output = apply_voi(lut_input, ds, index=0).astype(np.float64)
    return to_uint8(output / ((1 << bits) - 1))


def apply_display_voi(values: np.ndarray, ds: Dataset, index: int, voi: Voi) -> np.ndarray:
    """Modality values (float) to uint8 by the chosen VOI."""
    if voi.window is not None:
        return linear_window(values, *voi.window)
    if voi.source == "voi-lut":
        return apply_voi_lut_sequence(values, ds)
    if voi.source == "none":
        low, high = apply_modality(np.array(stored_range(ds)), ds, index)
        return stretch(values, float(min(low, high)), float(max(low, high)))
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return np.zeros(values.shape, np.uint8)
    return stretch(np.nan_to_num(values), float(finite.min()), float(finite.max()))


def display_values(stored: np.ndarray, ds: Dataset, index: int, voi: Voi, inverted: bool) -> np.ndarray:
    """Stored values to the 8-bit values shown: modality, VOI, then MONOCHROME1 inversion."""
    display = apply_display_voi(apply_modality(stored, ds, index), ds, index, voi)
    return np.subtract(255, display, out=display) if inverted else display


def grayscale_rendering(voi: Voi, inverted: bool) -> dict:
    """How a grayscale frame was rendered, as the API reports it."""
    return {
        "window": list(voi.window) if voi.window else None,
        "voi_source": voi.source,
        "inverted": inverted,
        "color": "grayscale",
    }
