"""Parsing the read options from the text a client sends."""

import time
import tracemalloc

import pytest

from dicom_core.errors import InvalidOptionError
from dicom_core.options import (
    MAX_FRAMES_ASKED,
    check_frames,
    parse_bool,
    parse_frames,
    parse_max_size,
    parse_metadata_mode,
    parse_quality,
    parse_return_format,
    parse_window,
)


def assert_invalid(call, *args, field: str, mentions: str = "") -> None:
    with pytest.raises(InvalidOptionError) as error:
        call(*args)
    assert error.value.field == field
    assert field in error.value.message and mentions in error.value.message


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


def test_check_frames_names_the_one_based_frame_that_does_not_exist() -> None:
    check_frames((0, 1), 2)

    assert_invalid(check_frames, (0, 2, 5), 2, field="frames", mentions="frame 3 ")


@pytest.mark.parametrize(
    "text, expected",
    [(None, "png"), ("", "png"), ("PNG", "png"), ("jpg", "jpeg"), ("JPEG", "jpeg"), ("Gif", "gif")],
)
def test_return_format(text: str | None, expected: str) -> None:
    assert parse_return_format(text) == expected


def test_bad_return_format_lists_the_accepted_ones() -> None:
    accepted = "png, jpeg, jpg, gif"
    assert_invalid(parse_return_format, "tiff", field="return_format", mentions=accepted)


@pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "Yes"])
def test_true_values(text: str) -> None:
    assert parse_bool("images", text, False) is True


@pytest.mark.parametrize("text", ["false", "False", "0", "no", "NO"])
def test_false_values(text: str) -> None:
    assert parse_bool("images", text, True) is False


def test_bool_default_and_bad_value() -> None:
    assert parse_bool("animate", None, False) is False
    assert parse_bool("images", " ", True) is True
    assert_invalid(parse_bool, "animate", "maybe", False, field="animate", mentions="true")


def test_window() -> None:
    assert parse_window(None, None) is None
    assert parse_window("40", "400") == (40.0, 400.0)
    assert parse_window("-1000.5", "1") == (-1000.5, 1.0)


@pytest.mark.parametrize(
    "center, width, field",
    [
        ("40", None, "window_width"),
        (None, "400", "window_center"),
        ("40", "0.5", "window_width"),
        ("40", "-400", "window_width"),
        ("nan", "400", "window_center"),
        ("40", "inf", "window_width"),
        ("1e400", "400", "window_center"),
        ("forty", "400", "window_center"),
    ],
)
def test_bad_window(center: str | None, width: str | None, field: str) -> None:
    assert_invalid(parse_window, center, width, field=field)


def test_max_size() -> None:
    assert parse_max_size(None) is None
    assert parse_max_size("256") == 256
    assert parse_max_size("10000") == 10000
    for text in ["0", "10001", "-5", "12px", "1.5", "9" * 5000]:
        assert_invalid(parse_max_size, text, field="max_size", mentions="1 to 10000")


def test_quality() -> None:
    assert parse_quality(None) == 90
    assert parse_quality("1") == 1 and parse_quality(" 100 ") == 100
    for text in ["0", "101", "high"]:
        assert_invalid(parse_quality, text, field="quality", mentions="1 to 100")


def test_metadata_mode() -> None:
    assert parse_metadata_mode(None) == "flat"
    assert parse_metadata_mode("DICOM-JSON") == "dicom-json"
    assert_invalid(parse_metadata_mode, "xml", field="metadata", mentions="flat, dicom-json")


def test_long_bad_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(InvalidOptionError) as error:
        parse_return_format("x" * 100_000)

    assert len(error.value.message) < 200
