"""Stored JPEG frames sent as they are, when rendering them would not change a single pixel.

An 8-bit MONOCHROME2 JPEG Baseline frame whose modality + VOI map every stored value 0..255 to
itself (no rescale, no window or the window 128/256, no LUT) renders to its own decoded pixels:
asked for as JPEG at no explicit quality and full size, the stored frame is that image already,
without a lossy second generation, and costs no decoding (~50x faster than re-encoding).
"""

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames

from dicom_core.errors import MalformedInputError
from dicom_core.images import JPEG_BASELINE_SOF, read_jpeg_header
from dicom_core.render.decode import transfer_syntax
from dicom_core.render.frames import frame_count
from dicom_core.render.pipeline import RenderedImage
from dicom_core.render.options import RenderOptions
from dicom_core.render.voi import choose_voi, display_values, grayscale_rendering

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
STORED_VALUES = np.arange(256, dtype=np.uint8)


def stored_jpeg_frames(ds: Dataset, options: RenderOptions, indexes: list[int]) -> list[RenderedImage] | None:
    """The selected frames' stored bytes and their rendering, or None when they must be rendered."""
    if not (asks_unchanged_jpeg(options) and is_plain_baseline_gray(ds)):
        return None
    renderings = [identity_rendering(ds, index, options.window) for index in indexes]
    if not renderings or None in renderings:
        return None
    frames = stored_frames(ds, indexes)
    if frames is None or not all(is_baseline_gray_frame(frame, ds) for frame in frames):
        return None
    return [RenderedImage(frame, rendering) for frame, rendering in zip(frames, renderings)]


def asks_unchanged_jpeg(options: RenderOptions) -> bool:
    return (
        options.image_format == "jpeg"
        and options.quality is None
        and options.max_size is None
        and not options.animate
    )


def is_plain_baseline_gray(ds: Dataset) -> bool:
    return (
        transfer_syntax(ds) == JPEG_BASELINE
        and ds.get("PhotometricInterpretation") == "MONOCHROME2"
        and ds.get("SamplesPerPixel", 1) == 1
        and ds.get("BitsAllocated") == 8
        and ds.get("BitsStored", 8) == 8
        and ds.get("PixelRepresentation", 0) == 0
    )


def identity_rendering(ds: Dataset, index: int, window: tuple[float, float] | None) -> dict | None:
    """The frame's rendering when its modality + VOI leave every value 0..255 as it is, else None."""
    try:
        voi = choose_voi(ds, index, False, window)
        shown = display_values(STORED_VALUES, ds, index, voi, False)
    except Exception:  # a malformed window, rescale or LUT: rendering (in the pool) says what is wrong
        return None
    return grayscale_rendering(voi, False) if np.array_equal(shown, STORED_VALUES) else None


def stored_frames(ds: Dataset, indexes: list[int]) -> list[bytes] | None:
    """Each selected frame's bytes (its fragments joined), or None when the fragments do not say."""
    offsets = None
    if "ExtendedOffsetTable" in ds and "ExtendedOffsetTableLengths" in ds:
        offsets = (ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths)
    try:
        frames = list(generate_frames(ds.PixelData, number_of_frames=frame_count(ds), extended_offsets=offsets))
    except (ValueError, TypeError, KeyError, EOFError):
        return None
    if len(frames) != frame_count(ds):
        return None
    return [frames[index] for index in indexes]


def is_baseline_gray_frame(frame: bytes, ds: Dataset) -> bool:
    """The frame's own header agrees: 8-bit baseline, one component, the dataset's size."""
    try:
        header = read_jpeg_header(frame)
    except MalformedInputError:
        return False
    return (
        header.sof_marker == JPEG_BASELINE_SOF
        and header.precision == 8
        and header.components == 1
        and (header.height, header.width) == (ds.get("Rows"), ds.get("Columns"))
    )
