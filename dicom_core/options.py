"""The read options of `POST /api/dicom/read/file/`, parsed from their text (form fields or
query parameters).

Each parser takes the text as sent (None or blank when the option was not sent) and returns a
plain value, or raises InvalidOptionError naming the field and what it accepts.
"""

import math
import re
from typing import Literal, TypeVar

from dicom_core.errors import InvalidOptionError

MAX_FRAMES_ASKED = 10_000  # entries in one `frames` list, ranges counted by their length
MAX_SIZE_RANGE = (1, 10_000)  # longest edge of a rendered image, pixels
QUALITY_RANGE = (1, 100)
DEFAULT_QUALITY = 90

ReturnFormat = Literal["png", "jpeg", "gif"]
MetadataMode = Literal["flat", "dicom-json"]

RETURN_FORMATS: dict[str, ReturnFormat] = {
    "png": "png", "jpeg": "jpeg", "jpg": "jpeg", "gif": "gif"
}
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
METADATA_MODES: dict[str, MetadataMode] = {"flat": "flat", "dicom-json": "dicom-json"}

# nine digits at most: no frame count comes near, and int() never sees a huge string
_FRAME_ITEM = re.compile(r"([0-9]{1,9})(?:-([0-9]{1,9}))?")
_UNSIGNED = re.compile(r"[0-9]{1,9}")
_FRAMES_FORMAT = "1-based frame numbers and ranges separated by commas, e.g. 1,3,5-9"

T = TypeVar("T")


def parse_frames(text: str) -> tuple[int, ...]:
    """"1,3,5-9" (1-based) -> (0, 2, 4, 5, 6, 7, 8) (0-based), in the order asked."""
    frames: list[int] = []
    for item in text.split(","):
        first, last = _frame_range(item.strip())
        if len(frames) + (last - first + 1) > MAX_FRAMES_ASKED:
            raise InvalidOptionError(
                f"frames asks for more than {MAX_FRAMES_ASKED} frames.", field="frames"
            )
        frames.extend(range(first - 1, last))
    return tuple(frames)


def _frame_range(item: str) -> tuple[int, int]:
    """One item of `frames` as its first and last 1-based frame."""
    match = _FRAME_ITEM.fullmatch(item)
    if match is None:
        raise InvalidOptionError(
            f"frames: {_quoted(item)} is not valid; use {_FRAMES_FORMAT}.", field="frames"
        )
    first = int(match[1])
    last = int(match[2]) if match[2] else first
    if first < 1:
        raise InvalidOptionError("frames: frame numbers start at 1.", field="frames")
    if last < first:
        raise InvalidOptionError(f"frames: the range {_quoted(item)} is reversed.", field="frames")
    return first, last


def check_frames(frames: tuple[int, ...], frame_count: int) -> None:
    """Raise for the first asked (0-based) frame that the file does not have."""
    for frame in frames:
        if frame >= frame_count:
            raise InvalidOptionError(
                f"frames: frame {frame + 1} does not exist; the file has {frame_count} frame(s).",
                field="frames",
            )


def parse_return_format(text: str | None) -> ReturnFormat:
    return _choice("return_format", text, RETURN_FORMATS, "png")


def parse_bool(name: str, text: str | None, default: bool) -> bool:
    return _choice(name, text, BOOLEANS, default)


def parse_metadata_mode(text: str | None) -> MetadataMode:
    return _choice("metadata", text, METADATA_MODES, "flat")


def parse_window(center_text: str | None, width_text: str | None) -> tuple[float, float] | None:
    """(center, width) when both are sent, None when neither is."""
    if _is_blank(center_text) and _is_blank(width_text):
        return None
    if _is_blank(center_text) or _is_blank(width_text):
        raise InvalidOptionError(
            "window_center and window_width must be sent together.",
            field="window_width" if _is_blank(width_text) else "window_center",
        )
    center = _finite_number("window_center", center_text)
    width = _finite_number("window_width", width_text)
    if width < 1:
        raise InvalidOptionError("window_width must be at least 1.", field="window_width")
    return center, width


def parse_max_size(text: str | None) -> int | None:
    if _is_blank(text):
        return None
    return _bounded_int("max_size", text, *MAX_SIZE_RANGE)


def parse_quality(text: str | None) -> int:
    if _is_blank(text):
        return DEFAULT_QUALITY
    return _bounded_int("quality", text, *QUALITY_RANGE)


def _quoted(text: str) -> str:
    """The value sent, cut short: an error message must stay one sentence."""
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _is_blank(text: str | None) -> bool:
    return text is None or not text.strip()


def _choice(name: str, text: str | None, choices: dict[str, T], default: T) -> T:
    """One of `choices` (case-insensitive), `default` when not sent."""
    if _is_blank(text):
        return default
    value = choices.get(text.strip().lower())
    if value is None:
        accepted = ", ".join(choices)
        raise InvalidOptionError(
            f"{name} must be one of {accepted}; got {_quoted(text)}.", field=name
        )
    return value


def _bounded_int(name: str, text: str, low: int, high: int) -> int:
    digits = text.strip()
    if _UNSIGNED.fullmatch(digits) is None or not low <= int(digits) <= high:
        raise InvalidOptionError(
            f"{name} must be a whole number from {low} to {high}; got {_quoted(text)}.", field=name
        )
    return int(digits)


def _finite_number(name: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidOptionError(
            f"{name} must be a finite number; got {_quoted(text)}.", field=name
        )
    return number
