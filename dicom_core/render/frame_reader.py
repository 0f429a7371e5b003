"""Some frames of a long native file, rendered from its header and those frames' bytes alone.

A job splits a long cine into parts read by different workers (jobs/reading.py). Native
(uncompressed) frames lie at fixed places in the file: frame i's bytes start at the Pixel Data
value's offset + i x the frame's length. So a part after the first reads the header (every byte
before the Pixel Data element) and its own frames, not the whole file: for a 400-frame 256x256
cine, 3 MB a part in place of 52 MB read and copied twice. The images are those of the whole
file's rendering, byte for byte: the same pipeline renders each frame from a dataset holding
only that frame's pixels, with the frame's own index for its per-frame values, as the render
processes do (isolated.py); tests/dicom_core/test_frame_reader.py compares every frame
with the whole file's rendering.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from dicom_core.errors import MalformedInputError, NotDicomError
from dicom_core.limits import Limits
from dicom_core.reading import UNDEFINED_LENGTH, as_dicom_file, read_dataset
from dicom_core.render.decode import transfer_syntax
from dicom_core.render.frames import frame_count
from dicom_core.render.options import RenderOptions
from dicom_core.render.pipeline import RenderedImage, render_group
from dicom_core.render.reads import is_read_by_rendering
from dicom_core.render.stream import ImageStream, render
from dicom_core.render.values import whole

PIXEL_DATA_TAG = 0x7FE00010
# A value larger than this is skipped, not read, when the layout is found (only the offsets are wanted).
DEFER_BYTES = 1 << 16


@dataclass(frozen=True)
class NativeFrames:
    """Where a native file's frames lie: bytes [0, header_end) are everything before the Pixel
    Data element; frame i is frame_length bytes from pixel_offset + i x frame_length."""

    header_end: int
    pixel_offset: int
    frame_length: int


def native_frames(data: bytes, ds: Dataset) -> NativeFrames | None:
    """The layout of `data`'s frames (`ds`: data as read_dataset parsed it, with its pixels: its
    limits judged, so pydicom may parse it again here to find the offsets), or None when frames
    are not at fixed places: encapsulated or deflated data, 1-bit frames (not byte-aligned),
    YBR_FULL_422 (subsampled), float pixel data, pixel data shorter than declared (the whole file's
    rendering reports that), or an element rendering reads stored after the pixels."""
    element, shift = stored_pixel_data(data)
    return frames_at(ds, element, shift, len(data)) if element is not None else None


def native_frames_from_head(head: bytes, size: int, limits: Limits, convert_only) -> tuple[Dataset, NativeFrames] | None:
    """A long native file of `size` bytes planned from its first bytes `head`: its header (read
    by read_dataset, limits judged, `convert_only` converted; Pixel Data present and empty) and
    where its frames lie; None when the header does not end within `head` or the frames are not
    at fixed places (read the whole file then). What follows the frames is not seen: whoever
    reads the whole file checks that the layout holds (layout_holds)."""
    try:
        header = read_dataset(head, limits, stop_before_pixels=True, convert_only=convert_only)
        element, shift = stored_pixel_data(head, in_order_only=False)  # what follows is not in the head
    except (NotDicomError, MalformedInputError):  # cut within the header, or not DICOM: the whole file's read says
        return None
    if element is None:
        return None
    header.PixelData = b""  # declared by the header; the frames stay in the file
    layout = frames_at(header, element, shift, size)
    return (header, layout) if layout is not None else None


def layout_holds(data: bytes, layout: NativeFrames) -> bool:
    """Whether the whole file `data` (limits judged) has its frames where `layout` says, with no
    element rendering reads stored after them (which a header read alone would miss)."""
    element, shift = stored_pixel_data(data)
    return element is not None and element.value_tell - shift == layout.pixel_offset


def frames_at(ds: Dataset, element: RawDataElement, shift: int, size: int) -> NativeFrames | None:
    """The layout from the header's values (`ds`) and the Pixel Data element as parsed from bytes
    `shift` longer than the file (a preamble added), of `size` bytes in all."""
    uid = transfer_syntax(ds)
    bits = whole(ds, "BitsAllocated")
    if not uid.is_transfer_syntax or uid.is_compressed or uid.is_deflated or "PixelData" not in ds or bits not in (8, 16, 32, 64):
        return None
    if ds.get("PhotometricInterpretation") == "YBR_FULL_422":
        return None
    rows, columns, samples = whole(ds, "Rows", 0), whole(ds, "Columns", 0), whole(ds, "SamplesPerPixel", 1)
    frame_length = rows * columns * samples * bits // 8
    if element.length == UNDEFINED_LENGTH or element.length < frame_length * frame_count(ds) or not frame_length:
        return None
    pixel_offset = element.value_tell - shift
    if pixel_offset + frame_length * frame_count(ds) > size:  # the file ends before its frames do
        return None
    element_header = 8 if element.is_implicit_VR else 12  # tag, VR, 2 reserved bytes, 4-byte length
    return NativeFrames(pixel_offset - element_header, pixel_offset, frame_length)


def stored_pixel_data(data: bytes, *, in_order_only: bool = True) -> tuple[RawDataElement | None, int]:
    """The Pixel Data element of bytes whose limits read_dataset judged, as pydicom parses them with
    values over DEFER_BYTES skipped (seeked past, not read: only where they lie is wanted), and by how
    many bytes pydicom's input was longer than `data` (read_dataset may add a preamble). None with
    in_order_only when an element rendering reads is stored after it (out of order: a header read
    alone would miss it). Raises MalformedInputError when pydicom cannot parse them."""
    source = as_dicom_file(data)
    try:
        parsed = pydicom.dcmread(BytesIO(source), force=True, defer_size=DEFER_BYTES)
    except Exception:  # pydicom's parse failures are of many kinds (as in read_dataset)
        raise MalformedInputError("The DICOM file is malformed and cannot be parsed.") from None
    element = parsed.get_item(PIXEL_DATA_TAG, keep_deferred=True)
    if element is not None and in_order_only:
        for tag in parsed.keys():
            other = parsed.get_item(tag, keep_deferred=True)
            if is_read_by_rendering(tag) and isinstance(other, RawDataElement) and other.value_tell > element.value_tell:
                return None, 0
    return element, len(source) - len(data)


def render_native_frames(file: BinaryIO, layout: NativeFrames, options: RenderOptions, limits: Limits) -> ImageStream:
    """The images of options.frames (0-based, as asked) of the native file open in `file`,
    reading its header and those frames only. Raises what render raises."""
    file.seek(0)
    header = read_dataset(file.read(layout.header_end), limits, convert_only=is_read_by_rendering)
    header.PixelData = b""  # the header's frames are counted by NumberOfFrames; each frame comes from the file
    return render(header, options, limits, NativeFramesFromFile(file, layout))


class NativeFramesFromFile:
    """The executor (stream.py) that reads each frame's bytes from the file as it is rendered."""

    def __init__(self, file: BinaryIO, layout: NativeFrames):
        self.file, self.layout = file, layout

    def images(self, ds: Dataset, options: RenderOptions, limits: Limits, groups) -> Iterator[RenderedImage]:
        for group in groups:
            ds.PixelData = b"".join(self.frame(index) for index in group)
            ds.NumberOfFrames = len(group)
            yield render_group(ds, group, options, frames_alone=True)

    def frame(self, index: int) -> bytes:
        self.file.seek(self.layout.pixel_offset + index * self.layout.frame_length)
        return self.file.read(self.layout.frame_length)
