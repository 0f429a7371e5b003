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
    limits judged, so pydicom may parse it again here to find the offsets), or None when frames are not at fixed places: encapsulated or deflated data, 1-bit frames (not
    byte-aligned), YBR_FULL_422 (subsampled), float pixel data, or pixel data shorter than
    declared (the whole file's rendering reports that)."""
    uid = transfer_syntax(ds)
    bits = whole(ds, "BitsAllocated")
    if not uid.is_transfer_syntax or uid.is_compressed or uid.is_deflated or "PixelData" not in ds or bits not in (8, 16, 32, 64):
        return None
    if ds.get("PhotometricInterpretation") == "YBR_FULL_422":
        return None
    rows, columns, samples = whole(ds, "Rows", 0), whole(ds, "Columns", 0), whole(ds, "SamplesPerPixel", 1)
    frame_length = rows * columns * samples * bits // 8
    source = as_dicom_file(data)  # the bytes as read_dataset parsed them (it may add a preamble)
    layout = pydicom.dcmread(BytesIO(source), force=True, defer_size=DEFER_BYTES)
    element = layout.get_item(PIXEL_DATA_TAG, keep_deferred=True)
    if element is None or element.length == UNDEFINED_LENGTH or element.length < frame_length * frame_count(ds) or not frame_length:
        return None
    if any(is_read_by_rendering(tag) and stored_after(layout.get_item(tag, keep_deferred=True), element) for tag in layout.keys()):
        return None  # out of order: the header alone would miss it
    pixel_offset = element.value_tell - (len(source) - len(data))
    if pixel_offset + frame_length * frame_count(ds) > len(data):  # the file ends before its frames do
        return None
    element_header = 8 if element.is_implicit_VR else 12  # tag, VR, 2 reserved bytes, 4-byte length
    return NativeFrames(pixel_offset - element_header, pixel_offset, frame_length)


def stored_after(element, pixel_data: RawDataElement) -> bool:
    return isinstance(element, RawDataElement) and element.value_tell > pixel_data.value_tell


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
