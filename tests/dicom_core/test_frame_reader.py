"""Frames of a native file rendered from its header and their own bytes (render/frame_reader.py):
pinned to the whole file's rendering, image for image."""

from io import BytesIO

import numpy as np
import pydicom
import pytest

from bench.job_client import cine
from dicom_core.limits import Limits
from dicom_core.reading import read_dataset
from dicom_core.render import IN_THREAD, RenderOptions, render
from dicom_core.render.frame_reader import layout_holds, native_frames, native_frames_from_head, render_native_frames
from tests.conftest import CORPUS

LIMITS = Limits()


def multi_frame(name: str, frames: int) -> bytes:
    """A corpus file made `frames` frames long (each its first frame's pixels shifted, so no two
    frames are alike), in its own transfer syntax (big endian and implicit VR included)."""
    ds = pydicom.dcmread(CORPUS / name)
    frame = ds.pixel_array
    stack = np.stack([np.roll(frame, shift * 7, axis=0) for shift in range(frames)])
    ds.NumberOfFrames = frames
    ds.PixelData = stack.astype(stack.dtype.newbyteorder(">" if not ds.original_encoding[1] else "<")).tobytes()
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def whole_file(data: bytes, options: RenderOptions):
    return render(read_dataset(data, LIMITS), options, LIMITS, IN_THREAD).collect()


def frames_alone(data: bytes, options: RenderOptions):
    layout = native_frames(data, read_dataset(data, LIMITS))
    assert layout is not None
    return render_native_frames(BytesIO(data), layout, options, LIMITS).collect()


SOURCES = {
    "emri_small.dcm (enhanced MR, per-frame values)": lambda: (CORPUS / "emri_small.dcm").read_bytes(),
    "eCT_Supplemental.dcm": lambda: (CORPUS / "eCT_Supplemental.dcm").read_bytes(),
    "big endian": lambda: multi_frame("MR_small_bigendian.dcm", 6),
    "implicit VR": lambda: multi_frame("MR_small_implicit.dcm", 6),
    "RGB": lambda: multi_frame("SC_rgb.dcm", 4),
    "8-bit palette": lambda: multi_frame("examples_palette.dcm", 3),
}


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("options", [RenderOptions(), RenderOptions(image_format="jpeg", max_size=32), RenderOptions(window=(40.0, 400.0))])
def test_frames_read_alone_render_as_the_whole_file_does(source, options):
    data = SOURCES[source]()
    count = int(read_dataset(data, LIMITS).get("NumberOfFrames", 1))
    asked = tuple(range(count - 1, 0, -2)) or (0,)  # later frames first, some skipped
    narrowed = RenderOptions(**{**options.__dict__, "frames": asked})
    expected, got = whole_file(data, narrowed), frames_alone(data, narrowed)
    assert got.error is None and len(got.images) == len(asked)
    assert got.images == expected.images and got.rendering == expected.rendering


@pytest.mark.parametrize(
    "name",
    ["SC_rgb_rle_2frame.dcm", "image_dfl.dcm", "liver_1frame.dcm", "SC_ybr_full_422_uncompressed.dcm", "MR_truncated.dcm", "parametric_map_double_float.dcm", "rtplan.dcm"],
)
def test_frames_not_at_fixed_places_have_no_layout(name):
    """Encapsulated, deflated, 1-bit, subsampled, truncated, float, none: the whole file is read."""
    data = (CORPUS / name).read_bytes()
    assert native_frames(data, read_dataset(data, LIMITS)) is None


def test_a_file_without_preamble_has_its_frames_where_they_are():
    with_preamble = multi_frame("MR_small.dcm", 3)
    data = with_preamble[128:]  # 'DICM' first: read_dataset adds the preamble back
    options = RenderOptions(frames=(2, 0))
    assert frames_alone(data, options).images == whole_file(data, options).images
    assert native_frames(data, read_dataset(data, LIMITS)).pixel_offset == native_frames(with_preamble, read_dataset(with_preamble, LIMITS)).pixel_offset - 128


def out_of_order(data: bytes) -> bytes:
    """`data` with a Window Center (0028,1050) stored after its pixel data: pydicom reads it, a
    header read alone would not see it."""
    return data + b"\x28\x00\x50\x10DS\x02\x0040"


def test_a_long_file_is_planned_from_its_header_alone():
    data = cine(30, 256, 256)  # 3.9 MB
    head = data[: 1 << 20]
    found = native_frames_from_head(head, len(data), LIMITS, None)
    assert found is not None
    header, layout = found
    whole = read_dataset(data, LIMITS)
    assert layout == native_frames(data, whole) and layout_holds(data, layout)
    assert int(header.NumberOfFrames) == 30 and header.Rows == whole.Rows and "PixelData" in header
    assert native_frames_from_head(data[: layout.header_end - 10], len(data), LIMITS, None) is None  # cut within the header
    options = RenderOptions(frames=(29, 3))  # what its later parts render from that layout
    assert render_native_frames(BytesIO(data), layout, options, LIMITS).collect().images == whole_file(data, options).images


def test_an_element_rendering_reads_after_the_pixels_breaks_the_layout():
    data = out_of_order(cine(30, 256, 256))
    layout = native_frames_from_head(data[: 1 << 20], len(data), LIMITS, None)[1]  # the header alone cannot tell
    assert not layout_holds(data, layout)
    assert native_frames(data, read_dataset(data, LIMITS)) is None
