"""The pipeline, one frame at a time: decode -> modality -> VOI -> invert -> color -> resize -> encode.

`plan_frames` makes every check once, before any decoding; `render_group` makes one image (a
frame, or an animated GIF of several), in whichever thread or process the executor chose.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from dicom_core.limits import Limits
from dicom_core.render.color import is_color, to_rgb8
from dicom_core.render.decode import decode_frame
from dicom_core.render.encode import encode_animated_gif, encode_image, frame_durations_ms
from dicom_core.render.frames import check_pixel_budget, has_pixel_data, pixel_description_problem, selected_frames
from dicom_core.render.options import RenderOptions
from dicom_core.render.resize import fit_within
from dicom_core.render.voi import Voi, choose_voi, display_values, grayscale_rendering

# Integer frames whose value range is at most this wide go through a lookup table built over
# that range (as DCMTK does): modality + VOI on <= 65536 values instead of on every pixel.
MAX_LUT_ENTRIES = 1 << 17


def render_frame(
    ds: Dataset, index: int, window: tuple[float, float] | None, stored_index: int | None = None
) -> tuple[np.ndarray, dict]:
    """Frame `index` as 8-bit grayscale (rows, columns) or RGB (rows, columns, 3), and how it was
    rendered. `stored_index`: where its pixels are in ds's pixel data, when not at `index` (a
    render process is sent the frame alone; its per-frame attributes are still the index's)."""
    array, photometric = decode_frame(ds, index if stored_index is None else stored_index, number=index + 1)
    if is_color(photometric) and (array.ndim == 3 or photometric == "PALETTE COLOR"):
        rendering = {"window": None, "voi_source": "none", "inverted": False, "color": "RGB"}
        return to_rgb8(array, ds, photometric), rendering
    if array.ndim == 3:  # a grayscale file whose decoder says otherwise: show the first sample
        array = array[..., 0]
    voi = choose_voi(ds, index, array.dtype.kind == "f", window)
    inverted = photometric == "MONOCHROME1"
    return grayscale_to_uint8(array, ds, index, voi, inverted), grayscale_rendering(voi, inverted)


def grayscale_to_uint8(array: np.ndarray, ds: Dataset, index: int, voi: Voi, inverted: bool) -> np.ndarray:
    if array.dtype.kind in "iu" and array.size:
        low, high = int(array.min()), int(array.max())
        if high - low < MAX_LUT_ENTRIES:
            domain = np.arange(low, high + 1, dtype=np.int64)
            lut = display_values(domain, ds, index, voi, inverted)
            if array.dtype == np.uint8 and low == 0 and np.array_equal(lut, domain):
                return array  # 8-bit data shown as stored (xa_96f's window 128/256): skip the lookup
            offsets = array if low == 0 else array.astype(np.int64) - low
            return lut[offsets]
    return display_values(array, ds, index, voi, inverted)


def to_image(pixels: np.ndarray, max_size: int | None) -> Image.Image:
    return fit_within(Image.fromarray(pixels), max_size)


def no_pixel_data_reason(ds: Dataset) -> str:
    sop_class = ds.get("SOPClassUID")
    if isinstance(sop_class, MultiValue):  # a damaged file can carry several
        sop_class = sop_class[0] if sop_class else None
    name = f"{UID(sop_class).name}, {sop_class}" if isinstance(sop_class, str) and sop_class else "no SOP class"
    return f"No pixel data in this file (SOP class {name})."


@dataclass(frozen=True)
class FramePlan:
    """What one file's rendering will make: each group of 0-based frames becomes one image (one
    frame each, or all of them in one animated GIF); or why there will be no image at all."""

    groups: tuple[tuple[int, ...], ...]
    no_image_reason: str | None = None


def plan_frames(ds: Dataset, options: RenderOptions, limits: Limits) -> FramePlan:
    """Every check, once, before any decoding. Raises InvalidOptionError (a frame the file does
    not have) and LimitExceededError (the declared pixel bytes)."""
    indexes = selected_frames(ds, options.frames)
    if not has_pixel_data(ds):
        return FramePlan(groups=(), no_image_reason=no_pixel_data_reason(ds))
    problem = pixel_description_problem(ds)
    if problem is not None:
        return FramePlan(groups=(), no_image_reason=problem)
    check_pixel_budget(ds, limits)
    if options.animate:
        return FramePlan(groups=(tuple(indexes),))
    return FramePlan(groups=tuple((index,) for index in indexes))


@dataclass(frozen=True)
class RenderedImage:
    image: bytes  # PNG, JPEG or GIF
    rendering: dict  # {"window", "voi_source", "inverted", "color"} of its (first) frame


def render_group(ds: Dataset, group: tuple[int, ...], options: RenderOptions, *, frames_alone: bool = False) -> RenderedImage:
    """One image: the frame of a one-frame group, or an animated GIF of the group's frames.
    frames_alone: ds's pixel data holds the group's frames only, in order (see isolated.py).
    Raises UndecodableFrameError when a decoder cannot read a frame."""
    if options.animate:
        images, renderings = [], []
        for position, index in enumerate(group):
            pixels, rendering = render_frame(ds, index, options.window, position if frames_alone else None)
            images.append(to_image(pixels, options.max_size))
            renderings.append(rendering)
        return RenderedImage(encode_animated_gif(images, frame_durations_ms(ds, list(group))), renderings[0])
    (index,) = group
    pixels, rendering = render_frame(ds, index, options.window, 0 if frames_alone else None)
    image = encode_image(
        to_image(pixels, options.max_size), options.image_format,
        quality=options.jpeg_quality, png_compress_level=options.png_compress_level,
    )
    return RenderedImage(image, rendering)
