"""The pipeline, one frame at a time: decode -> modality -> VOI -> invert -> color -> resize -> encode."""

from collections.abc import Iterator

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from dicom_core.errors import InvalidOptionError, LimitExceededError
from dicom_core.limits import Limits
from dicom_core.render.color import is_color, to_rgb8
from dicom_core.render.decode import UndecodableFrameError, decode_frame, is_decoder_failure
from dicom_core.render.encode import encode_animated_gif, encode_image, frame_durations_ms
from dicom_core.render.frames import check_pixel_budget, has_pixel_data, selected_frames
from dicom_core.render.options import RenderOptions, RenderResult
from dicom_core.render.passthrough import stored_jpeg_frames
from dicom_core.render.resize import fit_within
from dicom_core.render.voi import Voi, choose_voi, display_values, grayscale_rendering

# Integer frames whose value range is at most this wide go through a lookup table built over
# that range (as DCMTK does): modality + VOI on <= 65536 values instead of on every pixel.
MAX_LUT_ENTRIES = 1 << 17


def render_frame(ds: Dataset, index: int, window: tuple[float, float] | None) -> tuple[np.ndarray, dict]:
    """One frame as 8-bit grayscale (rows, columns) or RGB (rows, columns, 3), and how it was rendered."""
    array, photometric = decode_frame(ds, index)
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
    name = f"{UID(sop_class).name}, {sop_class}" if sop_class else "no SOP class"
    return f"No pixel data in this file (SOP class {name})."


def checked_frames(ds: Dataset, options: RenderOptions, limits: Limits) -> list[int]:
    """The frames to render. Raises InvalidOptionError, LimitExceededError, and
    UndecodableFrameError when there is no pixel data."""
    indexes = selected_frames(ds, options.frames)
    if not has_pixel_data(ds):
        raise UndecodableFrameError(no_pixel_data_reason(ds))
    check_pixel_budget(ds, limits)
    return indexes


def encode_for(image: Image.Image, options: RenderOptions) -> bytes:
    return encode_image(
        image, options.image_format, quality=options.jpeg_quality, png_compress_level=options.png_compress_level
    )


def iter_frame_images(ds: Dataset, options: RenderOptions, indexes: list[int]) -> Iterator[tuple[Image.Image, dict]]:
    for index in indexes:
        pixels, rendering = render_frame(ds, index, options.window)
        yield to_image(pixels, options.max_size), rendering


def render_dataset(ds: Dataset, options: RenderOptions, limits: Limits) -> RenderResult:
    """Every selected frame encoded (or stored JPEG frames sent as they are, see passthrough.py),
    or an error saying why there are no images.

    Raises only for the caller's fault or a limit: InvalidOptionError, LimitExceededError.
    A frame that cannot be decoded (truncated, corrupt, unsupported, a decoder panic) gives
    no images and the reason in `error`.
    """
    images: list[bytes] = []
    frames: list[Image.Image] = []
    rendering = None
    try:
        indexes = checked_frames(ds, options, limits)
        stored = stored_jpeg_frames(ds, options, indexes)
        if stored is not None:
            return stored
        for image, frame_rendering in iter_frame_images(ds, options, indexes):
            rendering = rendering or frame_rendering
            if options.animate and options.image_format == "gif":
                frames.append(image)
            else:
                images.append(encode_for(image, options))
    except UndecodableFrameError as exc:
        return RenderResult(images=[], rendering=None, error=str(exc))
    except (InvalidOptionError, LimitExceededError):
        raise
    except BaseException as exc:  # any other failure of a decoder or of broken pixel data
        if not is_decoder_failure(exc):
            raise
        reason = f"The pixel data could not be rendered: {type(exc).__name__}: {exc}"
        return RenderResult(images=[], rendering=None, error=reason)
    if frames:
        images = [encode_animated_gif(frames, frame_durations_ms(ds, indexes))]
    return RenderResult(images=images, rendering=rendering, error=None)
