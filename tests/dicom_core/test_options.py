"""The core's read options: the frame list syntax, and the invariants each option object checks."""

import math
import time
import tracemalloc

import pytest

from dicom_core.errors import InvalidOptionError
from dicom_core.options import MAX_FRAMES_ASKED, ReadOptions, parse_frames
from dicom_core.render.options import DEFAULT_JPEG_QUALITY, RenderOptions


def assert_invalid(call, *args, field: str, mentions: str = "", **kwargs) -> None:
    with pytest.raises(InvalidOptionError) as error:
        call(*args, **kwargs)
    assert error.value.field == field
    assert mentions in error.value.message


@pytest.mark.parametrize(
    "text, frames",
    [
        ("1", (0,)),
        ("1,3,5-9", (0, 2, 4, 5, 6, 7, 8)),
        ("9-10, 2", (8, 9, 1)),  # the order asked, spaces allowed
        ("4-4", (3,)),
    ],
)
def test_frames_are_one_based_in_and_zero_based_out(text: str, frames: tuple[int, ...]) -> None:
    assert parse_frames(text) == frames


@pytest.mark.parametrize(
    "text", ["", "0", "-3", "3-1", "1,,2", "a", "1-", "1.5", "1-2-3", "1e3", "１"]
)
def test_bad_frames_are_refused(text: str) -> None:
    assert_invalid(parse_frames, text, field="frames")


def test_huge_range_is_refused_before_it_is_expanded() -> None:
    tracemalloc.start()
    started = time.perf_counter()

    assert_invalid(parse_frames, "1-999999999", field="frames", mentions=str(MAX_FRAMES_ASKED))

    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1024 * 1024 and time.perf_counter() - started < 0.1


def test_frame_limit_counts_ranges_and_single_frames_together() -> None:
    assert len(parse_frames(f"1-{MAX_FRAMES_ASKED}")) == MAX_FRAMES_ASKED
    assert_invalid(parse_frames, f"1-{MAX_FRAMES_ASKED},1", field="frames")


@pytest.mark.parametrize(
    "options, field",
    [
        ({"image_format": "tiff"}, "image_format"),
        ({"frames": (0, -1)}, "frames"),
        ({"window": (40.0, 0.5)}, "window"),  # PS3.3 C.11.2.1.2.1: at least 1
        ({"window": (40.0, 0.0)}, "window"),
        ({"window": (math.nan, 400.0)}, "window"),
        ({"window": (40.0, math.inf)}, "window"),
        ({"max_size": 0}, "max_size"),
        ({"max_size": 10_001}, "max_size"),
        ({"quality": 0}, "quality"),
        ({"quality": 101}, "quality"),
        ({"animate": True, "image_format": "png"}, "animate"),
        ({"png_compress_level": 10}, "png_compress_level"),
    ],
)
def test_render_options_refuse_what_breaks_an_invariant_naming_their_own_attribute(options, field) -> None:
    assert_invalid(RenderOptions, field=field, **options)


def test_render_options_at_their_bounds() -> None:
    options = RenderOptions(image_format="gif", frames=(0, 5), window=(-1000.5, 1.0), max_size=10_000, quality=1, animate=True)
    assert options.window == (-1000.5, 1.0) and options.jpeg_quality == 1
    assert RenderOptions().jpeg_quality == DEFAULT_JPEG_QUALITY


def test_read_options_refuse_an_unknown_metadata_mode() -> None:
    assert_invalid(ReadOptions, metadata="xml", field="metadata")
